"""Character-level diff of two strings (Myers' O(ND) shortest edit script): opcodes and similarity.

Chinese text has no word boundaries, so the unit of comparison is the character.
"""

from __future__ import annotations

from typing import Literal

Tag = Literal["equal", "delete", "insert", "replace"]
Opcode = tuple[Tag, int, int, int, int]

# Beyond this many edits two strings are simply different; the trace would cost O(D^2) memory.
MAX_EDITS = 2000


def _edit_script(a: str, b: str) -> list[tuple[str, int, int]] | None:
    """Single-character steps ("=", "-", "+") with positions in a and b, or None past MAX_EDITS."""
    n, m = len(a), len(b)
    offset = n + m + 1
    v = [0] * (2 * offset + 1)
    trace: list[list[int]] = []
    for d in range(min(n + m, MAX_EDITS) + 1):
        trace.append(v[:])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[offset + k] = x
            if x >= n and y >= m:
                return _backtrack(trace, a, b, d, offset)
    return None


def _backtrack(trace: list[list[int]], a: str, b: str, d_end: int, offset: int) -> list[tuple[str, int, int]]:
    x, y = len(a), len(b)
    steps: list[tuple[str, int, int]] = []
    for d in range(d_end, 0, -1):
        v = trace[d]
        k = x - y
        prev_k = k + 1 if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]) else k - 1
        prev_x = v[offset + prev_k]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x -= 1
            y -= 1
            steps.append(("=", x, y))
        if x == prev_x:
            y -= 1
            steps.append(("+", x, y))
        else:
            x -= 1
            steps.append(("-", x, y))
    while x > 0 and y > 0:
        x -= 1
        y -= 1
        steps.append(("=", x, y))
    steps.reverse()
    return steps


def opcodes(a: str, b: str) -> list[Opcode]:
    """Opcodes turning ``a`` into ``b``: (tag, i1, i2, j1, j2) with a[i1:i2] -> b[j1:j2]."""
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    mid_a, mid_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    ops: list[Opcode] = []
    if prefix:
        ops.append(("equal", 0, prefix, 0, prefix))
    if mid_a or mid_b:
        steps = _edit_script(mid_a, mid_b) if mid_a and mid_b else None
        if steps is None:
            tag: Tag = "replace" if mid_a and mid_b else ("delete" if mid_a else "insert")
            ops.append((tag, prefix, prefix + len(mid_a), prefix, prefix + len(mid_b)))
        else:
            ops.extend(_group(steps, prefix))
    if suffix:
        ops.append(("equal", len(a) - suffix, len(a), len(b) - suffix, len(b)))
    return ops


def _group(steps: list[tuple[str, int, int]], base: int) -> list[Opcode]:
    """Runs of single steps -> opcodes; a deletion run next to an insertion run is one replace."""
    ops: list[Opcode] = []
    i = 0
    while i < len(steps):
        kind, x, y = steps[i]
        if kind == "=":
            j = i
            while j < len(steps) and steps[j][0] == "=":
                j += 1
            ops.append(("equal", base + x, base + x + j - i, base + y, base + y + j - i))
            i = j
            continue
        dels = ins = 0
        j = i
        while j < len(steps) and steps[j][0] != "=":
            if steps[j][0] == "-":
                dels += 1
            else:
                ins += 1
            j += 1
        tag: Tag = "replace" if dels and ins else ("delete" if dels else "insert")
        ops.append((tag, base + x, base + x + dels, base + y, base + y + ins))
        i = j
    return ops


def similarity(a: str, b: str) -> float:
    """2 * matching characters / total characters: 1.0 for equal strings, 0.0 for disjoint ones."""
    if not a and not b:
        return 1.0
    matched = sum(i2 - i1 for tag, i1, i2, _j1, _j2 in opcodes(a, b) if tag == "equal")
    return 2.0 * matched / (len(a) + len(b))
