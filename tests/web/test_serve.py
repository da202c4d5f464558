"""``govwatch serve`` as users start it: loopback by default, a token for anything else; and
``govwatch demo --serve``, which ends the demo in the interface."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.web.store import REPO, DemoStore

pytestmark = pytest.mark.slow
URL_LINE = re.compile(r"网页界面：http://127\.0\.0\.1:(\d+)/")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")}
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **extra}


def _start(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> tuple[subprocess.Popen[str], str]:
    """Start a govwatch command and wait for the line with the interface's address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    found: list[str] = []
    seen: list[str] = []
    ready = threading.Event()

    def watch(stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            seen.append(line)
            match = URL_LINE.search(line)
            if match and not found:
                found.append(f"http://127.0.0.1:{match.group(1)}")
                ready.set()

    for stream in (process.stdout, process.stderr):
        threading.Thread(target=watch, args=(stream,), daemon=True).start()
    if not ready.wait(timeout):
        process.kill()
        raise AssertionError("no address printed:\n" + "".join(seen))
    return process, found[0]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def test_another_address_needs_a_token(tmp_path: Path, demo_store: DemoStore) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=_env(GOVWATCH_DATABASE_URL=demo_store.url),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "GOVWATCH_UI_TOKEN" in refused.stderr and "Traceback" not in refused.stderr


def test_serve_with_a_token_on_loopback(tmp_path: Path, demo_store: DemoStore) -> None:
    env = _env(GOVWATCH_DATABASE_URL=demo_store.url, GOVWATCH_UI_TOKEN="tok-123")
    process, base = _start(["serve", "--port", "0"], env, tmp_path)
    try:
        assert _get(base + "/")[0] == 401
        status, body = _get(base + "/api/changes", {"Authorization": "Bearer tok-123"})
        assert status == 200 and "地区生产总值" in body
    finally:
        assert _stop(process) == 0


def test_demo_serve_ends_in_the_interface(tmp_path: Path) -> None:
    process, base = _start(
        ["demo", "--serve", "--keep", str(tmp_path / "demo")], _env(), tmp_path, timeout=180
    )
    try:
        status, body = _get(base + "/")
        assert status == 200
        assert "地区生产总值：5.5%左右 → 6%左右" in body.replace("&lt;", "<")
        assert _get(base + "/search?q=" + urllib.request.quote("地区生产总值"))[0] == 200
    finally:
        code = _stop(process)
    assert code == 0
    assert not (tmp_path / "govwatch.db").exists()


def test_serve_and_compare_have_help_and_load_lazily() -> None:
    from click.testing import CliRunner

    from scheduler.cli import cli

    listing = CliRunner().invoke(cli, ["--help"])
    assert "serve" in listing.stdout and "compare" in listing.stdout
    for name in ("serve", "compare"):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.stdout
    demo = CliRunner().invoke(cli, ["demo", "--help"])
    assert "--serve" in demo.stdout
    # `govwatch --help` and quick commands must not pay for the web stack.
    probe = (
        "import sys, scheduler.commands.serve_cmd, scheduler.commands.compare_cmd; print(sorted(sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert "'fastapi'" not in loaded.stdout and "'uvicorn'" not in loaded.stdout
