"""``govwatch status``, ``notify`` and ``feed`` on a real database, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner

from scheduler.cli import cli
from tests.scheduler.rows import add_run_with_changes
from tests.scheduler.servers import webhook_server


def _config(tmp_path: Path, hook_url: str) -> Path:
    path = tmp_path / "govwatch.toml"
    path.write_text(
        f"""
[[source]]
name = "wuxi-dfgw"
start_urls = ["https://dfgw.wuxi.gov.cn/col/col2024/index.html"]
platform = "hanweb"
schedule = "every 6h"

[[source]]
name = "changzhou"
start_urls = ["https://www.changzhou.gov.cn/zfxxgk/index.html"]
schedule = "0 6 * * *"

[[channel]]
name = "hook"
type = "webhook"
url = "{hook_url}"
""",
        encoding="utf-8",
    )
    return path


def test_notify_status_and_feed_commands(tmp_path: Path, db_env: str, session_factory, monkeypatch):
    monkeypatch.setenv("GOVWATCH_NOTIFY_BACKOFF_SECONDS", "0")
    runner = CliRunner()
    with webhook_server(up=False) as hook:
        config = _config(tmp_path, hook.url)
        _run, ids = add_run_with_changes(session_factory, documents=2)
        failing = runner.invoke(cli, ["notify", "--config", str(config), "--json"])
        assert failing.exit_code == 1, failing.output
        report = json.loads(failing.stdout)
        assert report["sent"] == 0 and report["retrying"] == len(ids) and "503" in report["errors"][0]

        status = runner.invoke(cli, ["status", "--config", str(config), "--json"])
        assert status.exit_code == 0, status.output
        state = json.loads(status.stdout)
        assert state["scheduler_holder"] is None
        by_name = {s["source"]: s for s in state["sources"]}
        assert by_name["wuxi-dfgw"]["last_outcome"] == "ok" and by_name["wuxi-dfgw"]["schedule"] == "every 6h"
        assert by_name["changzhou"]["last_run_id"] is None and by_name["changzhou"]["overdue"]
        assert state["outbox"]["hook"]["pending"] == len(ids)

        hook.up = True
        sent = runner.invoke(cli, ["notify", "--config", str(config), "--json"])
        assert sent.exit_code == 0, sent.output
        assert json.loads(sent.stdout)["sent"] == len(ids)
        human = runner.invoke(cli, ["status", "--config", str(config)])
        assert human.exit_code == 0 and "wuxi-dfgw" in human.stdout and "not running" in human.stdout
    assert sorted(hook.change_ids()) == sorted(ids)

    failed = runner.invoke(cli, ["notify", "--failed"])
    assert failed.exit_code == 0 and "no failed notifications" in failed.stdout

    feed = runner.invoke(cli, ["feed", "--source", "wuxi-dfgw", "--limit", "3"])
    assert feed.exit_code == 0
    root = ElementTree.fromstring(feed.stdout_bytes)
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 3


def test_run_refuses_a_bad_sources_file(tmp_path: Path, db_env: str):
    bad = tmp_path / "govwatch.toml"
    bad.write_text("[[source]]\nname = 'x'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(bad)])
    assert result.exit_code == 2
    assert "start_urls" in result.stderr


def test_every_command_has_help():
    for name in ("run", "status", "notify", "feed", "demo"):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.stdout
