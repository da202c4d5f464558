"""Traditional → simplified Chinese with OpenCC: one cached converter, batched conversion."""

from __future__ import annotations

from functools import cache

import opencc

# A separator OpenCC passes through unchanged and that never occurs in page text.
_SEP = "\n\u241e\n"


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))


def to_simplified_all(texts: list[str]) -> list[str]:
    """Convert many strings in one OpenCC call (the per-call overhead dominates short strings)."""
    if not texts:
        return []
    joined = to_simplified(_SEP.join(texts))
    parts = joined.split(_SEP)
    if len(parts) != len(texts):  # defensive: fall back to one call each
        return [to_simplified(t) for t in texts]
    return parts
