"""Charset choice and decoding: header, BOM, <meta>, then detection; deterministic for the same bytes."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

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
# Multi-byte codecs a detector names for CJK pages besides UTF-8 and GB18030 (tried separately).
_OTHER_CJK = ("big5hkscs", "cp932", "cp949", "euc_jp")
_DETECT_SAMPLE = 262144
# How far back from an undecodable byte to look for the `<` of the tag it may sit in.
_TAG_LOOKBACK = 4096
# The codecs whose `<` and `>` bytes can be halves of other characters; in every other codec
# a page can use they are always those characters.
_WIDE = ("utf-16", "utf_16", "utf-32", "utf_32")
_LOCAL = "govwatch-local"
# ASCII characters in a row whose zero bytes, on the other half of the pairs, show that a UTF-16
# text has gone out of step.
_STEP_EVIDENCE = 4
_ZERO = re.compile(b"\x00")
# The other byte of a lone in-step zero byte that makes it an ASCII character: U+0A00, U+2200,
# U+2F00 and U+3C00-U+3E00 blocks are not Chinese text.
_MARKUP_BYTES = (b"<", b">", b'"', b"/", b"=", b"\n")
# A corrupt run inside a tag's name turns the tag into text or into an unknown element (a
# browser shows the same), and `</scr?ipt>` never ends the script: the rest of the page goes.
# What sits between `<` and the end of a name is never markup when, without it, the name is a
# known element's: anything but a letter, space or `/!?:<>"'=-` there is dropped.
_ELEMENTS = (
    "a|abbr|article|aside|b|big|blockquote|body|br|button|caption|center|col|colgroup|dd|div|dl|dt"
    "|em|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|link|main|meta|nav"
    "|ol|option|p|pre|script|section|select|small|span|strong|style|sub|sup|table|tbody|td|textarea"
    "|tfoot|th|thead|title|tr|u|ul"
)
_ELEMENT = re.compile(rf"(?:{_ELEMENTS})", re.IGNORECASE)
_JUNK = "[^A-Za-z\\s/!?:<>\"'=-]"
_BROKEN_NAME = re.compile(rf"<(/?)((?:[A-Za-z][A-Za-z0-9]*+)?)({_JUNK}{{1,4}})(/?)([A-Za-z0-9]*)(?=[\s/>])")
_NOT_ALNUM = re.compile("[^A-Za-z0-9]")
# Two corrupt bytes inserted inside a UTF-16 character pair it with half of each: the character
# before them keeps its ASCII byte under a junk one. Two such characters break a whole page: a
# quote in a tag (the attribute value then runs on through the text) and the `<` of an end tag
# (`</script>` that never ends the script); each is a non-ASCII character whose low byte is it.
_SPLIT_END_TAG = re.compile(rf"([^\x00-\xff])(?=/(?:{_ELEMENTS})>)", re.IGNORECASE)
_TAG = re.compile(r"<[A-Za-z][^<>]*>")


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


def _in_tag(body: bytes, at: int) -> bool:
    """Whether byte `at` sits inside a tag: after a `<` that opens one and before its `>`."""
    low = max(0, at - _TAG_LOOKBACK)
    opened = body.rfind(b"<", low, at)
    if opened < 0 or opened < body.rfind(b">", low, at):
        return False
    after = body[opened + 1 : opened + 2]
    return opened + 1 == at or after.isalpha() or after in (b"/", b"!", b"?")


def _local_replacement(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: an undecodable run in text becomes U+FFFD (the paragraph is marked
    damaged); inside a tag it is dropped, since U+FFFD there would break the tag and with it the
    structure of the rest of the page. Either way the codec of the page is kept."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    body = exc.object if isinstance(exc.object, bytes) else bytes(exc.object)
    if not exc.encoding.lower().startswith(_WIDE) and _in_tag(body, exc.start):
        return "", exc.end
    return "\ufffd", exc.end


codecs.register_error(_LOCAL, _local_replacement)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _has_multibyte_utf8(body: bytes) -> bool:
    return any(b >= 0x80 for b in body[:65536])


def decode(body: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode a page: a declared charset is used only when the bytes agree with it."""
    decoded = _decode(body, headers)
    return replace(decoded, text=_mend_tags(decoded.text, decoded.charset))


def _mend_tags(text: str, codec: str) -> str:
    """Tags a corrupt run broke, whole again (see _BROKEN_NAME and, for UTF-16, _SPLIT_END_TAG)."""
    if codec.lower().startswith(_WIDE):
        text = _mend_split_pairs(text)
    if _BROKEN_NAME.search(text) is None:
        return text
    # In a multi-byte codec the run's last lead byte may have taken a letter of the name as trail.
    narrow = not codec.lower().startswith(_WIDE)

    def mend(match: re.Match[str]) -> str:
        opening, head, junk, slash, tail = match.groups()
        if _ELEMENT.fullmatch(head + junk + tail) or (slash and head):
            return match.group()
        names = [head + tail, head + _NOT_ALNUM.sub("", junk) + tail]
        if narrow and junk[-1] > "\x7f":
            trail = junk[-1].encode(codec, errors="ignore")[-1:]
            if trail.isalpha():
                names.insert(0, head + trail.decode("ascii") + tail)
        elif not narrow:
            # In UTF-16 a run between a letter and its zero byte pairs the letter with a junk
            # byte (`d` FE FE 00 reads U+FE64 U+00FE): the letter is one half of a junk character.
            halves = (chr(b) for ch in junk for b in (ord(ch) & 0xFF, ord(ch) >> 8 & 0xFF))
            names[:0] = [head + h + tail for h in halves if h.isascii() and h.isalpha()]
        name = next((n for n in names if _ELEMENT.fullmatch(n)), None)
        return match.group() if name is None else f"<{opening or slash}{name}"

    return _BROKEN_NAME.sub(mend, text)


