"""Two documents that carry the same text from different places, compared (pure, on snapshots).

A department's page and the newspaper print of the same report file their targets under
different section headings, so targets are matched by indicator and unit, not by key.
Paragraphs are matched by similarity (rapidfuzz), not by position: one print may merge, split,
drop or reorder them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from tracker.summary import quantity
from tracker.textdiff import similarity

REWORDED_SIMILARITY = 60.0  # below this a paragraph has no counterpart in the other document
# Two targets of one unit whose indicators are this alike are one target worded differently
# (市重大产业项目完成投资 / 市重大项目项目完成投资), as the diff pairs wording drift.
REWORDED_TARGET_SIMILARITY = 0.6
MAX_PARAGRAPH_DIFFS = 200


def _by_indicator(targets: Mapping[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, target in targets.items():
        indicator = str(target.get("indicator") or key)
        grouped.setdefault((indicator, str(target.get("unit") or "")), []).append({"key": key, **target})
    return grouped


def _pair_reworded(
    only_a: list[dict[str, Any]], only_b: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Greedy best-first pairs of one-sided targets of one unit with alike indicators.

    Returns (reworded pairs, what stays only in A, what stays only in B).
    """
    scored = sorted(
        (-score, i, j)
        for i, left in enumerate(only_a)
        for j, right in enumerate(only_b)
        if left["unit"] == right["unit"]
        and (score := similarity(left["indicator"], right["indicator"])) >= REWORDED_TARGET_SIMILARITY
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, dict[str, Any]]] = []
    for _score, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        left, right = only_a[i], only_b[j]
        pairs.append(
            (
                j,
                {
                    "indicator": left["indicator"],
                    "indicator_b": right["indicator"],
                    "unit": left["unit"],
                    "a": left["a"],
                    "b": right["b"],
                    "a_value": left["a_value"],
                    "b_value": right["b_value"],
                },
            )
        )
    reworded = [item for _j, item in sorted(pairs, key=lambda pair: pair[0])]
    rest_a = [item for i, item in enumerate(only_a) if i not in used_a]
    rest_b = [item for j, item in enumerate(only_b) if j not in used_b]
    return reworded, rest_a, rest_b


def compare_targets(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``{only_a, only_b, differing, same, reworded}``; each item names the indicator and both sides.

    ``reworded`` pairs a target of A with one of B whose indicator is worded differently (same
    unit, alike indicator); such a pair is not "only in A" and "only in B"."""
    left, right = _by_indicator(a), _by_indicator(b)
    out: dict[str, list[dict[str, Any]]] = {"only_a": [], "only_b": [], "differing": [], "same": []}
    for name in list(left) + [n for n in right if n not in left]:
        olds, news = left.get(name, []), right.get(name, [])
        for i in range(max(len(olds), len(news))):
            old = olds[i] if i < len(olds) else None
            new = news[i] if i < len(news) else None
            item = {
                "indicator": name[0],
                "unit": name[1] or None,
                "a": old,
                "b": new,
                "a_value": quantity(old),
                "b_value": quantity(new),
            }
            if new is None:
                out["only_a"].append(item)
            elif old is None:
                out["only_b"].append(item)
            elif item["a_value"] != item["b_value"]:
                out["differing"].append(item)
            else:
                out["same"].append(item)
    out["reworded"], out["only_a"], out["only_b"] = _pair_reworded(out["only_a"], out["only_b"])
    return out


def compare_paragraphs(a: Sequence[str], b: Sequence[str]) -> dict[str, Any]:
    """Paragraphs of ``b`` paired with their closest paragraph of ``a``.

    ``{same: n, reworded: [{a, b, similarity}], only_a: [...], only_b: [...]}``.
    """
    used: set[int] = set()
    reworded: list[dict[str, Any]] = []
    only_b: list[str] = []
    same = 0
    exact = {p: i for i, p in reversed(list(enumerate(a)))}
    for paragraph in b:
        index = exact.get(paragraph)
        if index is not None and index not in used:
            used.add(index)
            same += 1
            continue
        choices = {i: p for i, p in enumerate(a) if i not in used}
        best = process.extractOne(paragraph, choices, scorer=fuzz.ratio) if choices else None
        if best is not None and best[1] >= REWORDED_SIMILARITY:
            used.add(int(best[2]))
            reworded.append({"a": best[0], "b": paragraph, "similarity": round(best[1] / 100, 3)})
        else:
            only_b.append(paragraph)
    only_a = [p for i, p in enumerate(a) if i not in used]
    return {
        "same": same,
        "reworded": reworded[:MAX_PARAGRAPH_DIFFS],
        "only_a": only_a[:MAX_PARAGRAPH_DIFFS],
        "only_b": only_b[:MAX_PARAGRAPH_DIFFS],
    }


def compare_snapshots(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Targets and wording of two snapshots; ``metadata`` lists fields whose values differ."""
    meta_a, meta_b = a.get("metadata") or {}, b.get("metadata") or {}
    metadata = [
        {"field": name, "a": meta_a.get(name), "b": meta_b.get(name)}
        for name in list(meta_a) + [n for n in meta_b if n not in meta_a]
        if meta_a.get(name) != meta_b.get(name)
    ]
    return {
        "targets": compare_targets(a.get("targets") or {}, b.get("targets") or {}),
        "metadata": metadata,
        "paragraphs": compare_paragraphs(list(a.get("paragraphs") or []), list(b.get("paragraphs") or [])),
    }
