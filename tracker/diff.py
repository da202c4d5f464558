"""Snapshot diff: deepdiff between two normalised snapshots, mapped to typed change events.

Pure functions only; the record step adds the document-level events (added, removed,
restored) and the revert flag, because those need the stored history.

Event kinds and their ``details``:

- ``target_changed`` / ``target_added`` / ``target_removed``: ``key``, ``indicator``,
  ``section``, ``old`` and ``new`` (each ``{value, value_max, unit, qualifier, text}``
  or null), ``changed`` (the fields that differ). A target whose key disappeared while a
  target with the same section and unit and a very similar indicator appeared (wording
  drift such as 市重大产业项目完成投资 → 市重大项目项目完成投资) is one ``target_changed``
  carrying ``old_key`` and ``old_indicator`` too.
- ``metadata_changed``: ``field``, ``old``, ``new`` (the title is the field ``title``).
- ``content_changed``: counts of body paragraphs ``added``, ``removed``, ``edited`` and a
  few ``excerpts``; only for edits the target and metadata events above do not explain.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from tracker.events import ChangeEvent, ChangeKind
from tracker.normalize.numbers import canonical_text
from tracker.normalize.targets import comparable
from tracker.textdiff import opcodes, similarity

TARGET_FIELDS = ("value", "value_max", "unit", "qualifier", "text")
# What makes a target different: its canonical quantity (not how the page spells it), qualifier,
# comparator and indicator; ``text`` alone only matters for qualitative targets.
MATERIAL_FIELDS = ("indicator", "quantity", "qualifier", "comparator", "text")
DRIFT_MIN_SIMILARITY = 0.6
MAX_EXCERPTS = 3
EXCERPT_CONTEXT = 24


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ChangeEvent]:
    """Change events that turn snapshot ``old`` into snapshot ``new`` (empty when equivalent)."""
    meta_events = _metadata_events(old, new)
    target_events = _target_events(old.get("targets") or {}, new.get("targets") or {})
    content = _content_event(
        list(old.get("paragraphs") or []),
        list(new.get("paragraphs") or []),
        explained_old=_explaining_texts(meta_events, target_events, "old"),
        explained_new=_explaining_texts(meta_events, target_events, "new"),
    )
    return meta_events + target_events + ([content] if content else [])


def _touched_keys(old: Any, new: Any) -> list[Any]:
    """Top-level keys of two dicts that deepdiff finds different, in first-seen order."""
    from deepdiff import DeepDiff  # imported by the first changed page, not by every recording process

    tree = DeepDiff(old, new, view="tree", verbose_level=2)
    keys: dict[Any, None] = {}
    for levels in tree.values():
        for level in levels:
            path = level.path(output_format="list")
            if path:
                keys[path[0]] = None
    return list(keys)


def _metadata_events(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ChangeEvent]:
    events: list[ChangeEvent] = []
    old_title, new_title = old.get("title") or "", new.get("title") or ""
    if old_title != new_title:
        events.append(
            ChangeEvent(ChangeKind.METADATA_CHANGED, {"field": "title", "old": old_title, "new": new_title})
        )
    old_meta: Mapping[str, Any] = old.get("metadata") or {}
    new_meta: Mapping[str, Any] = new.get("metadata") or {}
    for name in _touched_keys(dict(old_meta), dict(new_meta)):
        before, after = old_meta.get(name), new_meta.get(name)
        if (before or None) == (after or None):  # "" and a missing field are the same absence
            continue
        events.append(ChangeEvent(ChangeKind.METADATA_CHANGED, {"field": name, "old": before, "new": after}))
    return events


def _side(target: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if target is None else {name: target.get(name) for name in TARGET_FIELDS}


def _material_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Fields that differ in substance; a quantity that differs is named by the written fields
    that changed (``value``, ``unit`` …), so a reader sees what the page now says."""
    before, after = comparable(old), comparable(new)
    fields: list[str] = []
    for name in MATERIAL_FIELDS:
        if before.get(name) == after.get(name):
            continue
        if name == "quantity":
            written = [f for f in ("value", "value_max", "unit") if old.get(f) != new.get(f)]
            fields.extend(written or ["value"])
        else:
            fields.append(name)
    return fields


