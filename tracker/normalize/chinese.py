"""Traditional → simplified Chinese with OpenCC: one cached converter per script, batched conversion."""

from __future__ import annotations

import re
from functools import cache

import opencc

# A separator OpenCC passes through unchanged and that never occurs in page text.
_SEP = "\n\u241e\n"
# Frequent characters of any policy text in their traditional and simplified forms. A page is
# traditional when it uses the first set more than the second (a few counts, C-speed).
_TRADITIONAL_MARKS = "發國經會為與"
_SIMPLIFIED_MARKS = "发国经会为与"
# Taiwan-standard variants (著 for 着 …) that t2s keeps and tw2s resolves by phrase.
_TW_VARIANT = re.compile("[著痺睪簷顎鯰]")
# Hong Kong variants that neither converter maps, each with one reading.
_HK_VARIANTS = str.maketrans("衞敍粧糭枱", "卫叙妆粽台")
_HK_VARIANT = re.compile("[衞敍粧糭枱]")


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def is_traditional(text: str) -> bool:
    """True for text written in traditional characters (a site's 繁體 rendering)."""
    traditional = sum(text.count(c) for c in _TRADITIONAL_MARKS)
    return traditional > sum(text.count(c) for c in _SIMPLIFIED_MARKS)


def _convert(texts: list[str], config: str, joined: str | None = None) -> list[str]:
    """Convert many strings in one OpenCC call (the per-call overhead dominates short strings)."""
    parts = str(_converter(config).convert(joined or _SEP.join(texts))).split(_SEP)
    if len(parts) != len(texts):  # defensive: fall back to one call each
        return [str(_converter(config).convert(t)) for t in texts]
    return parts


def to_simplified(text: str, traditional: bool = False) -> str:
    return to_simplified_all([text], traditional)[0]


def to_simplified_all(texts: list[str], traditional: bool = False) -> list[str]:
    """Simplified forms of ``texts``, converted in one batch.

    ``traditional`` text is a site's 繁體 rendering, which may write 着 as 著 (Taiwan standard):
    t2s keeps 著 (著力 stays 著力), tw2s restores 着 by phrase and leaves 显著/著名 alone. tw2s
    costs four times t2s, so only strings holding such a variant go through it. Simplified text
    never does: tw2s would turn its own 显著 into 显着.
    """
    if not texts:
        return []
    joined = _SEP.join(texts)
    parts = _convert(texts, "t2s", joined)
    if not traditional:
        return parts
    # Whole-batch searches first: most batches hold no variant at all.
    if _TW_VARIANT.search(joined):
        redo = [i for i, text in enumerate(texts) if _TW_VARIANT.search(text)]
        for i, part in zip(redo, _convert([texts[i] for i in redo], "tw2s"), strict=True):
            parts[i] = part
    if _HK_VARIANT.search(joined):
        parts = [part.translate(_HK_VARIANTS) if _HK_VARIANT.search(part) else part for part in parts]
    return parts
