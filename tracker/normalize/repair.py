"""Text repairs: misaligned-GBK headings, pinyin annotations, UTF-8-read-as-cp1252 mojibake, damage marks."""

from __future__ import annotations

import re

import ftfy

from tracker.normalize.text import drop_hidden, drop_invisible_lines

_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# `發(fā)` : a parenthesised, tone-marked pinyin syllable right after a Han character.
# Requiring a tone mark keeps `(GDP)`, `(试点)`, `(一)` and English glosses untouched.
# The bracket comes first so the scan only stops at brackets (a leading look-behind would
# be tried at every character of the page).
_PINYIN = re.compile(
    rf"[(（](?<=[\u3400-\u9fff][(（])(?=[a-zü{_TONES}]*[{_TONES}])[a-zü{_TONES}]{{1,7}}[)）]"
)

# A paragraph whose GBK bytes were decoded one byte out of step: it starts with the `?` of the
# broken first pair and runs until an ASCII-range byte (0x40-0x7E, a valid GBK trail byte) that
# the decoder took alone, which realigns the rest of the line.
_MISALIGNED_HEAD = re.compile(r"^\?(?P<run>[^\x40-\x7e]{1,40}?[\x40-\x7e])")
# The byte the broken first pair swallowed: headings are indented with U+3000 (GBK A1 A1).
_LOST_LEAD = b"\xa1"
# Whitespace touching a non-ASCII character of a misaligned line (or its leading `?`): source
# line wrapping, &nbsp; padding. It is no part of the line's bytes, and CJK text has no word
# spaces (cleaning drops those next to Han characters anyway: text.clean_lines).
_LAYOUT_SPACE = re.compile(r"(?:(?<=[^\x00-\x7f])|(?<=^\?))\s+|\s+(?=[^\x00-\x7f])")
_BRACKETS = (("（", "）"), ("(", ")"), ("“", "”"), ("《", "》"))

