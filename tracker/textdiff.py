"""Character-level diff of two strings (rapidfuzz's Indel edit script): opcodes and similarity.

Chinese text has no word boundaries, so the unit of comparison is the character.
"""

from __future__ import annotations

from typing import Literal

Tag = Literal["equal", "delete", "insert", "replace"]
Opcode = tuple[Tag, int, int, int, int]


def opcodes(a: str, b: str) -> list[Opcode]:
    """Opcodes turning ``a`` into ``b``: (tag, i1, i2, j1, j2) with a[i1:i2] -> b[j1:j2].

    Indel knows only insertions and deletions; a run of both between two equal stretches
    is reported as one ``replace``, which is how a reader sees an edited clause.
    """
    from rapidfuzz.distance import Indel  # on first use: 0.1 s that a crawl of unchanged pages never needs

    ops: list[Opcode] = []
    pending: list[int] | None = None  # [i1, i2, j1, j2] of the open non-equal run
    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            if pending is not None:
                ops.append(_changed(*pending))
                pending = None
            ops.append(("equal", op.src_start, op.src_end, op.dest_start, op.dest_end))
        elif pending is None:
            pending = [op.src_start, op.src_end, op.dest_start, op.dest_end]
        else:
            pending[1], pending[3] = op.src_end, op.dest_end
    if pending is not None:
        ops.append(_changed(*pending))
    return ops


def _changed(i1: int, i2: int, j1: int, j2: int) -> Opcode:
    tag: Tag = "replace" if i2 > i1 and j2 > j1 else ("delete" if i2 > i1 else "insert")
    return (tag, i1, i2, j1, j2)


def similarity(a: str, b: str) -> float:
    """2 * matching characters / total characters: 1.0 for equal strings, 0.0 for disjoint ones."""
    if not a and not b:
        return 1.0
    from rapidfuzz.distance import Indel

    return Indel.normalized_similarity(a, b)
