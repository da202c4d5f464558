"""``govwatch status``, ``notify`` and ``feed`` on a real database, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from scheduler.cli import cli
from tests.scheduler.rows import add_run_with_changes
from tests.scheduler.servers import webhook_server
from tracker.models import CrawlRun, Delivery, SchedulerLock, Source


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


def test_status_fits_80_columns_and_says_what_went_wrong(tmp_path: Path, db_env: str, session_factory):
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    _run, ids = add_run_with_changes(session_factory, source="wuxi-dfgw", documents=13)
    add_run_with_changes(session_factory, source="gone-source", documents=1)
    with session_factory() as session, session.begin():
        changzhou = Source(name="changzhou")
        session.add(changzhou)
        session.flush()
        session.add(
            CrawlRun(
                source_id=changzhou.id,
                trigger="catchup",
                outcome="timeout",
                error="stopped after its time limit of 3600s",
            )
        )
        session.execute(update(Delivery).values(status="failed", attempts=8, last_error="hook: HTTP 503"))
    result = CliRunner().invoke(cli, ["status", "--config", str(config)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in _SOURCES}
    assert "every 6h" in rows["wuxi-dfgw"] and " ok " in rows["wuxi-dfgw"]
    assert "0 6 * * *" in rows["changzhou"] and "timeout" in rows["changzhou"]
    assert "…" not in "".join(rows.values())
    assert "changzhou: last run" in result.stdout and "time limit of 3600s" in result.stdout
    assert f"{len(ids) + 2} notification(s) gave up" in result.stdout  # all of them, not a page
    state = json.loads(CliRunner().invoke(cli, ["status", "--config", str(config), "--json"]).stdout)
    by_name = {s["source"]: s for s in state["sources"]}
    assert by_name["gone-source"]["configured"] is False and by_name["wuxi-dfgw"]["configured"] is True
    assert state["failed_total"] == len(ids) + 2


_SOURCES = {"wuxi-dfgw", "changzhou", "gone-source"}


def test_run_rejects_bad_schedules_options_and_settings_with_usage_errors(tmp_path: Path, db_env: str):
    config = tmp_path / "govwatch.toml"
    config.write_text(
        '[[source]]\nname = "x"\nstart_urls = ["https://www.example.gov.cn/a.html"]\n'
        'schedule = "99 * * * *"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    bad_cron = runner.invoke(cli, ["run", "--config", str(config)])
    assert bad_cron.exit_code == 2 and "source 'x'" in bad_cron.stderr and "99" in bad_cron.stderr
    config.write_text(config.read_text(encoding="utf-8").replace("99 * * * *", "every 1h"), encoding="utf-8")
    too_slow = runner.invoke(cli, ["run", "--config", str(config), "--heartbeat", "300"])
    assert too_slow.exit_code == 2 and "--stale-after must be longer than --heartbeat" in too_slow.stderr
    bad_env = runner.invoke(
        cli, ["notify", "--config", str(config)], env={"GOVWATCH_NOTIFY_MAX_ATTEMPTS": "many"}
    )
    assert bad_env.exit_code == 2 and "GOVWATCH_NOTIFY_MAX_ATTEMPTS" in bad_env.stderr


def test_feed_of_an_unknown_source_exits_not_found(db_env: str):
    result = CliRunner().invoke(cli, ["feed", "--source", "nowhere"])
    assert result.exit_code == 3 and "nowhere" in result.stderr


def test_notify_json_keeps_stdout_pure_json_even_with_a_console_channel(
    tmp_path: Path, db_env: str, session_factory
):
    config = tmp_path / "govwatch.toml"
    config.write_text('[[channel]]\nname = "terminal"\ntype = "console"\n', encoding="utf-8")
    _run, ids = add_run_with_changes(session_factory, channels=("terminal",), documents=1)
    result = CliRunner().invoke(cli, ["notify", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "messages": 1,
        "sent": len(ids),
        "retrying": 0,
        "gave_up": 0,
        "errors": [],
    }
    assert "地区生产总值增长：5.5%左右 → 6%左右" in result.stderr
    with session_factory() as session, session.begin():
        session.execute(update(Delivery).values(status="failed", last_error="x"))
    failed = CliRunner().invoke(cli, ["notify", "--failed", "--json"])
    rows = [json.loads(line) for line in failed.stdout.splitlines()]
    assert len(rows) == len(ids) and all("T" in row["created_at"] for row in rows)


def test_an_unusable_database_is_one_clear_line_not_a_traceback(tmp_path: Path):
    env = {**os.environ, "GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "status"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "error: cannot use the database (GOVWATCH_DATABASE_URL): unable to open" in result.stderr
    assert "Traceback" not in result.stderr


def test_notify_exits_partial_when_one_channel_fails_and_another_delivers(
    tmp_path: Path, db_env: str, session_factory
):
    config = tmp_path / "govwatch.toml"
    archive = tmp_path / "changes.jsonl"
    config.write_text(
        f'[[channel]]\nname = "archive"\ntype = "jsonl"\nurl = "{archive}"\n\n'
        '[[channel]]\nname = "hook"\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n',
        encoding="utf-8",
    )
    add_run_with_changes(session_factory, channels=("archive", "hook"), documents=1)
    result = CliRunner().invoke(cli, ["notify", "--config", str(config)])
    assert result.exit_code == 4, result.output
    assert "sent 1 message(s)" in result.stderr and "hook: webhook unreachable" in result.stderr
    assert len(archive.read_text(encoding="utf-8").splitlines()) == 1


def test_the_crawl_summary_fits_80_columns_without_cutting_names_or_headings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler.commands.crawl_cmds import PROGRESS_COLUMNS, _summary_table

    monkeypatch.setenv("COLUMNS", "80")
    counts = dict.fromkeys(PROGRESS_COLUMNS, 12345)
    summaries = [
        {"source": "wuxi-dfgw-xxgk", "outcome": "interrupted", "run_id": 12345, "counts": counts},
        {"source": "zhonglou-policy-documents-and-plans", "outcome": "ok", "run_id": 7, "counts": {}},
    ]
    _summary_table(summaries)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, out
    assert "…" not in out
    words = out.split()
    for heading in ("source", "outcome", "run", "pages", "new", "versions", "not", "modified"):
        assert heading in words, heading
    assert "wuxi-dfgw-xxgk" in words and "interrupted" in words
    # A name longer than its column is folded onto the next lines, every character kept.
    assert "zhonglou-policy-documents-and-plans" in "".join(
        line.split()[0] for line in lines[4:] if line.strip()
    )


def test_a_scheduler_crash_is_one_clear_line_after_its_traceback_in_the_log(
    tmp_path: Path, db_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from scheduler.daemon import Daemon

    def broken(self: Daemon) -> None:  # a fault inside the scheduler, after start-up went well
        raise RuntimeError("job store corrupted")

    config = tmp_path / "govwatch.toml"
    config.write_text(
        '[[source]]\nname = "a"\nstart_urls = ["http://127.0.0.1:9/"]\nschedule = "every 1h"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(Daemon, "start", broken)
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--no-catch-up"])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "error: the scheduler stopped: RuntimeError: job store corrupted (traceback in the log above)"
    )
    crashed = [r for r in caplog.records if r.getMessage() == "the scheduler crashed"]
    assert crashed and crashed[0].exc_info is not None
    assert "job store corrupted" in "".join(traceback.format_exception(*crashed[0].exc_info))


def test_the_scheduler_refuses_a_bad_environment_value_before_it_starts(
    tmp_path: Path, db_env: str, session_factory
) -> None:
    config = tmp_path / "govwatch.toml"
    config.write_text(
        '[[source]]\nname = "a"\nstart_urls = ["http://127.0.0.1:9/"]\nschedule = "every 1h"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["run", "--config", str(config)], env={"GOVWATCH_RECORD_WORKERS": "two"})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: environment: GOVWATCH_RECORD_WORKERS='two' must be a whole number of worker processes"
    ]
    with session_factory() as session:
        assert session.query(CrawlRun).count() == 0 and session.query(SchedulerLock).count() == 0
