"""lookup indexes: documents by URL alone, changes by crawl run

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:30:00

``govwatch history URL`` looks a document up by URL without knowing its source (the unique
key is (source_id, url), useless for that), and the notifier reads a crawl run's changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_url"), ["url"], unique=False)
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_crawl_run_id"), ["crawl_run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_crawl_run_id"))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_url"))
