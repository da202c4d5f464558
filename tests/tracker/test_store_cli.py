"""The store's command line: changes, history, show, diff, targets, reprocess, db."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from scheduler.cli import EXIT_NOT_FOUND, cli
from tests.tracker.pages import URL, portal_page, snap
from tracker.db import session_scope
from tracker.record import record

ROOT = Path(__file__).resolve().parents[2]
DESIGN_FIELDS = [
    "id",
    "detected_at",
    "source",
    "url",
    "document_id",
    "title",
    "kind",
    "old_version",
    "new_version",
    "details",
]


@pytest.fixture
def recorded(db_env: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Three versions of the Wuxi page (value edit, reworded target, hostile body edit), then a 404."""
    page = portal_page().decode("utf-8")
    edits = [
        page,
        page.replace("地区生产总值增长5.5%左右", "地区生产总值增长6%左右"),
        page.replace("地区生产总值增长5.5%左右", "地区生产总值增长6%以上")
        .replace("市重大产业项目完成投资1450亿元", "市重大项目项目完成投资1450亿元")
        .replace("全面强化金融监管", "全面加强[bold red]金融[/bold red]监管"),
    ]
    for minute, body in enumerate(edits):
        with session_scope(session_factory) as session:
            record(session, snap(body.encode("utf-8"), minutes=minute))
    with session_scope(session_factory) as session:
        record(session, snap(b"", status=404, minutes=10))
    return session_factory


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_changes_json_lines_have_exactly_the_documented_fields(recorded: sessionmaker[Session]) -> None:
    code, out = run("changes", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [r["kind"] for r in rows] == [
        "document_added",
        "target_changed",
        "target_changed",
        "target_changed",
        "content_changed",
        "document_removed",
    ]
    assert all(list(r) == DESIGN_FIELDS for r in rows)
    value_edit = rows[1]
    assert value_edit["url"] == URL and value_edit["source"] == "wuxi-fgw"
    assert (value_edit["old_version"], value_edit["new_version"]) == (1, 2)
    assert value_edit["details"]["indicator"] == "地区生产总值"
    assert value_edit["details"]["old"]["value"] == 5.5 and value_edit["details"]["new"]["value"] == 6
    assert value_edit["detected_at"].startswith("2026-03-01T08:01:00")
    drift = next(r for r in rows if r["details"].get("old_indicator"))
    assert drift["details"]["indicator"] == "市重大项目项目完成投资"


def test_changes_filters(recorded: sessionmaker[Session]) -> None:
    _code, out = run("changes", "--json", "--kind", "target_changed", "--since", "2026-03-01T08:02")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(rows) == 2 and {r["new_version"] for r in rows} == {3}
    elsewhere = CliRunner().invoke(cli, ["changes", "--json", "--source", "elsewhere"])
    assert elsewhere.stdout.strip() == ""  # no events; the error names the known sources on stderr
    assert elsewhere.exit_code == EXIT_NOT_FOUND and "wuxi-fgw" in elsewhere.stderr
    _code, out = run("changes", "--json", "--url", URL, "--limit", "1")
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["document_removed"]
    code, out = run("changes", "--since", "yesterday-ish")
    assert code == 2 and "7d" in out


def test_changes_kind_takes_groups_and_names_the_valid_kinds(recorded: sessionmaker[Session]) -> None:
    _code, out = run("changes", "--json", "--kind", "documents")
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["document_added", "document_removed"]
    code, out = run("changes", "--kind", "nonsense")
    assert code == 2
    assert "nonsense" in out and "target_changed" in out and "documents" in out


def test_changes_table_shows_page_text_literally(recorded: sessionmaker[Session]) -> None:
    code, out = run("changes")
    assert code == 0
    assert "地区生产总值: 5.5%左右 → 6%左右" in out
    # Markup inside a page is text, never styling.
    assert "[bold red]" in out


def test_history_lists_versions_and_removal(recorded: sessionmaker[Session]) -> None:
    code, out = run("history", URL, "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["document"]["status"] == "removed"
    entries = payload["history"]
    assert [e["seq"] for e in entries] == [1, 2, 3, None]
    assert entries[2]["kinds"] == ["target_changed", "content_changed"]
    assert entries[3]["kinds"] == ["document_removed"]
    code, out = run("history", "1")
    assert code == 0 and "document_removed" in out


def test_show_diff_targets(recorded: sessionmaker[Session]) -> None:
    code, out = run("show", URL, "--version", "1", "--json")
    assert code == 0
    snapshot = json.loads(out)["version"]["snapshot"]
    assert any(t["indicator"] == "地区生产总值" and t["value"] == 5.5 for t in snapshot["targets"].values())
    code, out = run("show", "1")
    assert code == 0 and "地区生产总值" in out

    code, out = run("diff", URL, "1", "2", "--json")
    assert code == 0
    payload = json.loads(out)
    assert [e["kind"] for e in payload["events"]] == ["target_changed"]
    assert [p["op"] for p in payload["paragraphs"]] == ["edited"]
    code, out = run("diff", URL)
    assert code == 0 and "version 2 → version 3" in out and "[bold red]金融[/bold red]" in out

    code, out = run("targets", URL, "--history", "--json")
    assert code == 0
    gdp = next(s for s in json.loads(out) if s["indicator"] == "地区生产总值")
    assert [(p["value"], p["qualifier"]) for p in gdp["points"]] == [(5.5, "左右"), (6, "左右"), (6, "以上")]
    # The reworded target is one series across its rename.
    drifted = [s for s in json.loads(out) if "完成投资" in (s["indicator"] or "") and s["section"]]
    renamed = next(s for s in drifted if s["indicator"] == "市重大项目项目完成投资")
    assert [p["seq"] for p in renamed["points"]] == [1, 2, 3]
    code, out = run("targets", URL, "--history")
    assert code == 0 and "5.5%左右" in out and "6%以上" in out


def test_unknown_document_or_version_exits_not_found(recorded: sessionmaker[Session]) -> None:
    for args in (["history", "http://127.0.0.1/nope"], ["show", URL, "--version", "99"], ["diff", "999"]):
        code, _out = run(*args)
        assert code == EXIT_NOT_FOUND, args


@pytest.mark.slow
def test_db_upgrade_and_current_in_a_real_process(db_env: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "scheduler.cli"]
    current = subprocess.run(
        [*cmd, "db", "current", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(current.stdout)["current"] is None
    upgraded = subprocess.run(
        [*cmd, "db", "upgrade", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(upgraded.stdout)["upgraded"] is True
    again = subprocess.run(
        [*cmd, "db", "current", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(again.stdout)["up_to_date"] is True
    missing = subprocess.run(
        [*cmd, "show", "http://127.0.0.1/x"], env=env, capture_output=True, text=True, check=False
    )
    assert missing.returncode == EXIT_NOT_FOUND and "no document" in missing.stderr


def test_reprocess_reports_counts_and_creates_no_events(recorded: sessionmaker[Session]) -> None:
    _code, before = run("changes", "--json")
    code, out = run("reprocess", "--json")
    assert code == 0
    report = json.loads(out.strip().splitlines()[-1])
    assert (report["documents"], report["versions"], report["unchanged"], report["rewritten"]) == (1, 3, 3, 0)
    _code, after = run("changes", "--json")
    assert after == before


def test_terminal_diff_highlights_exactly_the_changed_characters() -> None:
    from scheduler.commands.rendering import highlight

    text = highlight("edited", "地区生产总值增长5.5%左右", "地区生产总值增长6%左右")
    assert text.plain == "~地区生产总值增长5.56%左右"
    styled = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styled["5.5"] == "bold red strike" and styled["6"] == "bold green underline"
    added = highlight("added", None, "[red]新段落[/red]")
    assert added.plain == "+[red]新段落[/red]"  # page text is never parsed as markup


def test_db_current_of_an_unreachable_database_exits_1_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the database cannot be reached, an operating condition (exit 1,
    # as for `changes`), not a bad argument (2).
    monkeypatch.setenv("GOVWATCH_DATABASE_URL", "postgresql+psycopg://govwatch@127.0.0.1:1/none")
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot use the database (GOVWATCH_DATABASE_URL):")
