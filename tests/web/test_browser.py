"""The demo's story in a real browser (Debian's chromium, driven by Playwright; no browser download).

Skipped when /usr/bin/chromium is absent. Screenshots are written to the test's directory and
checked for size and content (decoded by the browser itself: many distinct colours, not a blank).
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal import site
from scheduler.web.app import create_app
from tests.web.store import DemoStore

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live(demo_store: DemoStore) -> Iterator[str]:
    """The interface on a real socket (uvicorn in a thread), as `govwatch serve` runs it."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(create_app(demo_store.factory), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile for every test
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
        )
        try:
            yield context
        finally:
            context.close()


def _check_screenshot(context: Any, path: Path) -> None:
    """A real picture: big enough, and many distinct colours (text, highlights), not a blank page."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 15_000, (path, len(data))
    page = context.new_page()
    try:
        colours = page.evaluate(
            """async (src) => {
                const img = new Image(); img.src = src; await img.decode();
                const canvas = document.createElement('canvas');
                canvas.width = img.width; canvas.height = img.height;
                const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
                const px = ctx.getImageData(0, 0, img.width, img.height).data;
                const seen = new Set(); let dark = 0;
                for (let i = 0; i < px.length; i += 4) {
                    seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
                    if (px[i] + px[i + 1] + px[i + 2] < 200) dark++;
                }
                return {distinct: seen.size, dark: dark, total: px.length / 4};
            }""",
            "data:image/png;base64," + base64.b64encode(data).decode(),
        )
    finally:
        page.close()
    assert colours["distinct"] > 50, (path, colours)
    assert 0.002 < colours["dark"] / colours["total"] < 0.9, (path, colours)  # there is text on a background


def _watch(page: Any, base: str) -> tuple[list[str], list[str]]:
    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((base + "/", "data:", "about:")) else outside.append(request.url)
        ),
    )
    return dialogs, outside


def test_the_demo_story(browser: Any, live: str, demo_store: DemoStore, tmp_path: Path) -> None:
    page = browser.new_page()
    dialogs, outside = _watch(page, live)
    shots: list[Path] = []

    def shot(name: str) -> None:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        shots.append(path)

    # 1. The timeline shows the revised target.
    page.goto(live + "/")
    group = page.locator("li.group", has_text="2024年政府工作重点").filter(has_text="目标调整")
    assert group.get_by_text("地区生产总值：5.5%左右 → 6%左右").is_visible()
    shot("timeline")
    # 2. Its diff page: old and new value side by side in the target table.
    group.get_by_role("link", name="对比 v1 → v2").click()
    page.wait_for_url(re.compile(r"/diff\?from=1&to=2"))
    row = page.locator("table.targets-diff tr", has_text="地区生产总值")
    assert row.locator("td.old").inner_text() == "5.5%左右"
    assert row.locator("td.new").inner_text() == "6%左右"
    assert page.locator("ins", has_text="6").first.is_visible()
    # The changes-only switch acts at once (the script), unchanged paragraphs disappear.
    equal = page.locator(".row-equal").first
    assert equal.is_visible()
    page.get_by_label("只看修改").check()
    assert equal.is_hidden() and "only=1" in page.url
    shot("diff")
    # 3. The targets page draws the step from 5.5 to 6.
    priorities = demo_store.documents[site.ART_PRIORITIES]
    page.goto(f"{live}/documents/{priorities}/targets")
    chart = page.locator("section.chart-block", has=page.locator("h3", has_text="地区生产总值"))
    line = chart.locator("path.line")
    assert re.fullmatch(r"M[\d.]+,[\d.]+ H[\d.]+ V[\d.]+ H[\d.]+", line.get_attribute("d") or "")
    box = line.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50  # a visible rise
    shot("targets")
    # 4. Search finds the document.
    page.goto(live + "/")
    page.get_by_role("searchbox", name="检索").fill("地区生产总值")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator(f'a.doc-title[href="/documents/{priorities}"]').is_visible()
    assert page.locator(".snippet mark", has_text="地区生产总值").first.is_visible()
    shot("search")
    # 5. Compare the report with its newspaper print.
    page.goto(live + "/compare")
    page.get_by_label("文件 A").fill(str(priorities))
    page.get_by_label("文件 B").fill(str(demo_store.documents[site.ART_PRINT]))
    page.get_by_role("button", name="对比").click()
    reworded = page.locator("table.compare-reworded")
    loans = reworded.locator("tr", has_text="科技型中小企业贷款余额")
    assert loans.locator("td.indicator.old").inner_text() == "科技型企业贷款余额"
    assert loans.locator("td.value.new").inner_text() == "12%"
    shot("compare")
    # 6. On a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live + "/")
    assert page.get_by_text("地区生产总值：5.5%左右 → 6%左右").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing forces sideways scrolling
    shot("phone")
    for path in shots:
        _check_screenshot(browser, path)
    assert dialogs == [] and outside == []


def test_hostile_page_runs_nothing_and_fetches_nothing(
    browser: Any, live: str, demo_store: DemoStore, tmp_path: Path
) -> None:
    page = browser.new_page()
    dialogs, outside = _watch(page, live)
    doc = demo_store.documents["hostile"]
    for path in (
        "/?source=hostile",
        f"/documents/{doc}",
        f"/documents/{doc}/diff",
        f"/documents/{doc}/diff?view=side",
        f"/documents/{doc}/versions/2",
        "/search?q=xss-script",
        f"/documents/{doc}/targets",
    ):
        page.goto(live + path)
        page.wait_for_load_state("networkidle")
    # The version page: the hostile text shows as text, the raw capture in its sandbox.
    assert page.locator("h1").first.inner_text().startswith("<script>alert('xss-script')</script>")
    page.goto(f"{live}/documents/{doc}/versions/2")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("第一条说明文字<script>alert('xss-script')</script>结束。").is_visible()
    frame = page.frame_locator("iframe.capture")
    assert frame.get_by_text("点此查看").is_visible()
    frame.get_by_text("点此查看").click()  # a javascript: link in a frame without scripts does nothing
    page.wait_for_timeout(300)
    path = tmp_path / "hostile.png"
    page.screenshot(path=str(path))
    _check_screenshot(browser, path)
    assert dialogs == []
    assert outside == []
