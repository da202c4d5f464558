"""Golden snapshot diffs: previous snapshot, next snapshot, the exact events a reader gets."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FIXTURES_DIR
from tracker.diff import diff_snapshots

ROOT = Path(__file__).resolve().parents[2]
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


def _events_json() -> str:
    """Every golden case's events, as one JSON text."""
    out = []
    for case in TABLE["cases"]:
        new = merge_patch(TABLE["base"], case["new_patch"])
        out.append([{"kind": e.kind, "details": e.details} for e in diff_snapshots(TABLE["base"], new)])
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def test_events_are_json_serialisable_and_deterministic() -> None:
    """Details survive a JSON round trip unchanged (no tuples, sets or objects that the store would
    turn into something else), and the same snapshots give the same events in other processes
    whatever their hash seed (no set or hash order leaks into event order or details)."""
    for case in TABLE["cases"]:
        new = merge_patch(TABLE["base"], case["new_patch"])
        for event in diff_snapshots(TABLE["base"], new):
            assert json.loads(json.dumps(event.details, ensure_ascii=False)) == event.details, case["name"]
    here = _events_json()
    code = "from tests.tracker.test_diff_golden import _events_json; print(_events_json())"
    for seed in ("1", "2"):
        other = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        assert other == here


def test_reverse_diff_mirrors_the_forward_one() -> None:
    new = merge_patch(TABLE["base"], TABLE["cases"][3]["new_patch"])  # a target added
    assert [e.kind for e in diff_snapshots(new, TABLE["base"])] == ["target_removed"]


TARGET_KEYS = list(TABLE["base"]["targets"])


@given(
    key=st.sampled_from(TARGET_KEYS),
    value=st.one_of(st.integers(0, 10_000), st.floats(0, 10_000, allow_nan=False).map(lambda v: round(v, 2))),
)
def test_changing_one_value_reports_exactly_that_target(key: str, value: float) -> None:
    old = TABLE["base"]
    new = copy.deepcopy(old)
    new["targets"][key]["value"] = value
    events = diff_snapshots(old, new)
    if old["targets"][key]["value"] == value:
        assert events == []
    else:
        assert [(e.kind, e.details["key"]) for e in events] == [("target_changed", key)]
        assert events[0].details["new"]["value"] == value


# A paragraph of punctuation alone is noise, not an addition: words are drawn first.
WORDS = st.text(alphabet="加快推进城市更新行动", min_size=1, max_size=30)


@given(position=st.integers(0, 5), text=WORDS.map(lambda words: words + "。"))
def test_an_inserted_paragraph_is_one_addition(position: int, text: str) -> None:
    old = TABLE["base"]
    new = copy.deepcopy(old)
    new["paragraphs"].insert(position, text)
    events = diff_snapshots(old, new)
    assert [e.kind for e in events] == ["content_changed"]
    assert (events[0].details["added"], events[0].details["edited"], events[0].details["removed"]) == (
        1,
        0,
        0,
    )
