"""task queue: procrastinate's tables, types and functions (PostgreSQL only)

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01 08:40:00

The queue executor (``scheduler.queue``) hands crawls to ``govwatch worker`` processes through
procrastinate, whose objects live in the same database as ours, in their own PostgreSQL schema
``procrastinate`` (its connections put it first on their ``search_path``), apart from govwatch's
tables and from what Alembic compares with the models. procrastinate's own schema file is
applied here, so one ``govwatch db upgrade`` creates everything. SQLite installs run crawls locally and
get nothing. A later procrastinate release that changes its schema ships migration files
(``procrastinate.schema.SchemaManager.get_migrations_path()``); a govwatch migration applies
them when govwatch moves to that release.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


SCHEMA = "procrastinate"  # scheduler.queue.QUEUE_SCHEMA


def upgrade() -> None:
    if not _postgres():
        return
    from procrastinate.schema import SchemaManager

    # The raw DB-API cursor: the file is plain SQL, with no parameters to substitute. Its
    # objects go to their own schema; the search path is put back for Alembic's bookkeeping.
    with op.get_bind().connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        previous = cursor.fetchone()[0]
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cursor.execute(f"SET search_path TO {SCHEMA}")
        cursor.execute(SchemaManager.get_schema())
        cursor.execute(f"SET search_path TO {previous}")


def downgrade() -> None:
    if not _postgres():
        return
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
