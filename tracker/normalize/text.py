"""Text normal form shared by every extracted string: NFKC forms, one kind of space, no CJK gaps."""

from __future__ import annotations

import re
import unicodedata

# Characters NFKC changes in Chinese pages: full-width forms, ideographic and odd spaces,
# leaders, number forms, enclosed numbers, squared units, compatibility ideographs.
# NFKC over just these runs gives NFKC of the text for what Chinese pages carry, at a
# fraction of the cost of normalising every Han character.
_COMPAT = re.compile(
    "[\u00a0\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u2000-\u200a\u2024-\u2026\u202f"
    "\u205f\u2150-\u218f\u2460-\u24ff\u2e80-\u2fdf\u3000\u3200-\u33ff\uf900-\ufaff\ufe10-\ufe6f"
    "\uff00-\uffef]+"
)
# Zero-width, bidi-override and other format characters: invisible on the page, yet they would
# split words in the fingerprint, break a repair's byte evidence or garble a terminal or a feed.
_FORMAT = "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
# Dropped from a whole page before the cp1252 repair reads it: C1 controls stay, since UTF-8
# read as latin-1 turns bytes 0x81, 0x8d, 0x8f, 0x90 and 0x9d into them; so does HTML
# whitespace (tab, newline, form feed, carriage return) for the parser.
_HIDDEN = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\x7f{_FORMAT}]+")
# Every control (but newline and tab) and format character, once repairs are done.
_INVISIBLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]+")
_SPACE = re.compile(r"[^\S\n]+")
# Chinese text uses no word spaces: whitespace touching a CJK character or a punctuation mark
# is layout (indentation, line wrapping, &nbsp; padding), never content.
# (the space comes first so the scan only stops at spaces)
_CJK_GAP = re.compile(
    r" (?:(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’、。《》【】,.:;!?()\[\]%|] )"
    r"|(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’、。《》【】,.:;!?()\[\]%|]))"
)
_SESSION = re.compile(r"(?i)([?&;](?:token|sessionid|jsessionid|sid|timestamp|_t)=)[^&\s#]*")


def drop_hidden(text: str) -> str:
    """Text without the invisible characters no repair may take as evidence (see _HIDDEN)."""
    return _HIDDEN.sub("", text)


def drop_invisible_lines(lines: list[str]) -> list[str]:
    """Lines without any invisible character (_INVISIBLE), one scan when none holds one.

    For lines taken from the parsed page: its cp1252 repair has run, so C1 controls are no
    longer evidence of anything.
    """
    if _INVISIBLE.search("\n".join(lines)) is None:
        return lines
    return [_INVISIBLE.sub("", line) for line in lines]


def _nfkc(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


def clean_lines(text: str) -> list[str]:
    """Clean many lines at once (joined by newlines): one pass of each rule over the whole text."""
    return clean_visible_lines(_INVISIBLE.sub("", text))


def clean_visible_lines(text: str) -> list[str]:
    """clean_lines for text that drop_invisible_lines has already been through."""
    text = _COMPAT.sub(_nfkc, text)
    text = _SESSION.sub(r"\1", text)
    text = _SPACE.sub(" ", text)
    return [line.strip() for line in _CJK_GAP.sub("", text).split("\n")]


def clean(text: str) -> str:
    return clean_lines(text.replace("\n", " "))[0]
