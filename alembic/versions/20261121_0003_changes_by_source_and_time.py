"""changes by source and time: one index serves both the foreign key and per-source listings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:35:00

``changes --source S`` and the per-source feed read a source's most recent events; with
(source_id, detected_at) that is an index walk instead of sorting every event of the source.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_source_id_detected_at", ["source_id", "detected_at"], unique=False)
        batch_op.drop_index(batch_op.f("ix_changes_source_id"))


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_source_id"), ["source_id"], unique=False)
        batch_op.drop_index("ix_changes_source_id_detected_at")
