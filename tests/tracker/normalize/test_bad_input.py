"""Bad input: every call ends in a page or a typed NormalizeError, never a crash or an invented document."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from tests.conftest import examples
from tests.tracker.normalize.pages import page
from tracker.normalize import (
    EmptyBody,
    NoContent,
    NormalizeError,
    NotHtml,
    TooLarge,
    Undecodable,
    normalize,
)

BASE = "wuxi-2024-priorities.html"
ORIGINAL = normalize(page(BASE)).snapshot["paragraphs"]


@pytest.mark.parametrize("body", [b"", b"   \r\n\t ", b"\n\n"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(EmptyBody) as info:
        normalize(body)
    assert info.value.reason == "empty"


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 40,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000,  # .doc (OLE)
        b"PK\x03\x04\x14\x00\x06\x00" + b"word/document.xml" + b"\x00" * 100,  # .docx
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR",
        bytes(random.Random(7).randrange(256) for _ in range(20000)),
    ],
    ids=["pdf", "doc", "docx", "png", "random"],
)
def test_binary_documents_are_not_html(body: bytes) -> None:
    with pytest.raises((NotHtml, Undecodable)):
        normalize(body)


def test_pdf_content_type_is_not_html() -> None:
    with pytest.raises(NotHtml):
        normalize(page(BASE), headers={"Content-Type": "application/pdf"})


def test_plain_text_without_markup_is_not_html() -> None:
    with pytest.raises(NotHtml):
        normalize("地区生产总值增长5.5%左右".encode())


def test_html_without_body_text_has_no_content() -> None:
    with pytest.raises(NoContent) as info:
        normalize(b"<html><head><title>x</title><script>var a=1;</script></head><body></body></html>")
    assert info.value.reason == "no_content"


@pytest.mark.slow
def test_a_50_mb_page_is_refused_as_too_large() -> None:
    body = page(BASE) * (50 * 1024 * 1024 // len(page(BASE)) + 1)
    assert len(body) >= 50 * 1024 * 1024
    with pytest.raises(TooLarge) as info:
        normalize(body)
    assert info.value.reason == "too_large"


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=1, max_value=len(page(BASE)) - 1))
def test_truncated_html_gives_a_prefix_of_the_document_or_an_error(cut: int) -> None:
    try:
        result = normalize(page(BASE)[:cut])
    except NormalizeError:
        return
    paragraphs = result.snapshot["paragraphs"]
    # Every paragraph is one of the page's, except the last one, cut short mid-way.
    assert paragraphs[:-1] == ORIGINAL[: len(paragraphs) - 1]
    assert ORIGINAL[len(paragraphs) - 1].startswith(paragraphs[-1].rstrip("\ufffd"))


ENCODINGS = ["utf-8", "gb18030", "gbk", "big5", "utf-16", "shift_jis", "euc-kr", "latin-1", "cp1252"]
INVALID = [b"\xff", b"\x80", b"\xfe\xfe", b"\xc3\x28", b"\xe2\x82", b"\x81\x30", b"\xa1", b"\xed\xa0\x80"]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    encoding=st.sampled_from(ENCODINGS),
    spots=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=6),
    junk=st.lists(st.sampled_from(INVALID), min_size=6, max_size=6),
)
# `<\ufffddiv id="zoom">`: the body's container turned into text, the body found by density.
@example(encoding="gb18030", spots=[0.13389863597884413], junk=[b"\xff"] * 6)
# the same spot with a valid GBK pair (a private-use character) instead of undecodable bytes
@example(
    encoding="gb18030", spots=[1.0, 1.0, 1.0, 0.13389863597884413], junk=[b"\xff"] * 3 + [b"\xfe\xfe"] * 3
)
# `</scr\u9227ipt>`: a valid pair inside the name of the end tag, the script never ended
@example(encoding="gbk", spots=[0.015201893091178587], junk=[b"\xe2\x82"] * 6)
# `<\ue4c6iv`: the junk's lead byte took the tag name's first letter as its trail byte
@example(encoding="gbk", spots=[0.13389863597884413], junk=[b"\xa1"] * 6)
# UTF-16 put out of step by one byte, back in step five bytes later
@example(
    encoding="utf-16",
    spots=[0.5, 0.5, 0.5, 0.2017852450343734],
    junk=[b"\xff", b"\xfe\xfe", b"\xfe\xfe", b"\xff", b"\xff", b"\xff"],
)
# ... and out of step right after a `<` that follows Chinese text: `</title>` must stay whole
@example(
    encoding="utf-16",
    spots=[0.558566172971783, 0.6897938705184764, 0.014130832310066177],
    junk=[b"\xc3(", b"\xff", b"\xed\xa0\x80", b"\xff", b"\xff", b"\xff"],
)
# ... and out of step between a letter and its zero byte (`d` FF 00): `<div` must keep its `d`
@example(encoding="utf-16", spots=[0.20693152297472533], junk=[b"\xff"] * 6)
# ... and an even run there, in step but pairing the letter with junk (`d` FE FE 00)
@example(encoding="utf-16", spots=[0.20693152297472533], junk=[b"\xfe\xfe"] + [b"\xff"] * 5)
# one corrupt byte in a Big5 page: no detector names a codec the bytes break somewhere
@example(encoding="big5", spots=[0.5], junk=[b"\xff"] * 6)
def test_invalid_bytes_in_any_encoding_give_a_typed_result(
    encoding: str, spots: list[float], junk: list[bytes]
) -> None:
    try:
        result = normalize(_corrupted(encoding, spots, junk))
    except NormalizeError as exc:
        assert exc.reason in {"empty", "not_html", "too_large", "undecodable", "no_content"}
        return
    _assert_damage_is_local(result.snapshot, len(spots))


def _corrupted(encoding: str, spots: list[float], junk: list[bytes]) -> bytes:
    body = bytearray(page(BASE).decode("utf-8").encode(encoding, errors="xmlcharrefreplace"))
    for spot, bad in zip(sorted(spots, reverse=True), junk, strict=False):
        at = int(spot * len(body))
        body[at:at] = bad
    return bytes(body)


def _assert_damage_is_local(snapshot: dict[str, Any], runs: int) -> None:
    # Not invented: apart from the paragraphs the junk landed in (and a mis-decoded quote mark
    # here and there), every paragraph is one of the page's own.
    foreign = [
        p
        for i, p in enumerate(snapshot["paragraphs"])
        if i not in snapshot["damaged"]
        and process.extractOne(p, ORIGINAL, scorer=fuzz.ratio, score_cutoff=90) is None
    ]
    assert len(foreign) <= runs
    # Nor lost: every paragraph of the page is still there, but for one per corrupt run.
    missing = [
        p
        for p in ORIGINAL
        if process.extractOne(p, snapshot["paragraphs"], scorer=fuzz.ratio, score_cutoff=90) is None
    ]
    assert len(missing) <= runs


@pytest.mark.parametrize(
    ("encoding", "spots", "junk"),
    [
        ("gb18030", [0.13389863597884413], [b"\xff"]),  # `<\ufffddiv id="zoom">`
        ("gbk", [0.015201893091178587], [b"\xe2\x82"]),  # `</scr\u9227ipt>`
        ("gbk", [0.13389863597884413], [b"\xa1"]),  # `<\ue4c6iv`
        ("big5", [0.5], [b"\xff"]),  # no detector names a codec the bytes break
        ("shift_jis", [0.5], [b"\x810"]),
        ("euc-kr", [0.5], [b"\xff"]),
        ("utf-16", [0.5], [b"\xff"]),  # out of step to the end
        (
            "utf-16",
            [0.558566172971783, 0.6897938705184764, 0.014130832310066177],
            [b"\xc3(", b"\xff", b"\xed\xa0\x80"],
        ),
    ],
)
def test_a_corrupt_run_never_costs_the_page(encoding: str, spots: list[float], junk: list[bytes]) -> None:
    result = normalize(_corrupted(encoding, spots, junk))
    _assert_damage_is_local(result.snapshot, len(spots))


def test_same_bytes_always_same_text() -> None:
    body = bytearray(page("changzhou-2021-key-work.html"))
    body[5000:5000] = b"\xff\xff"
    results = {normalize(bytes(body)).fingerprint for _ in range(3)}
    assert len(results) == 1
