"""Server-side SVG charts (pure geometry): a target's step chart and an indicator across documents.

The template draws what this returns (numbers and labels only), so a chart needs no script and
no asset from elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass
class Chart:
    width: int
    height: int
    path: str  # the polyline's d attribute ("" when there is nothing numeric to draw)
    dots: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, tooltip
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    gaps: list[tuple[float, float]] = field(default_factory=list)  # x ranges where the target was absent
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    right: float = WIDTH - RIGHT


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` intervals."""
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _scale(values: Sequence[float]) -> tuple[float, float, float]:
    """The y range, padded and widened to round ticks, and the tick step."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 if high > low else (abs(low) * 0.1 or 1.0)
    step = _nice_step((high + pad) - (low - pad))
    return math.floor((low - pad) / step) * step, math.ceil((high + pad) / step) * step, step


def chart(
    points: Sequence[tuple[str, float | None, str]], *, step: bool, width: int = WIDTH, height: int = HEIGHT
) -> Chart:
    """``points``: (x label, value or None for absent, tooltip), evenly spaced along x.

    ``step``: a value holds until the next one (a target between versions); otherwise points
    are joined by straight lines (one value per document).
    """
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    n = len(points)
    xs = [LEFT + (plot_w * (i + 0.5) / n if n else 0) for i in range(n)]
    values = [v for _label, v, _tip in points if v is not None]
    result = Chart(width, height, "", bottom=height - BOTTOM, right=width - RIGHT)
    result.x_ticks = [(x, label) for x, (label, _v, _t) in zip(xs, points, strict=True)]
    if not values:
        return result
    low, high, tick = _scale(values)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    count = round((high - low) / tick)
    result.y_ticks = [(y(low + tick * k), _fmt(round(low + tick * k, 6))) for k in range(count + 1)]
    commands: list[str] = []
    pen_down = False
    half = plot_w / n / 2 if n else 0
    for i, (label, value, tip) in enumerate(points):
        x = round(xs[i], 1)
        if value is None:
            result.gaps.append((round(x - half, 1), round(x + half, 1)))
            pen_down = False
            continue
        yy = y(value)
        if not pen_down:
            commands.append(f"M{x},{yy}")
            pen_down = True
        elif step:
            commands.append(f"V{yy}")  # the previous value held up to here: a vertical step
        else:
            commands.append(f"L{x},{yy}")
        if step:
            end = round(xs[i + 1], 1) if i + 1 < n else round(width - RIGHT, 1)
            commands.append(f"H{end}")
        result.dots.append((x, yy, f"{label}：{tip}"))
    result.path = " ".join(commands)
    return result
