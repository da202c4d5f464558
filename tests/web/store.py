"""A store filled the way users fill theirs: real crawls of the demo portal (state a, then b),
plus a captured page whose text is hostile markup, recorded through the real recording path."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer, demo_config, site
from tracker.models import Document
from tracker.page import PageFetch
from tracker.record import record

REPO = Path(__file__).resolve().parents[2]
CRAWLED = ("demo-hanweb", "demo-trs")
HOSTILE_SOURCE = "hostile"
HOSTILE_URL = "http://127.0.0.1:9/art/2024/6/1/art_9_1.html"
# Page text that is markup: shown anywhere unescaped it would run script or fetch elsewhere.
SCRIPT = "<script>alert('xss-script')</script>"
IMG = '<img src="http://evil.invalid/pixel.png" onerror="alert(\'xss-img\')">'
TEXTAREA = "</textarea></title></style><script>alert('xss-break')</script>"
JS_LINK = "javascript:alert('xss-link')"
HOSTILE_STRINGS = (SCRIPT, IMG, TEXTAREA)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_page(version: int) -> bytes:
    """The captured page: hostile text (entity-escaped, so it is *text* of the page) and real
    hostile tags in the raw body (which only the sandboxed raw view ever renders)."""
    growth = "5%左右" if version == 1 else "7%左右"
    paragraphs = [
        f"第一条 说明文字 {_escaped(SCRIPT)} 结束。",
        f"第二条 图片 {_escaped(IMG)} 结束。",
        f"第三条 链接 {_escaped(JS_LINK)} 与 {_escaped(TEXTAREA)} 结束。",
        f"主要预期目标：地区生产总值增长{growth}，第{version}稿 {_escaped(SCRIPT)}。",
        "全面落实各项部署，统筹推进各项工作。",
    ]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{_escaped(SCRIPT)}恶意标题</title>
<script>alert('raw-script')</script><meta http-equiv="refresh" content="0;url=http://evil.invalid/">
<link rel="stylesheet" href="http://evil.invalid/style.css"></head>
<body><div class="header">某某市人民政府</div>
<div id="zoom"><h1>{_escaped(SCRIPT)}恶意标题</h1>
{body}
<p><a href="javascript:alert('raw-link')">点此查看</a>
<img src="http://evil.invalid/raw.png" onerror="alert('raw-img')"></p>
</div><div class="footer">版权所有</div></body></html>""".encode()


@dataclass(frozen=True)
class DemoStore:
    url: str
    factory: sessionmaker[Session]
    portal_url: str
    documents: dict[str, int]  # portal path (site constant) or "hostile" -> document id


def _crawl(config: Path, db_url: str) -> None:
    env = dict(os.environ, GOVWATCH_DATABASE_URL=db_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    crawls = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler", source, "--config", str(config), "--progress", "none"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in CRAWLED
    ]
    for crawl in crawls:
        out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 0, out + err


def fill(db_url: str, factory: sessionmaker[Session], workdir: Path) -> DemoStore:
    with PortalServer(state="a") as portal:
        config = workdir / "govwatch.toml"
        config.write_text(demo_config(portal.url), encoding="utf-8")
        _crawl(config, db_url)
        portal.set_state("b")
        _crawl(config, db_url)
        portal_url = portal.url
    start = datetime.now(UTC) + timedelta(seconds=1)
    with factory() as session:
        for version in (1, 2):
            page = PageFetch(
                source=HOSTILE_SOURCE,
                url=HOSTILE_URL,
                status=200,
                body=hostile_page(version),
                headers={"content-type": "text/html; charset=utf-8"},
                fetched_at=start + timedelta(seconds=version),
            )
            record(session, page)
            session.commit()
    with factory() as session:
        by_url = {url: doc_id for doc_id, url in session.execute(select(Document.id, Document.url))}
    documents = {
        path: by_url[portal_url + path]
        for path in (site.ART_PRIORITIES, site.ART_PLAN, site.ART_PRINT, site.TRS_DELETED)
    }
    documents["hostile"] = by_url[HOSTILE_URL]
    return DemoStore(db_url, factory, portal_url, documents)
