"""The schema is owned by Alembic: migrations create it and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tracker.db import make_engine, upgrade
from tracker.models import Base


def test_upgrade_creates_every_table_and_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    assert upgrade(engine) is None  # started from an empty database
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert drift == []
    # A second upgrade is a no-op that reports the head it found.
    assert upgrade(engine) is not None
    engine.dispose()
