"""``govwatch sources --discover URL``: the column tree of a real site on 127.0.0.1, nothing recorded."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawler.conftest import REPO, crawl_env
from tests.crawler.dialect_sites import DialectSite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hanweb() -> Iterator[DialectSite]:
    site = DialectSite("hanweb")
    yield site
    site.stop()


def govwatch(*args: str, cwd: Path, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["govwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=crawl_env(db),
        timeout=120,
        check=False,
    )


def test_discover_prints_the_column_tree_with_documents_per_column(
    hanweb: DialectSite, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'never.db'}"
    done = govwatch("sources", "--discover", hanweb.url + "/index.html", "--json", cwd=tmp_path, db=db)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    tree = [(r["depth"], r["title"], urlsplit(r["url"]).path, r["documents"]) for r in rows]
    assert tree == [
        (0, hanweb.url + "/index.html", "/index.html", 2),
        (1, "信息公开", "/col/col100/index.html", 0),
        (2, "政策文件", "/col/col101/index.html", 4),
        (2, "规划计划", "/col/col102/index.html", 3),
    ]
    assert all("uid=" not in r["url"] for r in rows)  # today's token is no part of a sources file
    assert not any(hit.startswith("GET /art/") for hit in hanweb.hits)  # no document was fetched
    assert not (tmp_path / "never.db").exists()
    text = govwatch("sources", "--discover", hanweb.url + "/index.html", cwd=tmp_path, db=db)
    assert "  政策文件  " in text.stdout and "（4 篇文件）" in text.stdout
    assert "[[source]]" in text.stdout


def test_discover_refuses_what_is_not_a_web_address(tmp_path: Path) -> None:
    done = govwatch(
        "sources", "--discover", "ftp://127.0.0.1/x", cwd=tmp_path, db=f"sqlite:///{tmp_path}/x.db"
    )
    assert done.returncode == 2
    assert "http://" in done.stderr and "Traceback" not in done.stderr


def test_discover_help_is_there() -> None:
    done = subprocess.run(
        ["govwatch", "sources", "--help"], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert "--discover" in done.stdout
