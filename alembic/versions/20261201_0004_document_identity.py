"""document identity: one document per canonical URL, learned volatile parameters

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

Documents are keyed by their canonical URL (``crawler.identity``): session, visitor and tracking
parameters are no part of it. Documents recorded before that which now share a canonical URL are
merged into the one seen first: their versions renumbered in the order they were made, their
fetches and change events re-pointed. The merge writes no change event: nothing changed on the
portal. ``volatile_parameters`` holds what each source was seen to change between two fetches of
the same list page.

Downgrading drops the table; merged documents stay merged.
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ_OFFSET = 1_000_000  # versions move out of the way first: (document_id, seq) is unique


def upgrade() -> None:
    op.create_table(
        "volatile_parameters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_url", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_volatile_parameters_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volatile_parameters")),
        sa.UniqueConstraint("source_id", "name", name=op.f("uq_volatile_parameters_source_id")),
    )
    _merge_documents(op.get_bind())


def downgrade() -> None:
    op.drop_table("volatile_parameters")


def _merge_documents(conn: sa.Connection) -> None:
    # The rules of the code that will read these rows: a document must be found under the URL
    # the crawler now computes.
    from crawler.identity import canonical_url

    meta = sa.MetaData()
    documents = sa.Table("documents", meta, autoload_with=conn)
    versions = sa.Table("versions", meta, autoload_with=conn)
    fetches = sa.Table("fetches", meta, autoload_with=conn)
    changes = sa.Table("changes", meta, autoload_with=conn)

    rows = conn.execute(
        sa.select(
            documents.c.id,
            documents.c.source_id,
            documents.c.url,
            documents.c.first_seen_at,
            documents.c.last_seen_at,
        ).order_by(documents.c.id)
    ).all()
    groups: dict[tuple[int, str], list[sa.Row]] = defaultdict(list)
    for row in rows:
        groups[(row.source_id, canonical_url(row.url))].append(row)
    for (_source, url), members in groups.items():
        if len(members) == 1:
            if members[0].url != url:
                conn.execute(documents.update().where(documents.c.id == members[0].id).values(url=url))
            continue
        _merge(conn, documents, versions, fetches, changes, members, url)


def _merge(
    conn: sa.Connection,
    documents: sa.Table,
    versions: sa.Table,
    fetches: sa.Table,
    changes: sa.Table,
    members: list[sa.Row],
    url: str,
) -> None:
    ordered = sorted(members, key=lambda r: (r.first_seen_at, r.id))
    keep = ordered[0].id
    others = [r.id for r in ordered[1:]]
    ids = [r.id for r in ordered]
    latest_seen = max(ordered, key=lambda r: (r.last_seen_at, r.id))
    state = conn.execute(
        sa.select(documents.c.status, documents.c.etag, documents.c.last_modified).where(
            documents.c.id == latest_seen.id
        )
    ).one()
    history = conn.execute(
        sa.select(versions.c.id, versions.c.document_id)
        .where(versions.c.document_id.in_(ids))
        .order_by(versions.c.created_at, versions.c.seq, versions.c.id)
    ).all()
    title = None
    if history:  # the title of the newest content, whichever duplicate recorded it
        title = conn.execute(
            sa.select(documents.c.title).where(documents.c.id == history[-1].document_id)
        ).scalar()
    conn.execute(
        versions.update().where(versions.c.document_id.in_(ids)).values(seq=versions.c.seq + _SEQ_OFFSET)
    )
    for seq, (version_id, _owner) in enumerate(history, 1):
        conn.execute(versions.update().where(versions.c.id == version_id).values(document_id=keep, seq=seq))
    conn.execute(fetches.update().where(fetches.c.document_id.in_(others)).values(document_id=keep))
    conn.execute(changes.update().where(changes.c.document_id.in_(others)).values(document_id=keep))
    conn.execute(documents.delete().where(documents.c.id.in_(others)))
    values = {
        "url": url,
        "first_seen_at": ordered[0].first_seen_at,
        "last_seen_at": latest_seen.last_seen_at,
        "status": state.status,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "latest_version_id": history[-1][0] if history else None,
    }
    if title is not None:
        values["title"] = title
    conn.execute(documents.update().where(documents.c.id == keep).values(**values))
