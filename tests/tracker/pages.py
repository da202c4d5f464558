"""Page builders for the version-store tests: the portal's seed pages and small realistic pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.page import PageFetch

PORTAL_PAGES = Path(__file__).resolve().parents[2] / "portal" / "pages"
SOURCE = "wuxi-fgw"
URL = "http://127.0.0.1/art/2024/2/20/art_1_1.html"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="header">无锡市发展和改革委员会 <span id="clock">2026-11-21 09:30:00</span></div>
<div id="zoom">{body}</div>
<div class="footer">苏ICP备05002001号</div></body></html>"""

PARAGRAPHS = [
    "2024年全市经济社会发展主要预期目标是:地区生产总值增长5.5%左右;一般公共预算收入增长3%。",
    "(一)聚力稳定经济运行。市重大产业项目完成投资1450亿元。",
    "(二)聚力科技创新。新增国家专精特新小巨人企业80家以上。",
    "全面落实市委决策部署,统筹推进各项工作。",
]


def html_page(paragraphs: list[str] | None = None, title: str = "2024年市政府工作重点") -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs if paragraphs is not None else PARAGRAPHS))
    return HTML.format(title=title, body=body).encode("utf-8")


def portal_page(name: str = "wuxi-2024-priorities.html", views: int = 1287) -> bytes:
    body = (PORTAL_PAGES / name).read_bytes()
    return re.sub(rb'<span id="views">\d+</span>', b'<span id="views">%d</span>' % views, body)


def snap(
    body: bytes = b"",
    *,
    status: int | None = 200,
    minutes: int = 0,
    url: str = URL,
    source: str = SOURCE,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> PageFetch:
    return PageFetch(
        source=source,
        url=url,
        status=status,
        body=body,
        headers={"content-type": "text/html; charset=utf-8", **(headers or {})},
        fetched_at=T0 + timedelta(minutes=minutes),
        **extra,  # type: ignore[arg-type]
    )
