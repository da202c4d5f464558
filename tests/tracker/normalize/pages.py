"""The demo portal's seed pages as test input, and the noise a live portal varies per request."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parents[3] / "portal" / "pages"
PAGE_NAMES = (
    "wuxi-2024-priorities.html",
    "wuxi-2021-plan.html",
    "wuxi-2021-plan.tc.html",
    "changzhou-2021-key-work.html",
    "zhonglou-2024-report.html",
    "wuxi-2024-report-print.html",
)


@cache
def page(name: str) -> bytes:
    return (PAGES_DIR / name).read_bytes()


def with_noise(body: bytes, views: int, clock: str, token: str) -> bytes:
    """The page as served on another request: other counter, clock and session token."""
    body = re.sub(rb'<span id="views">\d+</span>', b'<span id="views">%d</span>' % views, body)
    body = re.sub(rb'<span id="clock">[^<]*</span>', b'<span id="clock">' + clock.encode() + b"</span>", body)
    return re.sub(rb"token=[0-9a-f]+", b"token=" + token.encode(), body)