# Traces of misdecoding left after repairs: replacement char, kana, bopomofo, box drawing
# (bar the plain rules used as dashes), private-use code points, a `?` glued to Han text
# (the pair a decoder gave up on), and a pinyin annotation hanging off an ASCII byte.
# Each alternative starts with a literal or a rare class, so the scan is quick on clean text.
_DAMAGE = re.compile(
    r"[\ufffd\u3040-\u30ff\u3100-\u312f\u2503-\u257f\ue000-\uf8ff]"
    r"|\?(?:(?<=[\u4e00-\u9fff“”]\?)[^\s?”)]|(?<=^\?)[\u3000-\u9fff])"
    rf"|[(（](?<=[\x21-\x7e][(（])[a-zü{_TONES}]*[{_TONES}][a-zü{_TONES}]*[)）]",
    re.MULTILINE,
)
# UTF-8 read as cp1252/latin-1: a lead byte letter followed by a continuation-byte character.
_CP1252_MOJIBAKE = re.compile("[ÃÂâäåæçèéêëìíîïð][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def strip_pinyin(text: str) -> str:
    return _PINYIN.sub("", text)


def _balanced(text: str) -> bool:
    return all(text.count(left) == text.count(right) for left, right in _BRACKETS)


def realign_gbk(text: str) -> tuple[str, bool]:
    """Re-decode a misaligned-GBK paragraph start; returns (text, repaired).

    Only a repair the bytes prove is made: the re-decoded run must be strict GBK, hold no
    `?` (a pair the first decoder dropped) and close every bracket it opens. Otherwise the
    text comes back unchanged and the caller marks the paragraph damaged. Layout whitespace
    between two of the run's characters is not part of its bytes: when the run does not
    re-decode as captured, it is tried once more without it.
    """
    for candidate in (text, _without_layout(text)):
        match = _MISALIGNED_HEAD.match(candidate)
        if match is None:
            continue
        fixed = _redecoded(match.group("run"))
        if fixed is not None:
            return fixed + candidate[match.end() :], True
    return text, False


def _without_layout(line: str) -> str:
    """A misaligned line without the whitespace an editor's wrapping or padding put in it."""
    return _LAYOUT_SPACE.sub("", line)


def _redecoded(run: str) -> str | None:
    if "?" in run:
        return None
    try:
        fixed = (_LOST_LEAD + run.encode("gb18030")).decode("gbk")
    except UnicodeError:
        return None
    if not _balanced(fixed) or any(ch < "\u3000" for ch in fixed):
        return None
    return fixed


# GBK codes of the ordinals that number section headings; their lead bytes are all distinct.
_ORDINAL_BY_CODE = {ch.encode("gbk"): ch for ch in "一二三四五六七八九十"}
_ORDINAL_BY_LEAD = {code[:1]: ch for code, ch in _ORDINAL_BY_CODE.items()}
_INDENT, _OPEN, _CLOSE = "\u3000".encode("gbk"), "（".encode("gbk"), "）".encode("gbk")
_REALIGNED = re.compile(r"[\x40-\x7e]")
# What a broken pair leaves before the aligned text resumes: ASCII bytes, pinyin tone letters.
_REMNANT = re.compile(rf"^[\x00-\x7f{_TONES}ü]+")
_TITLE_END = re.compile(r"[,，。;；:：!！?？]")


def _heading_ordinal(raw: bytes) -> tuple[bool, str | None]:
    """(is a ``　（N）`` heading start, N) read from the realigned bytes of a heading's start."""
    if not raw.startswith(_INDENT):
        return False, None
    rest = raw[len(_INDENT) :]
    if rest.startswith(_CLOSE):
        return True, None  # bracket and numeral lost with the dropped pairs
    if not rest.startswith(_OPEN):
        return False, None
    rest = rest[len(_OPEN) :]
    if (ordinal := _ORDINAL_BY_CODE.get(rest[:2])) is not None:
        return True, ordinal
    # The pair holding the numeral's trail byte and the bracket's lead byte was dropped: the
    # numeral's lead byte, followed by the bracket's trail byte, still names exactly one numeral.
    if rest[1:2] == _CLOSE[1:] and (ordinal := _ORDINAL_BY_LEAD.get(rest[:1])) is not None:
        return True, ordinal
    return False, None


def damaged_heading(line: str) -> tuple[str | None, str] | None:
    """(numeral, title tail) of a ``　（N）title`` heading whose misaligned GBK bytes could not be
    repaired; None for any other line. The paragraph itself stays as captured.

    Only what the bytes determine is read: the numeral from the heading's first bytes (None when
    they were dropped), and the title from where the decoder fell back in step (the first ASCII
    byte, which also completes the character whose lead byte came before it) to the end. The
    misaligned run before that may have lost pairs anywhere, so it is not re-decoded.
    """
    line = _without_layout(drop_invisible_lines([line])[0])
    if not line.startswith("?") or realign_gbk(line)[1]:
        return None
    step = _REALIGNED.search(line, 1)
    if step is None:
        return None
    head = (_LOST_LEAD + line[1 : step.start()].encode("gb18030", errors="replace"))[:8]
    is_heading, ordinal = _heading_ordinal(head)
    if not is_heading:
        return None
    title = ""
    lead = line[step.start() - 1].encode("gb18030", errors="replace")
    if len(lead) == 2:
        try:
            title = (lead[1:] + line[step.start()].encode("ascii")).decode("gbk")
        except UnicodeError:
            title = ""
        if not "\u3400" <= title <= "\u9fff":
            title = ""
    title += _REMNANT.sub("", strip_pinyin(line[step.end() :]))
    title = _TITLE_END.split(title, maxsplit=1)[0]
    if len(title) < 2 or is_damaged(title):
        return None
    return ordinal, title


def fix_cp1252_mojibake(text: str) -> str:
    if _CP1252_MOJIBAKE.search(text) is None:
        return text
    # A zero-width character inside a mojibake sequence would keep ftfy from reading its bytes.
    return str(ftfy.fix_encoding(drop_hidden(text)))


def is_damaged(text: str) -> bool:
    return _DAMAGE.search(text) is not None


def damaged_indexes(paragraphs: list[str]) -> list[int]:
    """Indexes of paragraphs still carrying misdecoding traces (one scan when there are none)."""
    if _DAMAGE.search("\n".join(paragraphs)) is None:
        return []
    return [i for i, p in enumerate(paragraphs) if is_damaged(p)]


def _realigned_or_kept(line: str) -> str:
    """A misaligned line realigned, or kept as captured but for layout whitespace in it."""
    fixed, repaired = realign_gbk(line)
    return fixed if repaired else _without_layout(line)


def repair_lines(lines: list[str]) -> str:
    """All repairs over many lines, returned joined by newlines. Order keeps evidence: realign
    first (it needs the pinyin that follows the run), then drop annotations, then fix cp1252."""
    joined = "\n".join(_realigned_or_kept(line) if line.startswith("?") else line for line in lines)
    return fix_cp1252_mojibake(strip_pinyin(joined))


def repair(text: str) -> str:
    return repair_lines([text])
