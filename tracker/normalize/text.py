"""Text normal form shared by every extracted string: NFKC widths, one kind of space, no CJK gaps."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"[^\S\n]+")
# Chinese text uses no word spaces: whitespace touching a CJK character or a punctuation mark
# is layout (indentation, line wrapping, &nbsp; padding), never content.
_CJK_GAP = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’、。《》【】,.:;!?()\[\]%|]) "
    r"| (?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’、。《》【】,.:;!?()\[\]%|])"
)
_SESSION = re.compile(r"(?i)([?&;](?:token|sessionid|jsessionid|sid|timestamp|_t)=)[^&\s#]*")


def clean_lines(text: str) -> list[str]:
    """Clean many lines at once (joined by newlines): one pass of each rule over the whole text."""
    text = unicodedata.normalize("NFKC", text)
    text = _SESSION.sub(r"\1", text)
    text = _SPACE.sub(" ", text)
    return [line.strip() for line in _CJK_GAP.sub("", text).split("\n")]


def clean(text: str) -> str:
    return clean_lines(text.replace("\n", " "))[0]
