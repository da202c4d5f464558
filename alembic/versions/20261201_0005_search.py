"""search: a full-text index of every document's latest version, kept current by triggers

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 08:30:00

SQLite: an FTS5 table with the trigram tokenizer (Chinese has no word boundaries, so the unit
is three characters; shorter terms fall back to LIKE over the same table). PostgreSQL: a plain
table with a pg_trgm GIN index over title, metadata and body. On both, triggers on
``documents`` (a new latest version, a new title) and on ``versions`` (a snapshot re-derived
in place by ``govwatch reprocess``) rewrite the document's row in the same transaction, so the
index is never behind what the store holds and the recording code does not need to know it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# -- SQLite -----------------------------------------------------------------------------------------

_SQLITE_SELECT = """
    SELECT d.id,
           coalesce(d.title, json_extract(v.snapshot, '$.title'), ''),
           coalesce((SELECT group_concat(value, char(10)) FROM json_each(v.snapshot, '$.metadata')), ''),
           coalesce((SELECT group_concat(value, char(10)) FROM json_each(v.snapshot, '$.paragraphs')), '')
    FROM documents AS d JOIN versions AS v ON v.id = d.latest_version_id
"""
_SQLITE_ROW = (
    " DELETE FROM search_fts WHERE rowid = {doc};"
    " INSERT INTO search_fts (rowid, title, meta, body)" + _SQLITE_SELECT + " WHERE d.id = {doc}; "
)

_SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, meta, body, tokenize = 'trigram')",
    "CREATE TRIGGER search_document_inserted AFTER INSERT ON documents "
    "WHEN NEW.latest_version_id IS NOT NULL BEGIN" + _SQLITE_ROW.format(doc="NEW.id") + "END",
    "CREATE TRIGGER search_document_updated AFTER UPDATE OF latest_version_id, title ON documents "
    "WHEN NEW.latest_version_id IS NOT NULL BEGIN" + _SQLITE_ROW.format(doc="NEW.id") + "END",
    "CREATE TRIGGER search_document_deleted AFTER DELETE ON documents BEGIN "
    "DELETE FROM search_fts WHERE rowid = OLD.id; END",
    # A re-derived snapshot of the latest version (govwatch reprocess) changes what is searched.
    "CREATE TRIGGER search_version_rederived AFTER UPDATE OF snapshot ON versions "
    "WHEN NEW.id = (SELECT latest_version_id FROM documents WHERE id = NEW.document_id) BEGIN"
    + _SQLITE_ROW.format(doc="NEW.document_id")
    + "END",
]

# -- PostgreSQL -------------------------------------------------------------------------------------

_PG_FUNCTION = """
CREATE FUNCTION search_index_document(doc_id integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_documents (document_id, title, meta, body)
    SELECT d.id,
           coalesce(d.title, v.snapshot->>'title', ''),
           coalesce(CASE WHEN jsonb_typeof(v.snapshot->'metadata') = 'object' THEN
               (SELECT string_agg(value, E'\\n') FROM jsonb_each_text(v.snapshot->'metadata')) END, ''),
           coalesce(CASE WHEN jsonb_typeof(v.snapshot->'paragraphs') = 'array' THEN
               (SELECT string_agg(value, E'\\n') FROM jsonb_array_elements_text(v.snapshot->'paragraphs')) END, '')
    FROM documents AS d JOIN versions AS v ON v.id = d.latest_version_id
    WHERE d.id = doc_id
    ON CONFLICT (document_id) DO UPDATE
        SET title = EXCLUDED.title, meta = EXCLUDED.meta, body = EXCLUDED.body;
END $$
"""

_PG_TRIGGERS = """
CREATE FUNCTION search_document_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.latest_version_id IS NOT NULL AND (TG_OP = 'INSERT'
            OR NEW.latest_version_id IS DISTINCT FROM OLD.latest_version_id
            OR NEW.title IS DISTINCT FROM OLD.title) THEN
        PERFORM search_index_document(NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_document_changed AFTER INSERT OR UPDATE OF latest_version_id, title ON documents
    FOR EACH ROW EXECUTE FUNCTION search_document_changed();
CREATE FUNCTION search_version_rederived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.snapshot IS DISTINCT FROM OLD.snapshot AND EXISTS (
            SELECT 1 FROM documents WHERE id = NEW.document_id AND latest_version_id = NEW.id) THEN
        PERFORM search_index_document(NEW.document_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_version_rederived AFTER UPDATE OF snapshot ON versions
    FOR EACH ROW EXECUTE FUNCTION search_version_rederived();
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
        op.execute("INSERT INTO search_fts (rowid, title, meta, body)" + _SQLITE_SELECT)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE search_documents ("
        " document_id integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,"
        " title text NOT NULL, meta text NOT NULL, body text NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_search_documents_trgm ON search_documents "
        "USING gin ((title || ' ' || meta || ' ' || body) gin_trgm_ops)"
    )
    op.execute(_PG_FUNCTION)
    op.execute(_PG_TRIGGERS)
    op.execute("SELECT search_index_document(id) FROM documents WHERE latest_version_id IS NOT NULL")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in (
            "search_document_inserted",
            "search_document_updated",
            "search_document_deleted",
            "search_version_rederived",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        return
    op.execute("DROP TRIGGER IF EXISTS search_version_rederived ON versions")
    op.execute("DROP TRIGGER IF EXISTS search_document_changed ON documents")
    op.execute("DROP FUNCTION IF EXISTS search_version_rederived()")
    op.execute("DROP FUNCTION IF EXISTS search_document_changed()")
    op.execute("DROP FUNCTION IF EXISTS search_index_document(integer)")
    op.execute("DROP TABLE IF EXISTS search_documents")
