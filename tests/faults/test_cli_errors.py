"""A user's mistake or an unusable database is one line and the documented exit code, never a traceback."""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from scheduler.cli import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_PARTIAL, EXIT_USAGE, cli
from tests.crawler.conftest import REPO, crawl_env
from tests.scheduler.rows import add_run_with_changes
from tracker.db import make_engine, upgrade
from tracker.models import CrawlRun, Delivery

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def _without_dac_override() -> None:
    # Root ignores file permissions through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH; dropped from the
    # bounding set before exec, the child's root is bound by them like any other user.
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def govwatch(
    *args: str, env: dict[str, str] | None = None, permissions_apply: bool = False
) -> subprocess.CompletedProcess[str]:
    """``govwatch ARGS`` in a child process (``permissions_apply``: file modes bind it, even as root)."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        env=env or dict(os.environ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_without_dac_override if permissions_apply and os.geteuid() == 0 else None,
    )


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_since_beyond_the_calendar_is_a_usage_error(
    db_env: str, session_factory: sessionmaker[Session]
) -> None:
    result = CliRunner().invoke(cli, ["changes", "--since", "99999999d"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "reaches back before the year 1" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("url", "command"),
    [
        ("garbage", ("changes",)),
        ("mysql://user:secret@db.example.org/govwatch", ("status",)),
        ("oracle+cx_oracle://user:secret@db/x", ("crawl", "--config", "/nonexistent.toml")),
    ],
)
def test_an_unsupported_database_url_is_refused_with_exit_2(url: str, command: tuple[str, ...]) -> None:
    result = govwatch(*command, env={**crawl_env(url)})
    assert result.returncode == EXIT_USAGE, result.stderr
    line = one_clear_line(result)
    assert line.startswith("error: unsupported database URL"), line
    assert "secret" not in result.stderr  # the password is never echoed


def test_help_needs_no_usable_database() -> None:
    result = govwatch("changes", "--help", env=crawl_env("garbage"))
    assert result.returncode == 0 and "--since" in result.stdout


@pytest.fixture
def read_only_database() -> Iterator[Path]:
    """A migrated SQLite database holding one change, in a directory nobody may write to."""
    directory = Path(tempfile.mkdtemp(prefix="govwatch-ro-"))
    path = directory / "govwatch.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    factory = sessionmaker(make_engine(f"sqlite:///{path}"))
    add_run_with_changes(factory, documents=1)
    factory.kw["bind"].dispose()
    # A clean WAL: what a stopped govwatch leaves behind.
    checkpoint = make_engine(f"sqlite:///{path}")
    with checkpoint.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.dispose()
    for leftover in directory.glob("govwatch.db-*"):
        leftover.unlink()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    directory.chmod(0o555)
    try:
        yield path
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)


def test_a_read_only_database_still_answers_queries(read_only_database: Path) -> None:
    env = crawl_env(f"sqlite:///{read_only_database}")
    result = govwatch("changes", "--json", env=env, permissions_apply=True)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2  # the run's two change events
    assert govwatch("history", "1", env=env, permissions_apply=True).returncode == 0


def test_writing_to_a_read_only_database_is_one_line_naming_the_file(
    read_only_database: Path, tmp_path: Path
) -> None:
    env = crawl_env(f"sqlite:///{read_only_database}")
    config = tmp_path / "govwatch.toml"
    config.write_text(
        '[[source]]\nname = "a"\nstart_urls = ["http://127.0.0.1:9/"]\nallow_private_addresses = true\n',
        encoding="utf-8",
    )
    config.chmod(0o644)
    tmp_path.chmod(0o755)
    result = govwatch("crawl", "--config", str(config), env=env, permissions_apply=True)
    assert result.returncode == EXIT_FAILURE
    line = one_clear_line(result)
    assert str(read_only_database) in line and "not writable" in line, line


def test_a_database_that_cannot_be_created_names_the_directory() -> None:
    directory = Path(tempfile.mkdtemp(prefix="govwatch-ro-"))
    directory.chmod(0o555)
    try:
        result = govwatch(
            "status", env=crawl_env(f"sqlite:///{directory / 'new.db'}"), permissions_apply=True
        )
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)
    assert result.returncode == EXIT_FAILURE
    line = one_clear_line(result)
    assert f"{directory / 'new.db'}" in line and f"directory {directory} is not writable" in line, line


def test_an_unknown_source_exits_3_naming_the_known_ones(
    db_env: str, session_factory: sessionmaker[Session]
) -> None:
    add_run_with_changes(session_factory, source="wuxi-dfgw", documents=1)
    add_run_with_changes(session_factory, source="changzhou", documents=1)
    result = CliRunner().invoke(cli, ["changes", "--source", "nosuch"])
    assert result.exit_code == EXIT_NOT_FOUND, result.output
    assert "'nosuch'" in result.output and "changzhou, wuxi-dfgw" in result.output
    assert CliRunner().invoke(cli, ["changes", "--source", "changzhou"]).exit_code == 0


def test_crawl_with_a_bad_cron_expression_starts_nothing(
    db_env: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    config = tmp_path / "govwatch.toml"
    config.write_text(
        '[[source]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\nschedule = "99 6 * * *"\n'
        "allow_private_addresses = true\n",
        encoding="utf-8",
    )
    result = govwatch("crawl", "--config", str(config), env=crawl_env(db_env))
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "field 'schedule' '99 6 * * *' is not a valid cron expression" in one_clear_line(result)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 0


def _notify_config(tmp_path: Path) -> Path:
    config = tmp_path / "govwatch.toml"
    archive = tmp_path / "changes.jsonl"
    config.write_text(
        f'[[channel]]\nname = "archive"\ntype = "jsonl"\nurl = "{archive}"\n\n'
        '[[channel]]\nname = "hook"\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n',
        encoding="utf-8",
    )
    return config


def test_notify_exits_1_when_every_delivery_has_given_up(
    db_env: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add_run_with_changes(session_factory, channels=("hook",), documents=1)
    with session_factory() as session, session.begin():
        session.execute(update(Delivery).values(status="failed", attempts=8, last_error="HTTP 503"))
    result = CliRunner().invoke(cli, ["notify", "--config", str(_notify_config(tmp_path))])
    assert result.exit_code == EXIT_FAILURE, result.output
    assert "2 notification(s) gave up for good" in result.stderr and "--retry-failed" in result.stderr


def test_notify_exits_4_when_some_went_out_and_others_gave_up(
    db_env: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add_run_with_changes(session_factory, channels=("hook",), documents=1)
    with session_factory() as session, session.begin():
        session.execute(update(Delivery).values(status="failed", attempts=8, last_error="HTTP 503"))
    add_run_with_changes(session_factory, channels=("archive",), documents=1)
    result = CliRunner().invoke(cli, ["notify", "--config", str(_notify_config(tmp_path)), "--json"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert '"sent": 2' in result.stdout and "2 notification(s) gave up" in result.stderr


def test_normalize_of_a_missing_file_is_a_bad_argument() -> None:
    result = govwatch("normalize", "/nonexistent")
    assert result.returncode == EXIT_USAGE
    assert one_clear_line(result) == "error: /nonexistent: unreadable: No such file or directory"
