"""Process-wide settings read from the environment (database URL, config path)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATABASE_FILE = "govwatch.db"


def database_url() -> str:
    """``GOVWATCH_DATABASE_URL`` or a SQLite file in the working directory."""
    url = os.environ.get("GOVWATCH_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{Path(DEFAULT_DATABASE_FILE).resolve()}"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` wins, then ``GOVWATCH_CONFIG``, then ``./govwatch.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GOVWATCH_CONFIG", "").strip()
    return Path(env) if env else Path("govwatch.toml")
