"""Process-wide settings read from the environment (database URL, config path)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

DEFAULT_DATABASE_FILE = "govwatch.db"
# backend -> the drivers govwatch runs on (and the module each one imports)
SUPPORTED_DRIVERS: dict[str, dict[str, str]] = {
    "sqlite": {"pysqlite": "sqlite3"},
    "postgresql": {"psycopg": "psycopg", "psycopg2": "psycopg2"},
}
URL_EXAMPLES = "sqlite:///path/to/govwatch.db or postgresql+psycopg://user:password@host/dbname"


class DatabaseURLError(ValueError):
    """``GOVWATCH_DATABASE_URL`` is not a database govwatch can use; the message says why."""


def database_url() -> str:
    """``GOVWATCH_DATABASE_URL`` (checked) or a SQLite file in the working directory."""
    url = os.environ.get("GOVWATCH_DATABASE_URL", "").strip()
    if url:
        check_database_url(url)
        return url
    return f"sqlite:///{Path(DEFAULT_DATABASE_FILE).resolve()}"


def check_database_url(url: str) -> None:
    """Raise ``DatabaseURLError`` unless ``url`` names SQLite or PostgreSQL through an installed driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(
            f"unsupported database URL {url[:80]!r}: not a URL; use {URL_EXAMPLES}"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    drivers = SUPPORTED_DRIVERS.get(parsed.get_backend_name())
    if drivers is None:
        raise DatabaseURLError(
            f"unsupported database URL {shown!r}: govwatch stores its data in SQLite or PostgreSQL; "
            f"use {URL_EXAMPLES}"
        )
    driver = parsed.get_driver_name()
    module = drivers.get(driver)
    if module is None or importlib.util.find_spec(module) is None:
        what = "is not supported" if module is None else "is not installed"
        raise DatabaseURLError(
            f"unsupported database URL {shown!r}: driver {driver!r} {what}; use {URL_EXAMPLES} "
            "(pip install -e '.[postgres]' for PostgreSQL)"
        )


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` wins, then ``GOVWATCH_CONFIG``, then ``./govwatch.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GOVWATCH_CONFIG", "").strip()
    return Path(env) if env else Path("govwatch.toml")