def _target_event(
    kind: ChangeKind, key: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> ChangeEvent:
    current = new if new is not None else old
    assert current is not None
    details: dict[str, Any] = {
        "key": key,
        "indicator": current.get("indicator"),
        "section": current.get("section"),
        "old": _side(old),
        "new": _side(new),
    }
    if old is not None and new is not None:
        details["changed"] = _material_change(old, new)
    return ChangeEvent(kind, details)


def _is_drift(old: Mapping[str, Any], new: Mapping[str, Any]) -> float:
    """Similarity of two targets' indicators when they may be one target reworded, else 0."""
    old_q, new_q = comparable(old)["quantity"], comparable(new)["quantity"]
    old_unit = old_q["unit"] if old_q else None
    new_unit = new_q["unit"] if new_q else None
    if old.get("section") != new.get("section") or old_unit != new_unit:
        return 0.0
    old_ind, new_ind = old.get("indicator") or "", new.get("indicator") or ""
    if not old_ind or not new_ind:
        return 0.0
    score = similarity(old_ind, new_ind)
    return score if score >= DRIFT_MIN_SIMILARITY else 0.0


def _pair_drift(
    removed: list[str], added: list[str], old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Greedy best-first pairing of removed and added targets that are one target reworded."""
    scored = sorted(
        (
            (-score, i, j)
            for i, r in enumerate(removed)
            for j, a in enumerate(added)
            if (score := _is_drift(old[r], new[a])) > 0
        ),
    )
    used_r: set[int] = set()
    used_a: set[int] = set()
    pairs: list[tuple[int, str, str]] = []
    for _neg, i, j in scored:
        if i in used_r or j in used_a:
            continue
        used_r.add(i)
        used_a.add(j)
        pairs.append((j, removed[i], added[j]))
    # Reported in the new page's order, not by how similar the wordings were.
    return [(r, a) for _j, r, a in sorted(pairs)]


def _target_events(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ChangeEvent]:
    events: list[ChangeEvent] = []
    removed: list[str] = []
    added: list[str] = []
    for key in _touched_keys(dict(old), dict(new)):
        if key in old and key in new:
            if _material_change(old[key], new[key]):
                events.append(_target_event(ChangeKind.TARGET_CHANGED, key, old[key], new[key]))
        elif key in old:
            removed.append(key)
        else:
            added.append(key)
    pairs = _pair_drift(removed, added, old, new)
    for old_key, new_key in pairs:
        event = _target_event(ChangeKind.TARGET_CHANGED, new_key, old[old_key], new[new_key])
        event.details["old_key"] = old_key
        event.details["old_indicator"] = old[old_key].get("indicator")
        events.append(event)
    paired_old = {p[0] for p in pairs}
    paired_new = {p[1] for p in pairs}
    events += [
        _target_event(ChangeKind.TARGET_REMOVED, k, old[k], None) for k in removed if k not in paired_old
    ]
    events += [_target_event(ChangeKind.TARGET_ADDED, k, None, new[k]) for k in added if k not in paired_new]
    return events


def _explaining_texts(meta: Iterable[ChangeEvent], targets: Iterable[ChangeEvent], side: str) -> list[str]:
    """Texts whose appearance or disappearance in the body is already reported by another event."""
    texts: list[str] = []
    for event in meta:
        value = event.details.get(side)
        if isinstance(value, str) and value:
            texts.append(value)
    for event in targets:
        part = event.details.get(side)
        if part and part.get("text"):
            texts.append(part["text"])
    return texts


def _is_filler(text: str) -> bool:
    """Whitespace and punctuation only: the commas around an edited clause."""
    return all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in text)


def _covered(paragraph: str, start: int, end: int, texts: list[str]) -> bool:
    """Is paragraph[start:end] inside occurrences of ``texts`` (ignoring punctuation)?"""
    mask = [False] * len(paragraph)
    for text in texts:
        pos = paragraph.find(text)
        while pos >= 0:
            for i in range(pos, pos + len(text)):
                mask[i] = True
            pos = paragraph.find(text, pos + 1)
    return all(mask[i] or _is_filler(paragraph[i]) for i in range(start, end))


def _edit_explained(old_p: str, new_p: str, explained_old: list[str], explained_new: list[str]) -> bool:
    for tag, i1, i2, j1, j2 in opcodes(old_p, new_p):
        if tag == "equal":
            continue
        if i2 > i1 and not _covered(old_p, i1, i2, explained_old):
            return False
        if j2 > j1 and not _covered(new_p, j1, j2, explained_new):
            return False
    return True


def _excerpt_of_edit(old_p: str, new_p: str) -> dict[str, str]:
    ops = [op for op in opcodes(old_p, new_p) if op[0] != "equal"]
    if not ops:
        return {"op": "edited", "old": old_p, "new": new_p}
    _tag, i1, _i2, j1, _j2 = ops[0]
    _tag, _i1, i2, _j1, j2 = ops[-1]
    lo_a, lo_b = max(0, i1 - EXCERPT_CONTEXT), max(0, j1 - EXCERPT_CONTEXT)
    return {
        "op": "edited",
        "old": _clip(old_p, lo_a, i2 + EXCERPT_CONTEXT),
        "new": _clip(new_p, lo_b, j2 + EXCERPT_CONTEXT),
    }


def _clip(text: str, start: int, end: int) -> str:
    end = min(len(text), end, start + 4 * EXCERPT_CONTEXT)
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def paragraph_changes(old: list[str], new: list[str]) -> list[tuple[str, str | None, str | None]]:
    """Aligned body edits, in page order: ("added", None, p), ("removed", p, None), ("edited", a, b)."""
    from deepdiff import DeepDiff  # imported by the first changed page, not by every recording process

    tree = DeepDiff(old, new, view="tree", verbose_level=2)
    found: list[tuple[int, int, str, str | None, str | None]] = []
    for report, levels in tree.items():
        for level in levels:
            index = level.path(output_format="list")[-1]
            if report == "values_changed":
                found.append((index, 1, "edited", level.t1, level.t2))
            elif report == "iterable_item_added":
                found.append((index, 2, "added", None, level.t2))
            elif report == "iterable_item_removed":
                found.append((index, 0, "removed", level.t1, None))
    return [(op, a, b) for _i, _order, op, a, b in sorted(found, key=lambda f: (f[0], f[1]))]


def _content_event(
    old: list[str], new: list[str], *, explained_old: list[str], explained_new: list[str]
) -> ChangeEvent | None:
    # Paragraphs are compared with every quantity in its canonical form, so a number rewritten
    # in an equal form (1万个 → 10000个) is no edit; excerpts quote the page's own wording.
    canon_old = [canonical_text(p) for p in old]
    canon_new = [canonical_text(p) for p in new]
    wording = {**dict(zip(canon_old, old, strict=True)), **dict(zip(canon_new, new, strict=True))}
    explained_old = [canonical_text(t) for t in explained_old]
    explained_new = [canonical_text(t) for t in explained_new]
    edited: list[tuple[str, str]] = []
    added: list[str] = []
    removed: list[str] = []
    for op, before, after in paragraph_changes(canon_old, canon_new):
        if op == "edited" and before is not None and after is not None:
            if not _edit_explained(before, after, explained_old, explained_new):
                edited.append((wording[before], wording[after]))
        elif op == "added" and after is not None:
            if not _covered(after, 0, len(after), explained_new):
                added.append(wording[after])
        elif before is not None and not _covered(before, 0, len(before), explained_old):
            removed.append(wording[before])
    if not (edited or added or removed):
        return None
    excerpts: list[dict[str, str]] = [_excerpt_of_edit(a, b) for a, b in edited[:MAX_EXCERPTS]]
    room = MAX_EXCERPTS - len(excerpts)
    excerpts += [{"op": "added", "new": _clip(p, 0, len(p))} for p in added[:room]]
    room = MAX_EXCERPTS - len(excerpts)
    excerpts += [{"op": "removed", "old": _clip(p, 0, len(p))} for p in removed[:room]]
    return ChangeEvent(
        ChangeKind.CONTENT_CHANGED,
        {"added": len(added), "removed": len(removed), "edited": len(edited), "excerpts": excerpts},
    )
