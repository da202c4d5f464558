"""Golden snapshot diffs: previous snapshot, next snapshot, the exact events a reader gets."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import FIXTURES_DIR
from tracker.diff import diff_snapshots

TABLE = json.loads((FIXTURES_DIR / "changes" / "snapshots.json").read_text(encoding="utf-8"))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_golden_snapshot_diff(case: dict[str, Any]) -> None:
    old = merge_patch(TABLE["base"], case.get("old_patch", {}))
    new = merge_patch(TABLE["base"], case["new_patch"])
    events = diff_snapshots(old, new)
    assert [e.kind for e in events] == [x["kind"] for x in case["expected"]]
    for event, expected in zip(events, case["expected"], strict=True):
        for name, value in expected.items():
            if name != "kind":
                assert event.details.get(name) == value, (event.kind, name)


def test_events_are_json_serialisable_and_deterministic() -> None:
    new = merge_patch(TABLE["base"], TABLE["cases"][5]["new_patch"])
    first = [(e.kind, json.dumps(e.details, ensure_ascii=False)) for e in diff_snapshots(TABLE["base"], new)]
    again = [(e.kind, json.dumps(e.details, ensure_ascii=False)) for e in diff_snapshots(TABLE["base"], new)]
    assert first == again and first


def test_reverse_diff_mirrors_the_forward_one() -> None:
    new = merge_patch(TABLE["base"], TABLE["cases"][3]["new_patch"])  # a target added
    assert [e.kind for e in diff_snapshots(new, TABLE["base"])] == ["target_removed"]
