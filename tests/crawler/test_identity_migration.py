"""Migration 0004: documents recorded under per-visit tokens are merged into one per canonical URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import select, text

from tracker.db import alembic_config, make_engine, session_factory, upgrade
from tracker.models import Change, Document, Fetch, Version
from tracker.store import known_urls, learn_volatile_parameters, volatile_parameters

BASE = "https://www.example.gov.cn/art/2024/3/1/art_12_4100050.html"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _insert(conn, table: str, **values) -> int:  # type: ignore[no-untyped-def]
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    return int(
        conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"), values).scalar()
    )


def test_token_duplicates_are_merged_with_versions_in_order_and_no_event(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        source = _insert(conn, "sources", name="hanweb", created_at=T0)
        other = _insert(conn, "sources", name="other", created_at=T0)
        docs = []
        # Three crawls, three tokens: three "documents" of one page; the second crawl saw an edit.
        for n, token in enumerate(["93a5ff9a01", "5be0c1d2e3", "0f0e0d0c0b"]):
            at = T0 + timedelta(days=n)
            doc = _insert(
                conn,
                "documents",
                source_id=source,
                url=f"{BASE}?uid={token}#top" if n else f"{BASE}?uid={token}",
                kind="page",
                status="active",
                title=f"标题{n}",
                first_seen_at=at,
                last_seen_at=at + timedelta(hours=1),
                etag=f'"e{n}"',
            )
            fetch = _insert(
                conn,
                "fetches",
                source_id=source,
                document_id=doc,
                url=f"{BASE}?uid={token}",
                fetched_at=at,
                status_code=200,
                outcome="new_content",
            )
            version = _insert(
                conn,
                "versions",
                document_id=doc,
                seq=1,
                created_at=at,
                fingerprint=f"f{min(n, 1)}",
                normalizer="n1",
                snapshot="{}",
                fetch_id=fetch,
            )
            conn.execute(
                text("UPDATE documents SET latest_version_id = :v WHERE id = :d"), {"v": version, "d": doc}
            )
            _insert(
                conn,
                "changes",
                source_id=source,
                document_id=doc,
                kind="document_added",
                detected_at=at,
                new_version_id=version,
                details="{}",
            )
            docs.append(doc)
        # Same path, another source: never merged across sources. A document-selecting id: kept apart.
        foreign = _insert(
            conn,
            "documents",
            source_id=other,
            url=f"{BASE}?uid=zz",
            kind="page",
            status="active",
            first_seen_at=T0,
            last_seen_at=T0,
        )
        for n in (1, 2):
            _insert(
                conn,
                "documents",
                source_id=other,
                url=f"https://www.example.gov.cn/show.aspx?id={n}&_t=17000{n}",
                kind="page",
                status="active",
                first_seen_at=T0,
                last_seen_at=T0,
            )
    changes_before = _count(engine, "changes")
    upgrade(engine)
    engine.dispose()

    factory = session_factory(db_url)
    with factory() as session:
        documents = session.scalars(select(Document).where(Document.source_id == source)).all()
        assert [(d.id, d.url) for d in documents] == [(docs[0], BASE)]
        merged = documents[0]
        versions = session.scalars(
            select(Version).where(Version.document_id == merged.id).order_by(Version.seq)
        ).all()
        assert [(v.seq, v.fingerprint, v.created_at.day) for v in versions] == [
            (1, "f0", 1),
            (2, "f1", 2),
            (3, "f1", 3),
        ]
        assert merged.latest_version_id == versions[-1].id
        assert merged.title == "标题2" and merged.etag == '"e2"'
        assert merged.first_seen_at.day == 1 and merged.last_seen_at.day == 3
        fetch_docs = set(session.scalars(select(Fetch.document_id).where(Fetch.source_id == source)))
        assert fetch_docs == {merged.id}
        kinds = session.scalars(select(Change.kind).where(Change.document_id == merged.id)).all()
        assert kinds == ["document_added"] * 3  # history kept, nothing new announced
        assert known_urls(session, "other") == {
            f"{BASE}",
            "https://www.example.gov.cn/show.aspx?id=1",
            "https://www.example.gov.cn/show.aspx?id=2",
        }
        assert session.get(Document, foreign) is not None
        assert learn_volatile_parameters(session, "hanweb", {"vk": BASE + "?vk=1"}) == 1
        assert learn_volatile_parameters(session, "hanweb", {"vk": BASE + "?vk=2"}) == 0
        session.commit()
        assert volatile_parameters(session, "hanweb") == {"vk"}
        assert volatile_parameters(session, "other") == set()
    assert _count(make_engine(db_url), "changes") == changes_before
    factory.kw["bind"].dispose()


def _count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())
