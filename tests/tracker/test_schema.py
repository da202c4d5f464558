"""The schema is owned by Alembic: migrations create it and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tracker.db import make_engine, upgrade
from tracker.models import Base
from tracker.search import not_index_table


def test_upgrade_creates_every_table_and_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    assert upgrade(engine) is None  # started from an empty database
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        # The search index's tables are kept by triggers, not models (tracker.search.INDEX_TABLES).
        opts = {"compare_type": True, "include_name": not_index_table}
        drift = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert drift == []
    # A second upgrade is a no-op that reports the head it found.
    assert upgrade(engine) is not None
    engine.dispose()


def test_the_written_down_head_is_the_newest_migration(db_url: str) -> None:
    from alembic.runtime.migration import MigrationContext as AlembicContext

    from tracker.db import SCHEMA_HEAD, current_revision, migrations_head

    assert migrations_head() == SCHEMA_HEAD
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:  # our reading of the version table is Alembic's
        assert current_revision(engine) == AlembicContext.configure(conn).get_current_revision()
    engine.dispose()


def test_old_database_is_upgraded_on_first_use_and_says_so(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command

    from tracker.db import alembic_config, head_revision, session_factory

    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    factory = session_factory(db_url)
    assert f"upgraded the database from 0001 (now at revision {head_revision()})" in capsys.readouterr().err
    with factory() as session:
        assert "ix_documents_url" in {
            ix["name"] for ix in inspect(session.get_bind()).get_indexes("documents")
        }
    factory.kw["bind"].dispose()


def test_migrations_downgrade_to_empty_and_back(db_url: str) -> None:
    from alembic import command

    from tracker.db import alembic_config, current_revision, head_revision

    engine = make_engine(db_url)
    upgrade(engine)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    assert upgrade(engine) is None
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.slow
def test_processes_opening_a_new_database_together_all_succeed(db_url: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "import sys; from tracker.db import session_factory; session_factory(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    # Whoever created the schema said so; the others found it there or waited for it.
    assert sum("created the database schema" in e for e in errors) >= 1
    engine = make_engine(db_url)
    with engine.connect() as conn:
        # The search index's tables are kept by triggers, not models (tracker.search.INDEX_TABLES).
        opts = {"compare_type": True, "include_name": not_index_table}
        drift = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert drift == []
    engine.dispose()
