"""What the templates draw, built from query results (pure): event lines, timeline groups, diffs.

Templates receive plain strings and (text, flag) segments, never HTML: highlighting is a list
of pieces the template wraps in ``<del>``/``<ins>``/``<mark>``, each escaped by Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from rapidfuzz.distance import Indel

from tracker import events
from tracker.events import ChangeKind
from tracker.notify.digest import FIELD_LABELS, event_lines, printable
from tracker.summary import quantity
from tracker.textdiff import opcodes, similarity

Segments = list[tuple[str, bool]]
RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
PAIR_SIMILARITY = 0.5  # below this an edited paragraph is shown as one removed and one added
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """``7d`` / ``12h`` ago, or an ISO date or datetime (UTC unless it says otherwise).

    A bare date as an upper bound means the end of that day. ``ValueError`` for anything else.
    """
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    match = RELATIVE.match(text)
    if match:
        return datetime.now(UTC) - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    moment = datetime.fromisoformat(value.strip())
    if end_of_day and len(value.strip()) == 10:
        moment += timedelta(days=1)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(moment: datetime | None) -> str:
    """A stored moment as people read it here: UTC, to the minute."""
    if not isinstance(moment, datetime):
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def kind_group(kind: str) -> str:
    info = events.KINDS.get(kind)  # type: ignore[call-overload]
    return str(info.group) if info is not None else "other"


def live_link(url: str | None) -> str | None:
    """The page on the portal, only for http(s): a stored URL never becomes a ``javascript:`` link."""
    if not url:
        return None
    return url if urlsplit(url).scheme in {"http", "https"} else None


def query_string(base: Mapping[str, Any], **changes: Any) -> str:
    """``base`` with ``changes`` applied, empty values dropped, as ``?a=1&b=2``."""
    merged: dict[str, Any] = {**base, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(v)) for v in values if v not in (None, ""))
    return "?" + urlencode(pairs) if pairs else ""


def char_diff(old: str, new: str) -> tuple[Segments, Segments]:
    """Both sides of an edited text as segments, changed characters flagged (Chinese: by character)."""
    left: Segments = []
    right: Segments = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            left.append((old[i1:i2], False))
            right.append((new[j1:j2], False))
            continue
        if i2 > i1:
            left.append((old[i1:i2], True))
        if j2 > j1:
            right.append((new[j1:j2], True))
    return left, right


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """One text with both sides interleaved: (piece, "" | "del" | "ins") in reading order."""
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            out.append((old[i1:i2], ""))
            continue
        if i2 > i1:
            out.append((old[i1:i2], "del"))
        if j2 > j1:
            out.append((new[j1:j2], "ins"))
    return out


@dataclass
class EventView:
    """One change event as the timeline, the document page and the feed describe it."""

    id: int | None
    kind: str
    label: str
    group: str
    lines: list[str]
    excerpts: list[tuple[Segments, Segments]] = field(default_factory=list)
    old_version: int | None = None
    new_version: int | None = None


def event_view(row: Mapping[str, Any]) -> EventView:
    kind = str(row["kind"])
    details = row.get("details") or {}
    lines = [printable(line) for line in event_lines(kind, details)]
    excerpts: list[tuple[Segments, Segments]] = []
    if kind == ChangeKind.CONTENT_CHANGED and not details.get("attachment"):
        lines = lines[:1]  # the excerpts are drawn highlighted instead of as quoted lines
        for item in list(details.get("excerpts") or [])[:3]:
            if isinstance(item, Mapping):
                excerpts.append(
                    char_diff(printable(str(item.get("old") or "")), printable(str(item.get("new") or "")))
                )
    return EventView(
        id=row.get("id"),
        kind=kind,
        label=events.label(kind),
        group=kind_group(kind),
        lines=lines,
        excerpts=excerpts,
        old_version=row.get("old_version"),
        new_version=row.get("new_version"),
    )


@dataclass
class TimelineGroup:
    """The events one crawl run found in one document."""

    crawl_run_id: int | None
    document_id: int
    title: str
    url: str
    source: str
    at: datetime | None
    events: list[EventView] = field(default_factory=list)
    old_version: int | None = None
    new_version: int | None = None


def timeline(rows: Iterable[Mapping[str, Any]]) -> list[TimelineGroup]:
    """Rows newest first, grouped by (crawl run, document) in the order they come."""
    groups: list[TimelineGroup] = []
    index: dict[tuple[Any, int], TimelineGroup] = {}
    for row in rows:
        # Events recorded outside a crawl run group by the version that brought them.
        run: Any = row.get("crawl_run_id") or ("version", row.get("new_version") or f"change-{row['id']}")
        key = (run, int(row["document_id"]))
        group = index.get(key)
        if group is None:
            group = TimelineGroup(
                crawl_run_id=row.get("crawl_run_id"),
                document_id=int(row["document_id"]),
                title=printable(str(row.get("title") or row.get("url") or "")),
                url=str(row.get("url") or ""),
                source=str(row.get("source") or ""),
                at=row.get("detected_at"),
            )
            index[key] = group
            groups.append(group)
        view = event_view(row)
        group.events.append(view)
        group.old_version = group.old_version or view.old_version
        group.new_version = group.new_version or view.new_version
    for group in groups:
        group.events.reverse()  # oldest first within a document, as the digest lists them
    return groups


@dataclass
class ParagraphRow:
    """One aligned row of a diff: both sides (None where a paragraph was added or removed)."""

    op: str  # equal | edited | added | removed
    old: Segments | None
    new: Segments | None
    number: int = 0  # 1, 2, ... for changed rows (the anchors of previous/next change links)
    inline: list[tuple[str, str]] = field(default_factory=list)  # edited rows: both sides interleaved


def align_paragraphs(old: Sequence[str], new: Sequence[str]) -> list[ParagraphRow]:
    """Every paragraph of both versions in page order, edits paired and highlighted by character.

    Paragraph-level alignment is an Indel edit script over the paragraph lists; within a run of
    replaced paragraphs they are paired in order and the rest are additions or removals.
    """
    rows: list[ParagraphRow] = []
    pending_a: list[str] = []
    pending_b: list[str] = []
    for op in Indel.opcodes(list(old), list(new)):
        if op.tag != "equal":  # a run of deletions and insertions between two equal stretches
            pending_a.extend(old[op.src_start : op.src_end])
            pending_b.extend(new[op.dest_start : op.dest_end])
            continue
        rows.extend(_pair(pending_a, pending_b))
        pending_a, pending_b = [], []
        rows.extend(ParagraphRow("equal", [(p, False)], [(p, False)]) for p in old[op.src_start : op.src_end])
    rows.extend(_pair(pending_a, pending_b))
    number = 0
    for row in rows:
        if row.op != "equal":
            number += 1
            row.number = number
    return rows


def _pair(a: list[str], b: list[str]) -> list[ParagraphRow]:
    """A run of replaced paragraphs: pairs in order while they still resemble each other."""
    out: list[ParagraphRow] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and similarity(a[i], b[j]) >= PAIR_SIMILARITY:
            left, right = char_diff(a[i], b[j])
            out.append(ParagraphRow("edited", left, right, inline=inline_diff(a[i], b[j])))
            i, j = i + 1, j + 1
        elif i < len(a) and (j >= len(b) or len(a) - i >= len(b) - j):
            out.append(ParagraphRow("removed", [(a[i], True)], None))
            i += 1
        else:
            out.append(ParagraphRow("added", None, [(b[j], True)]))
            j += 1
    return out


def diff_events(events_: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Diff events split for the page: target rows (indicator, old, new), metadata rows, others."""
    targets: list[dict[str, Any]] = []
    metadata: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for event in events_:
        d = event.details or {}
        if event.kind in events.TARGET_KINDS:
            targets.append(
                {
                    "kind": event.kind,
                    "label": events.label(event.kind),
                    "indicator": d.get("indicator") or d.get("key"),
                    "old": quantity(d.get("old")),
                    "new": quantity(d.get("new")),
                    "section": d.get("section"),
                }
            )
        elif event.kind == ChangeKind.METADATA_CHANGED:
            metadata.append(
                {"field": field_label(str(d.get("field"))), "old": d.get("old"), "new": d.get("new")}
            )
        else:
            other.append(
                {"kind": event.kind, "label": events.label(event.kind), "lines": event_lines(event.kind, d)}
            )
    return {"targets": targets, "metadata": metadata, "other": other}


def plain(value: Any) -> str:
    """A metadata value as text: lists joined with 、, nothing as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return printable(str(value))


TEMPLATE_GLOBALS: dict[str, Any] = {
    "kind_label": events.label,
    "kind_group": kind_group,
    "quantity": quantity,
    "field_label": field_label,
    "when": when,
    "live_link": live_link,
    "query_string": query_string,
    "plain": plain,
    "kinds": [(str(kind), info.label, str(info.group)) for kind, info in events.KINDS.items()],
    "kind_groups": [("targets", "目标"), ("metadata", "信息"), ("content", "正文"), ("documents", "文件")],
}
TEMPLATE_FILTERS: dict[str, Any] = {"when": when, "plain": plain}
