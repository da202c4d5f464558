"""Engine and session handling: SQLite pragmas, PostgreSQL by URL, schema upgrades via Alembic."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tracker.env import database_url

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
SCHEMA_LOCK_KEY = 0x676F7677  # PostgreSQL advisory lock held while migrating ("govw")
# The newest migration under alembic/versions; a test holds it to Alembic's own head.
SCHEMA_HEAD = "0007"
VERSION_TABLE = "alembic_version"  # Alembic's default, which alembic/env.py keeps


class DatabaseUnavailable(Exception):
    """The database cannot be opened where the URL says; the message names the place and the cause."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _json_dumps(value: Any) -> str:
    # Snapshots are mostly Chinese text: as \uXXXX escapes they took 1.8x the bytes to store.
    return json.dumps(value, ensure_ascii=False)


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names (None for other databases, in-memory and ``file:`` URI ones)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(name).resolve()


def sqlite_location_problem(path: Path, *, write: bool) -> str | None:
    """Why govwatch cannot use the SQLite file ``path`` (for writing when ``write``), None when it can."""
    directory = path.parent
    if not path.exists():
        if not directory.is_dir():
            return f"unable to open database file {path}: directory {directory} does not exist"
        if not os.access(directory, os.W_OK | os.X_OK):
            return f"unable to create database file {path}: directory {directory} is not writable"
        return None
    if not os.access(path, os.R_OK):
        return f"unable to open database file {path}: permission denied"
    if write and not _sqlite_writable(path):
        return f"database file {path} is read-only ({_read_only_cause(path)}); only reading commands work"
    return None


def _sqlite_writable(path: Path) -> bool:
    # WAL mode writes ``-wal`` and ``-shm`` files beside the database: the directory must be writable too.
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _read_only_cause(path: Path) -> str:
    if not os.access(path, os.W_OK):
        return "the file is not writable"
    return f"directory {path.parent} is not writable"


def _read_only_url(url: URL, path: Path) -> URL:
    """Open a database in a read-only place for reading: without its ``-shm`` file SQLite cannot share
    the WAL, so a database with no WAL content is opened ``immutable`` (nobody can write there)."""
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    return url.set(database=f"file:{path}?{mode}").update_query_dict({"uri": "true"})


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or database_url()
    kwargs.setdefault("json_serializer", _json_dumps)
    if url.startswith("sqlite"):
        # The driver's own timeout too: BEGIN may wait on a writer in another process.
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        parsed = make_url(url)
        path = sqlite_file(parsed)
        if path is not None:
            problem = sqlite_location_problem(path, write=False)
            if problem is not None:
                raise DatabaseUnavailable(problem)
            if path.exists() and not _sqlite_writable(path):
                log.info("%s is read-only (%s): opened for reading only", path, _read_only_cause(path))
                engine = create_engine(_read_only_url(parsed, path), **kwargs)
                event.listen(engine, "connect", _sqlite_read_only_pragmas)
                return engine
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def explain_failure(url: str, reason: str) -> str:
    """``reason`` (a driver's error) with the SQLite file, and why it cannot be written when that is why."""
    try:
        path = sqlite_file(url)
    except Exception:  # an unparsable URL has its own message
        return reason
    if path is None:
        return reason
    problem = sqlite_location_problem(path, write=True)
    return f"{reason}: {problem}" if problem else f"{reason} ({path})"


MIGRATIONS_PACKAGE = "govwatch_migrations"


@cache
def migrations_dir() -> Path:
    """The Alembic script folder: the installed ``govwatch_migrations`` package (the checkout's
    top-level ``alembic/`` folder, mapped into the wheel under that name), or that folder itself
    when the code runs from a checkout that was never installed."""
    spec = find_spec(MIGRATIONS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[1] / "alembic"


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this code."""
    return SCHEMA_HEAD


def migrations_head() -> str | None:
    """The head Alembic finds in alembic/versions (what ``SCHEMA_HEAD`` must say)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _revision_of(conn: Connection) -> str | None:
    # Alembic's version table, read without Alembic: opening a current database is then a
    # query, not ~90 ms of imports and migration scripts in every process.
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) > 1:
        raise RuntimeError(f"the database is at several migration heads at once: {', '.join(versions)}")
    return versions[0] if versions else None


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: empty database)."""
    with engine.connect() as conn:
        return _revision_of(conn)


def upgrade(engine: Engine) -> str | None:
    """Bring the schema to the newest migration; return the revision it started from."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return current
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    log.info("upgrading database schema from %s to %s", current or "empty", head)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two processes opening a new database at once: the second waits, then finds it done.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                if _revision_of(conn) == head:
                    return current
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError:
        # SQLite has no such lock: another process may be running the same upgrade right now.
        if not _wait_for_revision(engine, head, SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise
    return current


def _wait_for_revision(engine: Engine, revision: str | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if current_revision(engine) == revision:
                return True
        except DBAPIError:
            pass  # the other process is still creating the version table
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def schema_is_current(engine: Engine) -> bool:
    return "versions" in inspect(engine).get_table_names() and current_revision(engine) == head_revision()


@cache
def _factory(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    started = upgrade(engine)
    head = head_revision()
    if started != head:
        where = engine.url.render_as_string(hide_password=True)
        what = "created the database schema" if started is None else f"upgraded the database from {started}"
        message = f"{what} (now at revision {head}) in {where}"
        # Said on stderr (not only logged at INFO): the user should learn once that the schema changed.
        print(f"govwatch: {message}", file=sys.stderr)
    return sessionmaker(engine, expire_on_commit=False)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """A session factory bound to ``url`` (default: the configured database), schema upgraded once."""
    return _factory(url or database_url())


@contextmanager
def scratch_postgres_database(server_url: str, prefix: str = "govwatch_scratch") -> Iterator[str]:
    """A new empty database on the PostgreSQL server of ``server_url``, dropped afterwards.

    Yields its URL. For tests and benchmarks, which must never touch a real database.
    """
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = (factory or session_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
