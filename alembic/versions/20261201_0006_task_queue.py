"""task queue: procrastinate's tables, types and functions (PostgreSQL only)

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01 08:40:00

The queue executor (``scheduler.queue``) hands crawls to ``govwatch worker`` processes through
procrastinate, whose schema lives in the same database as ours. Its own schema file is applied
here, so one ``govwatch db upgrade`` creates everything. SQLite installs run crawls locally and
get nothing. A later procrastinate release that changes its schema ships migration files
(``procrastinate.schema.SchemaManager.get_migrations_path()``); a govwatch migration applies
them when govwatch moves to that release.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    from procrastinate.schema import SchemaManager

    # The raw DB-API cursor: the file is plain SQL, with no parameters to substitute.
    with op.get_bind().connection.cursor() as cursor:
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    if not _postgres():
        return
    op.execute(
        """
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT tablename FROM pg_tables
                        WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
                        JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.fn);
            END LOOP;
            FOR item IN SELECT t.typname FROM pg_type t
                        JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
                          AND t.typtype IN ('e', 'c') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
            END LOOP;
        END $$;
        """
    )
