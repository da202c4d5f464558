"""list links: what each list page led to, so a 304 list page is not parsed again

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:20:00

``list_links`` keeps, per list page of a source, its validators and the requests (detail pages,
attachments, further list pages) it led to when last fetched in full (``crawler.revisit``).
Nothing existing changes; downgrading drops the table (the next crawl parses every list again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("links", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_list_links_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_links")),
        sa.UniqueConstraint("source_id", "key", name=op.f("uq_list_links_source_id")),
    )


def downgrade() -> None:
    op.drop_table("list_links")
