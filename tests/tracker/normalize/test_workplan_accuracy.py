"""Targets of work plans that open with a review of last year: precision and recall against a gold list.

The plans (tests/fixtures/workplans/) review the past first (过去一年, 2023年工作回顾, 一年来,
“十三五”期间, 去年 …) and then commit to targets; the gold lists hold the commitments only,
hand-checked. A target matches a gold entry with the same canonical quantity whose indicator
equals it or contains it (a verb such as 新增 may be kept in one of the two), each entry once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.tracker.normalize.test_targets import seed_paragraphs
from tracker.normalize.targets import extract
from tracker.normalize.units import canonical, exact

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "workplans"
GOLD: dict[str, list[list[str | None]]] = json.loads((PLANS / "gold.json").read_text(encoding="utf-8"))[
    "plans"
]
GOAL = 0.95


def paragraphs(name: str) -> list[str]:
    if name.startswith("seed:"):
        return list(seed_paragraphs(name.removeprefix("seed:")))
    return [line for line in (PLANS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _gold_quantity(value: str | None, unit: str | None) -> Any:
    if value is None:
        return None
    number = exact(value)
    as_number = int(number) if number.denominator == 1 else float(number)
    return canonical(as_number, None, unit)


def _same_indicator(found: str, gold: str) -> bool:
    return found == gold or gold in found or found in gold


def score(name: str) -> tuple[int, int, int, list[str], list[str]]:
    """(true positives, found, gold size, unmatched found, unmatched gold) for one plan."""
    targets, _results = extract(paragraphs(name))
    gold = [(ind, _gold_quantity(val, unit)) for ind, val, unit in GOLD[name]]
    unmatched_gold = list(range(len(gold)))
    false_positives: list[str] = []
    hits = 0
    for target in targets.values():
        quantity = canonical(target["value"], target["value_max"], target["unit"])
        match = next(
            (
                i
                for i in unmatched_gold
                if gold[i][1] == quantity and _same_indicator(target["indicator"], str(gold[i][0]))
            ),
            None,
        )
        if match is None:
            false_positives.append(f"{target['indicator']} {target['value']}{target['unit'] or ''}")
        else:
            unmatched_gold.remove(match)
            hits += 1
    missed = [f"{gold[i][0]} {GOLD[name][i][1]}{GOLD[name][i][2] or ''}" for i in unmatched_gold]
    return hits, len(targets), len(gold), false_positives, missed


def test_the_fixture_set_is_large_enough_to_mean_something() -> None:
    assert len(GOLD) >= 6
    assert sum(len(rows) for rows in GOLD.values()) >= 100


def test_precision_and_recall_over_all_plans_meet_the_goal() -> None:
    hits = found = gold = 0
    for name in GOLD:
        h, f, g, _fp, _missed = score(name)
        hits, found, gold = hits + h, found + f, gold + g
    precision, recall = hits / found, hits / gold
    assert precision >= GOAL, precision
    assert recall >= GOAL, recall


@pytest.mark.parametrize("name", list(GOLD))
def test_each_plan_meets_the_goal(name: str) -> None:
    hits, found, gold, false_positives, missed = score(name)
    assert hits / max(found, 1) >= GOAL, false_positives
    assert hits / gold >= GOAL, missed


def test_review_figures_are_results_not_targets() -> None:
    targets, results = extract(paragraphs("district-2024-report.txt"))
    result_values = {(r["indicator"], r["value"]) for r in results.values()}
    assert ("地区生产总值", 8.5) in result_values
    assert ("PM2.5年均浓度", 28) in result_values
    assert all(t["value"] != 8.5 for t in targets.values())
    # same shape as targets
    assert all(set(r) == set(next(iter(targets.values()))) for r in results.values())


def test_a_sentence_turning_back_to_the_plan_is_a_target_again() -> None:
    targets, results = extract(
        ["新的一年，重点抓好以下工作。", "去年全市技改投入18.5亿元，今年力争突破20亿元。"]
    )
    assert [(t["indicator"], t["value"]) for t in targets.values()] == [("技改投入", 20)]
    assert [(r["indicator"], r["value"]) for r in results.values()] == [("技改投入", 18.5)]


def test_compared_with_last_year_in_a_plan_is_still_a_target() -> None:
    targets, results = extract(["主要预期目标：一般公共预算收入比上年增长5%，地区生产总值较上年增长6%左右。"])
    assert [(t["indicator"], t["value"]) for t in targets.values()] == [
        ("一般公共预算收入", 5),
        ("地区生产总值", 6),
    ]
    assert results == {}


def test_pm25_concentration_target_is_extracted() -> None:
    targets = extract(["PM2.5年均浓度控制在25微克/立方米左右。"])[0]
    (target,) = targets.values()
    assert (target["indicator"], target["value"], target["unit"], target["qualifier"]) == (
        "PM2.5年均浓度",
        25,
        "微克/立方米",
        "左右",
    )


def test_a_plan_without_any_review_keeps_every_target() -> None:
    # seed 003 commits from its first paragraph on: nothing in it is a result
    targets, results = extract(list(seed_paragraphs("003")))
    assert results == {}
    assert len(targets) > 50
