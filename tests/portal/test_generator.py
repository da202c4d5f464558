"""The portal generator: deterministic per seed, gold consistent with the pages it serves."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest

from portal.generator import generate, render
from portal.generator.model import Portal
from portal.generator.quantities import base, spellings

SMALL = {"sites": 3, "docs_per_site": 12}


@pytest.fixture(scope="module")
def portal() -> Portal:
    return generate(7, **SMALL)


def _pages(p: Portal, state: int) -> dict[tuple[int, str], bytes]:
    return {
        (s.index, d.path): render.detail_page(p, s, d, state).body
        for s in p.sites
        for d in s.docs
        if d.live(state)
    }


def test_same_seed_same_portal() -> None:
    a, b = generate(11, **SMALL), generate(11, **SMALL)
    assert json.dumps(a.gold_json(), ensure_ascii=False) == json.dumps(b.gold_json(), ensure_ascii=False)
    assert _pages(a, 0) == _pages(b, 0)
    assert _pages(a, 3) == _pages(b, 3)


def test_different_seeds_differ() -> None:
    a, b = generate(11, **SMALL), generate(12, **SMALL)
    assert a.gold_json()["transitions"] != b.gold_json()["transitions"]
    assert set(_pages(a, 0).values()).isdisjoint(_pages(b, 0).values())
    mixes = {tuple(s.dialect for s in generate(seed, sites=4, docs_per_site=2).sites) for seed in range(1, 9)}
    assert len(mixes) >= 6
    dialects_seen = {d for mix in mixes for d in mix}
    assert {"hanweb", "trs", "govcn", "news", "wuxi"} <= dialects_seen


def test_every_kind_of_event_occurs(portal: Portal) -> None:
    kinds = Counter(e.kind for t in portal.transitions for e in t.events)
    for kind in (
        "document_added",
        "document_removed",
        "document_restored",
        "target_changed",
        "target_added",
        "target_removed",
        "metadata_changed",
        "content_changed",
    ):
        assert kinds[kind] >= 1, kind


def test_gold_events_refer_to_pages_of_the_right_state(portal: Portal) -> None:
    for trans in portal.transitions:
        k = trans.state
        for e in trans.events:
            found = portal.find(e.site, e.path)
            assert found is not None, e
            doc, _attachment = found
            before, after = doc.live(k - 1), doc.live(k)
            if e.kind == "document_added":
                assert after and not before and all(c is None for c in doc.contents[:k])
            elif e.kind == "document_removed":
                assert before and doc.status[k] in (404, 410)
            elif e.kind == "document_restored":
                assert after and not before and any(c is not None for c in doc.contents[:k])
            else:
                assert before and after, e
            if e.kind.startswith("target_") and e.kind != "target_removed":
                assert e.new is not None
                page = render.detail_page(portal, portal.sites[e.site], doc, k, quiet=True).body.decode()
                assert e.new["text"] in page
                assert e.new["base_value"] == base(e.new["value"], e.new["unit"])[0]  # type: ignore[index]
            if e.kind == "target_removed":
                assert e.old is not None
                page = render.detail_page(portal, portal.sites[e.site], doc, k, quiet=True).body.decode()
                assert e.old["text"] not in page
            if e.kind == "metadata_changed":
                content = doc.contents[k]
                assert content is not None
                assert e.value == (content.title if e.field == "title" else content.meta()[e.field or ""])


def test_noise_only_documents_differ_only_in_noise(portal: Portal) -> None:
    """Without their noise, a noise-only document's two pages are the same bytes; with it they
    differ; and a document with gold events differs without noise too."""
    noisy = 0
    for trans in portal.transitions:
        k = trans.state
        for site in portal.sites:
            for doc in site.docs:
                if not (doc.live(k - 1) and doc.live(k)):
                    continue
                key = (site.index, doc.path)
                quiet_a = render.detail_page(portal, site, doc, k - 1, quiet=True).body
                quiet_b = render.detail_page(portal, site, doc, k, quiet=True).body
                detail_events = [e for e in trans.events if (e.site, e.path) == key]
                if key in trans.noise:
                    assert not detail_events
                    assert quiet_a == quiet_b, key
                    loud_a = render.stripped(render.detail_page(portal, site, doc, k - 1).body)
                    loud_b = render.stripped(render.detail_page(portal, site, doc, k).body)
                    noisy += loud_a != loud_b
                else:
                    assert detail_events, key
                    assert quiet_a != quiet_b, key
    assert noisy > 0


def test_noise_kinds_are_what_the_pages_show(portal: Portal) -> None:
    kinds = Counter(kind for t in portal.transitions for ks in t.noise.values() for kind in ks)
    for kind in ("counter", "clock", "sidebar", "number_rewrite", "whitespace", "attributes"):
        assert kinds[kind] > 0, kind
    # a number rewrite is visible: some target is written differently in the two states
    trans = portal.transitions[0]
    for (s, path), ks in trans.noise.items():
        if "number_rewrite" not in ks:
            continue
        found = portal.find(s, path)
        assert found is not None
        doc = found[0]
        a = render.detail_page(portal, portal.sites[s], doc, 0).body
        b = render.detail_page(portal, portal.sites[s], doc, 1).body
        assert a != b
        break


def test_equal_spellings_are_equal_quantities() -> None:
    for value, unit in [("1147", "亿元"), ("214", "万平方米"), ("10000", "个"), ("5.5", "%"), ("500", "家")]:
        options = spellings(Decimal(value), unit)
        assert len(options) >= 2, options
    assert "0.1147万亿元" in spellings(Decimal("1147"), "亿元")
    assert "1,147亿元" in spellings(Decimal("1147"), "亿元")
    assert "2140000平方米" in spellings(Decimal("214"), "万平方米")
    assert "1万个" in spellings(Decimal("10000"), "个")
    assert "五百家" in spellings(Decimal("500"), "家")
    assert "５．５%" in spellings(Decimal("5.5"), "%")
    assert base(1147, "亿元") == (1.147e11, "元")
    assert base("0.1147", "万亿元") == (1.147e11, "元")
    assert base(23, "公里") == (23000.0, "米")
    assert base(5, "万千瓦") == (50000.0, "千瓦")


def test_review_figures_are_not_in_the_gold(portal: Portal) -> None:
    reviews = 0
    for site in portal.sites:
        for doc in site.docs:
            content = doc.contents[0]
            if content is None:
                continue
            texts = {t.text(0) for t in content.targets()}
            for block in content.blocks:
                if block.kind == "review":
                    reviews += 1
                    assert not any(t in block.text for t in texts if any(ch.isdigit() for ch in t))
    assert reviews > 0


def test_target_events_quote_what_the_served_page_writes(portal: Portal) -> None:
    """``as_written`` is on the page as served (charset and 繁體 undone), the gold value is base units."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    checked = 0
    for trans in portal.transitions:
        k = trans.state
        for e in trans.events:
            if e.kind not in ("target_changed", "target_added") or e.new is None:
                continue
            found = portal.find(e.site, e.path)
            assert found is not None
            site, doc = portal.sites[e.site], found[0]
            codec = "utf-8" if site.states[k].encoding == "utf-8" else "gb18030"
            text = t2s.convert(render.detail_page(portal, site, doc, k).body.decode(codec))
            assert e.new["as_written"] in text, e
            based = base(e.new["value"], e.new["unit"])
            assert based is not None and based[0] == e.new["base_value"]
            checked += 1
    assert checked > 0
