"""The accuracy benchmark's scoring: a perfect reporter scores 1, every kind of mistake is counted."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from portal.generator import GeneratedPortal
from portal.generator.model import GoldEvent

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def accuracy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "bench" / "accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_accuracy"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gp() -> Iterator[GeneratedPortal]:
    with GeneratedPortal(seed=4, sites=3, docs_per_site=10) as portal:
        yield portal


def _event(gp: GeneratedPortal, g: GoldEvent, token: str = "") -> dict[str, Any]:
    """What a govwatch that is always right would print for a gold event."""
    url = gp.url(g.site, g.path)
    if token:
        url += ("&" if "?" in url else "?") + f"uid={token}&utm_source=x"
    details: dict[str, Any] = {}
    if g.kind.startswith("target_"):
        side = lambda q: None if q is None else {**q, "text": q["as_written"]}  # noqa: E731
        details = {"indicator": "新增" + (g.indicator or ""), "new": side(g.new), "old": side(g.old)}
    elif g.kind == "metadata_changed":
        details = {"field": g.field, "old": "", "new": g.value}
    return {"id": 0, "url": url, "kind": g.kind, "details": details}


def test_a_perfect_reporter_scores_one(accuracy: ModuleType, gp: GeneratedPortal) -> None:
    score = accuracy.Score()
    for trans in gp.portal.transitions:
        events = [_event(gp, g, token=f"{trans.state}abc") for g in trans.events]
        accuracy.score_transition(gp.portal, trans.state, events, gp, score)
    assert score.documents.precision == 1.0 and score.documents.recall == 1.0
    assert score.targets.tp > 0 and score.targets.precision == 1.0 and score.targets.recall == 1.0
    assert score.metadata.tp > 0 and score.metadata.precision == 1.0 and score.metadata.recall == 1.0
    assert score.doc_events.recall == 1.0
    assert score.false_alarm_docs == 0 and score.false_removals == 0
    assert score.noise_docs > 0


def test_mistakes_are_counted(accuracy: ModuleType, gp: GeneratedPortal) -> None:
    trans = gp.portal.transitions[1]
    k = trans.state
    events = [_event(gp, g) for g in trans.events]
    target = next(i for i, g in enumerate(trans.events) if g.kind == "target_changed")
    wrong = dict(events[target])
    new = dict(wrong["details"]["new"])
    new["value"] = new["value"] + 1
    wrong["details"] = {**wrong["details"], "new": new}
    events[target] = wrong  # right document and indicator, wrong quantity
    missing = next(i for i, g in enumerate(trans.events) if g.kind == "metadata_changed" and i != target)
    del events[missing]
    faulted = sorted(trans.faulted)
    noise_key = faulted[0] if faulted else sorted(trans.noise)[0]
    events.append({"id": 0, "url": gp.url(*noise_key), "kind": "document_removed", "details": {}})
    score = accuracy.Score()
    accuracy.score_transition(gp.portal, k, events, gp, score)
    assert score.targets.fp == 1 and score.targets.fn == 1
    assert score.metadata.fn == 1
    assert score.false_alarm_docs == 1 and score.false_removals == 1
    assert score.false_removals_faulted == (1 if faulted else 0)
    assert score.documents.fp == 1


def test_quantity_rule(accuracy: ModuleType) -> None:
    gold = {"base_value": 1.147e11, "base_unit": "元", "qualifier": ""}
    assert accuracy.quantity_matches(gold, {"value": 0.1147, "unit": "万亿元"}, False)
    assert accuracy.quantity_matches(gold, {"value": 1147, "unit": "亿元"}, False)
    assert accuracy.quantity_matches(gold, {"value": 1.147e11, "unit": "元"}, False)
    assert not accuracy.quantity_matches(gold, {"value": 1147, "unit": "万元"}, False)
    assert not accuracy.quantity_matches(gold, {"value": 1147, "unit": "亿美元"}, False)
    pct = {"base_value": 6.0, "base_unit": "%", "qualifier": "以上"}
    assert accuracy.quantity_matches(pct, {"value": 6, "unit": "%", "qualifier": "以上"}, True)
    assert not accuracy.quantity_matches(pct, {"value": 6, "unit": "%", "qualifier": "左右"}, True)


def test_indicator_rule(accuracy: ModuleType) -> None:
    def event(indicator: str, text: str = "") -> dict[str, Any]:
        return {"details": {"indicator": indicator, "new": {"text": text}}}

    assert accuracy.indicator_matches("规上工业企业", event("新增规上工业企业"))
    assert accuracy.indicator_matches("地区生产总值", event("全区地区生产总值"))
    assert accuracy.indicator_matches("地区生产总值", event("地區生產總值"))
    assert accuracy.indicator_matches("PM2.5年均浓度", event("浓度", "PM2.5年均浓度控制在25微克/立方米左右"))
    assert not accuracy.indicator_matches("地区生产总值", event("一般公共预算收入"))
    assert not accuracy.indicator_matches("地区生产总值", event("值"))


def test_documents_keyed_by_a_sorted_query_are_the_gold_documents(accuracy: ModuleType) -> None:
    """govwatch keys ``index.php?m=content&c=index&a=show&id=1`` by its canonical URL, whose query
    is sorted (``?a=show&c=index&id=1&m=content``): still the gold document."""
    from w3lib.url import canonicalize_url

    with GeneratedPortal(seed=4, sites=1, docs_per_site=10, dialects=["cms-php"]) as php:
        score = accuracy.Score()
        found = {accuracy.doc_key(php, canonicalize_url(php.url(s, p))) for s, p in php.portal.documents(0)}
        accuracy._discovery(php.portal, found, score, None)
        assert score.discovery_total > 0 and score.discovery_found == score.discovery_total
        for trans in php.portal.transitions:
            events = [_event(php, g) for g in trans.events]
            for e in events:
                e["url"] = canonicalize_url(e["url"])
            accuracy.score_transition(php.portal, trans.state, events, php, score)
        assert score.documents.tp > 0
        assert score.documents.precision == 1.0 and score.documents.recall == 1.0
        assert score.events_on_other_pages == 0
