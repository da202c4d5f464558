"""Charset choice and decoding: header, BOM, <meta>, then detection; deterministic for the same bytes."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

from charset_normalizer import from_bytes

from tracker.normalize.chinese import to_simplified
from tracker.normalize.errors import NotHtml, Undecodable

# Chinese sites label GB18030 content with its subsets; the superset decodes all of them.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
# Browser labels Python's codec registry does not know.
_ALIASES = {
    "x-gbk": "gbk",
    "x-gb2312": "gb2312",
    "x-euc-cn": "gb2312",
    "csgb2312": "gb2312",
    "gb_2312-80": "gb2312",
    "chinese": "gb2312",
    "x-x-big5": "big5",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-8": "utf-8",
}
# Labels that say nothing reliable about a Chinese page: default server configs emit them.
_WEAK = {"latin_1", "iso8859-1", "ascii", "cp1252", "windows-1252"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",  # docx, xlsx, zip
    b"\xd0\xcf\x11\xe0",  # doc, xls (OLE)
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"{\\rtf",
)
_META_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
_NON_HTML_TYPES = ("application/pdf", "application/msword", "application/vnd.", "image/", "application/zip")
# Above this share of replacement characters the text would be invented rather than decoded.
MAX_REPLACED_SHARE = 0.05
# Below this share a declared or usual encoding with a few bad bytes beats a statistical guess.
MIN_REPAIRABLE_SHARE = 0.005
MIN_COMMON_HAN = 0.75
MIN_HAN_SAMPLE = 20
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str
    warnings: tuple[str, ...] = ()


def canonical_codec(label: str | None) -> str | None:
    """Python codec name for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WIDEN.get(name, name)


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    content_type = _content_type(headers)
    match = _HEADER_RE.search(content_type) if content_type else None
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_RE.search(body[:8192])
    return match.group(1).decode("ascii", "replace") if match else None


def bom_charset(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _content_type(headers: Mapping[str, str] | None) -> str:
    if not headers:
        return ""
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value
    return ""


def check_html(body: bytes, headers: Mapping[str, str] | None) -> None:
    """Raise NotHtml for documents and binaries a page fetch can return instead of a page."""
    content_type = _content_type(headers).lower()
    if content_type.startswith(_NON_HTML_TYPES):
        raise NotHtml(f"content type {content_type.split(';')[0]}")
    head = body.lstrip()[:8]
    if head.startswith(_BINARY_MAGIC):
        raise NotHtml("binary document")
    # NUL bytes mean a binary, unless the page is UTF-16/32 (by its BOM or its header's charset).
    wide = bom_charset(body) or canonical_codec(header_charset(headers)) or ""
    if not wide.startswith(("utf-16", "utf-32")) and b"\x00" in body[:4096]:
        raise NotHtml("binary bytes (NUL) in the page head")


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _has_multibyte_utf8(body: bytes) -> bool:
    return any(b >= 0x80 for b in body[:65536])


def decode(body: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode a page: a declared charset is used only when the bytes agree with it."""
    bom = bom_charset(body)
    if bom:
        text = body.decode(bom, errors="replace")
        return _checked(text.lstrip("\ufeff"), bom, ("charset from BOM",) if "\ufffd" in text else ())
    warnings: list[str] = []
    declared = [
        (source, canonical_codec(label))
        for source, label in (("header", header_charset(headers)), ("meta", meta_charset(body)))
        if label
    ]
    # Valid UTF-8 with multibyte sequences is almost never another encoding by accident,
    # so it wins over a GBK label (pages converted to UTF-8 keep their old <meta>).
    utf8 = _strict(body, "utf-8")
    for source, codec in declared:
        if codec is None:
            warnings.append(f"unknown charset label in {source}")
            continue
        if codec in _WEAK:
            continue
        if utf8 is not None and codec != "utf-8" and _has_multibyte_utf8(body):
            warnings.append(f"{source} says {codec}, bytes are UTF-8")
            return Decoded(utf8, "utf-8", tuple(warnings))
        agreed = utf8 if codec == "utf-8" else _strict(body, codec)
        if agreed is not None:
            return Decoded(agreed, codec, tuple(warnings))
        warnings.append(f"{source} says {codec}, bytes disagree")
    return _detect(body, utf8, [codec for _, codec in declared if codec], warnings)


def _detect(body: bytes, utf8: str | None, declared: list[str], warnings: list[str]) -> Decoded:
    if utf8 is not None:
        return Decoded(utf8, "utf-8", tuple(warnings))
    gb = _strict(body, "gb18030")
    if gb is not None and common_han_share(gb) >= MIN_COMMON_HAN:
        return Decoded(gb, "gb18030", (*warnings, "charset detected"))
    # A few corrupt bytes in an otherwise consistent page: keep the encoding that loses least.
    # Ties go to the earliest candidate, so the same bytes always give the same text.
    candidates = list(dict.fromkeys([*declared, "utf-8", "gb18030"]))
    scored = []
    for codec in candidates:
        text = body.decode(codec, errors="replace")
        scored.append((text.count("\ufffd"), candidates.index(codec), codec, text))
    lost, _, codec, text = min(scored)
    if lost <= MIN_REPAIRABLE_SHARE * max(len(text), 1) and _plausible(text):
        return _checked(text, codec, tuple(warnings))
    for match in from_bytes(body[:262144]):
        guessed = canonical_codec(match.encoding)
        if guessed is None:
            continue
        text = body.decode(guessed, errors="replace")
        if _plausible(text):
            return _checked(text, guessed, (*warnings, f"charset detected as {guessed}"))
    raise Undecodable("no charset gives readable text")


def common_han_share(text: str) -> float:
    """Share of Han characters that are everyday ones (GB2312 level 1 once simplified).

    Chinese prose scores above 0.9; other CJK encodings read as GBK land on rare characters.
    """
    han = "".join(_HAN.findall(text[:8000]))[:400]
    if len(han) < MIN_HAN_SAMPLE:
        return 0.0
    encoded = to_simplified(han).encode("gb2312", errors="replace")
    common = total = i = 0
    while i < len(encoded):
        lead = encoded[i]
        if lead < 0x80:  # "?" for a character outside GB2312
            total += 1
            i += 1
            continue
        total += 1
        common += 0xB0 <= lead <= 0xD7
        i += 2
    return common / total


def _plausible(text: str) -> bool:
    han = _HAN.findall(text[:8000])
    return sum(map(len, han)) < MIN_HAN_SAMPLE or common_han_share(text) >= MIN_COMMON_HAN


def _checked(text: str, codec: str, warnings: tuple[str, ...]) -> Decoded:
    replaced = text.count("\ufffd")
    if replaced and replaced > MAX_REPLACED_SHARE * max(len(text), 1):
        raise Undecodable(f"{replaced} of {len(text)} characters undecodable as {codec}")
    if replaced:
        warnings = (*warnings, f"{replaced} undecodable bytes replaced")
    return Decoded(text, codec, warnings)