def _mend_split_pairs(text: str) -> str:
    text = _SPLIT_END_TAG.sub(lambda m: "<" if ord(m.group(1)) & 0xFF == 0x3C else m.group(1), text)

    def requote(match: re.Match[str]) -> str:
        tag = match.group()
        for quote in "\"'":
            if tag.count(quote) % 2:
                tag = "".join(quote if ch > "\xff" and ord(ch) & 0xFF == ord(quote) else ch for ch in tag)
        return tag

    return _TAG.sub(requote, text)


def _decode(body: bytes, headers: Mapping[str, str] | None) -> Decoded:
    bom = bom_charset(body)
    if bom:
        damaged = "\ufffd" in body.decode(bom, errors="replace")
        return _lenient(body, bom, ("charset from BOM",) if damaged else ())
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
        return _lenient(body, codec, warnings)
    for match in from_bytes(body[:_DETECT_SAMPLE]):
        guessed = canonical_codec(match.encoding)
        if guessed is None:
            continue
        text = body.decode(guessed, errors="replace")
        if _plausible(text):
            return _lenient(body, guessed, (*warnings, f"charset detected as {guessed}"))
    # A detector drops every codec the bytes break somewhere, so one corrupt run would leave the
    # page undecodable. A codec that loses only a few bytes, and that the detector names once
    # those bytes are cut out, is the page's codec.
    for codec in _OTHER_CJK:
        text = body.decode(codec, errors="replace")
        lost = text.count("\ufffd")
        if not lost or lost > MIN_REPAIRABLE_SHARE * len(text) or not _plausible(text):
            continue
        sound = text.replace("\ufffd", "").encode(codec, errors="ignore")[:_DETECT_SAMPLE]
        best = from_bytes(sound).best()
        if best is not None and canonical_codec(best.encoding) == codec:
            return _lenient(body, codec, (*warnings, f"charset detected as {codec}"))
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


def _lenient(body: bytes, codec: str, warnings: tuple[str, ...] | list[str]) -> Decoded:
    """The page in its codec, each corrupt run replaced where it sits: _local_replacement, and
    for UTF-16 _utf16_in_step."""
    cuts = 0
    if codec.startswith("utf-16"):
        text, cuts = _utf16_in_step(body, codec)
    else:
        text = body.decode(codec, errors="replace")
    marks = text.count("\ufffd")
    if marks > MAX_REPLACED_SHARE * max(len(text), 1):
        raise Undecodable(f"{marks} of {len(text)} characters undecodable as {codec}")
    if marks and not cuts and not codec.startswith("utf-16"):
        text = body.decode(codec, errors=_LOCAL)
    if cuts:
        warnings = (*warnings, f"{cuts} UTF-16 runs out of step cut out")
    if marks > cuts:
        warnings = (*warnings, f"{marks - cuts} undecodable bytes replaced")
    return Decoded(text.lstrip("\ufeff"), codec, tuple(warnings))


def _utf16_in_step(body: bytes, codec: str) -> tuple[str, int]:
    """UTF-16 text read in step, and how many runs were cut to stay so.

    An odd number of corrupt bytes puts every later character out of step: the zero byte of each
    ASCII character moves to the other half of its pair. Where the zero bytes change sides for
    good, the bytes since the last in-step zero byte are cut out and marked with U+FFFD, so the
    damage stays in the text it sits in.
    """
    bom = body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and codec == "utf-16"
    little = codec.endswith("le") or (codec == "utf-16" and not body.startswith(codecs.BOM_UTF16_BE))
    unit = "utf-16-le" if little else "utf-16-be"
    start = 2 if bom else 0
    # Offset (from the first unit) of a zero byte in step: the high byte, second in little endian.
    high = 1 if little else 0
    zeros = [m.start() for m in _ZERO.finditer(body, start)]
    pieces: list[str] = []
    last_good, cuts = None, 0
    for i, zero in enumerate(zeros):
        # Evidence on either side is a run of ASCII characters: zero bytes two apart. A lone
        # zero byte is as likely a CJK character's (U+4E00 一 is 00 4E in little endian), unless
        # its pair is a markup character, which no CJK character's byte out of step gives.
        if (zero - start) % 2 == high:
            ascii_byte = body[zero - 1 : zero] if little else body[zero + 1 : zero + 2]
            if (i and zeros[i - 1] == zero - 2) or ascii_byte in _MARKUP_BYTES:
                last_good = zero
            continue
        if zeros[i : i + _STEP_EVIDENCE] != list(range(zero, zero + 2 * _STEP_EVIDENCE, 2)):
            continue
        cut = start if last_good is None else last_good + (1 if little else 2)
        resume = zero - 1 if little else zero
        while resume < cut:
            resume += 2
        pieces += [body[start:cut].decode(unit, errors="replace"), "\ufffd"]
        if little and body[resume] >= 0x80:
            # The zero byte's partner is a junk byte (`d` FF 00: the run came between a letter
            # and its zero byte). An ASCII byte before it in the cut is the letter: keep it.
            letter = next((j for j in range(resume - 1, cut - 1, -1) if 0 < body[j] < 0x80), None)
            if letter is not None:
                pieces.append(chr(body[letter]))
                resume = zero + 1
        start, last_good, cuts = resume, None, cuts + 1
    pieces.append(body[start:].decode(unit, errors="replace"))
    return "".join(pieces), cuts
