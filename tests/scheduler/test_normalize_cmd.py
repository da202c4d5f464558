"""`govwatch normalize`: files as raw bytes, URLs from a local server, JSON lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.http import PortalHTTPServer
from scheduler.cli import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, cli

PAGES = Path(__file__).resolve().parents[2] / "portal" / "pages"
ALL_PAGES = sorted(str(p) for p in PAGES.glob("*.html"))


class _GbkHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def guess_type(self, path: str | Path) -> str:
        return "text/html; charset=GBK" if str(path).endswith(".html") else "application/pdf"


@pytest.fixture
def portal_url() -> Iterator[str]:
    server = PortalHTTPServer(("127.0.0.1", 0), partial(_GbkHandler, directory=str(PAGES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_many_files_in_one_process_as_json_lines() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "normalize", "--json", *ALL_PAGES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["source"] for line in lines] == ALL_PAGES
    by_name = {Path(line["source"]).name: line for line in lines}
    assert by_name["wuxi-2021-plan.tc.html"]["fingerprint"] == by_name["wuxi-2021-plan.html"]["fingerprint"]
    assert by_name["changzhou-2021-key-work.html"]["charset"] == "gb18030"
    for line in lines:
        assert set(line["snapshot"]) >= {"title", "metadata", "targets", "paragraphs", "normalizer"}
        assert len(line["fingerprint"]) == 64


def test_a_failing_file_is_reported_and_the_rest_carry_on(tmp_path: Path) -> None:
    pdf = tmp_path / "attachment.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    result = CliRunner().invoke(
        cli, ["normalize", "--json", str(pdf), ALL_PAGES[0], str(tmp_path / "missing.html")]
    )
    assert result.exit_code == EXIT_PARTIAL
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("error") for line in lines] == ["not_html", None, "unreadable"]
    assert "attachment.pdf: not_html" in result.stderr


def test_all_failing_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["normalize", str(empty)])
    assert result.exit_code == EXIT_FAILURE
    assert "empty" in result.stderr


def test_human_view_shows_title_metadata_targets_and_paragraphs() -> None:
    result = CliRunner().invoke(cli, ["normalize", str(PAGES / "wuxi-2024-priorities.html")])
    assert result.exit_code == EXIT_OK, result.output
    assert "2024年政府工作重点" in result.stdout
    assert "014006446/2024-00026" in result.stdout
    assert "地区生产总值" in result.stdout
    assert "paragraphs (42)" in result.stdout


def test_url_argument_is_fetched_with_its_headers(portal_url: str) -> None:
    # The server labels every page GBK; the UTF-8 pages must still decode as UTF-8.
    urls = [f"{portal_url}/wuxi-2024-priorities.html", f"{portal_url}/changzhou-2021-key-work.html"]
    result = CliRunner().invoke(cli, ["normalize", "--json", *urls, f"{portal_url}/nope.html"])
    assert result.exit_code == EXIT_PARTIAL
    ok, gbk, missing = (json.loads(line) for line in result.stdout.splitlines())
    assert ok["charset"] == "utf-8"
    assert ok["snapshot"]["title"] == "2024年政府工作重点"
    assert gbk["charset"] == "gb18030"
    assert missing["error"] == "unreadable"


def test_file_url_option_is_passed_on() -> None:
    result = CliRunner().invoke(
        cli, ["normalize", "--json", "--url", "http://example.invalid/a.html", ALL_PAGES[0]]
    )
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout)["source"] == ALL_PAGES[0]
