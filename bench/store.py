"""Version-store benchmark: record throughput, bytes per unchanged refetch, query latency at scale.

    python bench/store.py                      # SQLite file in a temporary directory
    python bench/store.py --database-url postgresql+psycopg://postgres@127.0.0.1:5433/bench
    python bench/store.py --docs 10000         # a smaller synthetic store for a quick look

1. record throughput: the seed page recorded as N new documents (normalise + version + event,
   one transaction each, as the crawler does), then the same N pages again (unchanged).
2. bytes added to the database per unchanged refetch (SQLite: file size after a checkpoint;
   PostgreSQL: pg_database_size).
3. query latency over a synthetic store of ``--docs`` documents x ``--versions`` versions with
   one change event per version: ``history`` of a random URL and four ``changes`` queries.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from tracker.db import make_engine, session_scope, upgrade  # noqa: E402
from tracker.models import Change, Document, Source, Version  # noqa: E402
from tracker.normalize import normalize  # noqa: E402
from tracker.page import PageFetch  # noqa: E402
from tracker.query import changes, history  # noqa: E402
from tracker.record import record  # noqa: E402

PAGE = ROOT / "portal" / "pages" / "wuxi-2024-priorities.html"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def db_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
            return int(pages) * int(size)
        # The tables and their indexes (dead row versions included until vacuum); the whole
        # database's size moves with the catalog and the free-space maps too.
        total = conn.execute(
            text("SELECT sum(pg_total_relation_size(relid)) FROM pg_catalog.pg_statio_user_tables")
        ).scalar()
        return int(total or 0)


def bench_record(factory: sessionmaker[Session], engine: Engine, pages: int) -> dict[str, float]:
    body = PAGE.read_bytes()

    def page(i: int, minute: int) -> PageFetch:
        return PageFetch(
            source="bench",
            url=f"http://127.0.0.1/art/2024/3/1/art_1_{i}.html",
            status=200,
            body=body.replace(b'<span id="views">1287</span>', b'<span id="views">%d</span>' % (i + minute)),
            headers={"content-type": "text/html; charset=utf-8", "etag": f'"{i}-{minute}"'},
            fetched_at=T0 + timedelta(minutes=minute),
        )

    def run(minute: int) -> tuple[float, float, float, float]:
        """Pages/s overall, median ms of a whole record, median ms of the store's own part."""
        whole: list[float] = []
        store: list[float] = []
        store_cpu: list[float] = []
        for i in range(pages):
            snapshot = page(i, minute)
            t0, c0 = time.perf_counter(), time.process_time()
            normalize(snapshot.body)  # the normaliser's share, measured on the same page just before
            t1, c1 = time.perf_counter(), time.process_time()
            with session_scope(factory) as session:
                record(session, snapshot)
            t2, c2 = time.perf_counter(), time.process_time()
            whole.append((t2 - t1) * 1000)
            store.append(((t2 - t1) - (t1 - t0)) * 1000)
            store_cpu.append(((c2 - c1) - (c1 - c0)) * 1000)
        rate = pages / (sum(whole) / 1000)
        return rate, statistics.median(whole), statistics.median(store), statistics.median(store_cpu)

    new_rate, new_ms, new_store, new_cpu = run(0)
    before = db_bytes(engine)
    unchanged_rate, unchanged_ms, unchanged_store, unchanged_cpu = run(1)
    grown = db_bytes(engine) - before
    return {
        "new_pages_per_s": new_rate,
        "new_ms_median": new_ms,
        "new_store_ms_median (minus normalise)": new_store,
        "new_store_cpu_ms_median (minus normalise)": new_cpu,
        "unchanged_pages_per_s": unchanged_rate,
        "unchanged_ms_median": unchanged_ms,
        "unchanged_store_ms_median (minus normalise)": unchanged_store,
        "unchanged_store_cpu_ms_median (minus normalise)": unchanged_cpu,
        "bytes_per_unchanged_refetch": grown / pages,
    }


def populate(engine: Engine, docs: int, versions: int, batch: int = 20_000) -> None:
    """Synthetic store: small but realistic snapshots, one change event per version."""
    rng = random.Random(7)
    sources = [f"source-{i}" for i in range(20)]
    with engine.begin() as conn:
        conn.execute(
            insert(Source), [{"id": i + 1, "name": n, "created_at": T0} for i, n in enumerate(sources)]
        )
    doc_rows: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    change_rows: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as conn:
            if doc_rows:
                conn.execute(insert(Document), doc_rows)
            if version_rows:
                conn.execute(insert(Version), version_rows)
            if change_rows:
                conn.execute(insert(Change), change_rows)
        doc_rows.clear()
        version_rows.clear()
        change_rows.clear()

    version_id = 0
    change_id = 0
    for doc_id in range(1, docs + 1):
        source_id = doc_id % len(sources) + 1
        seen = T0 + timedelta(minutes=doc_id % 50_000)
        doc_rows.append(
            {
                "id": doc_id,
                "source_id": source_id,
                "url": f"http://www.example.gov.cn/art/2024/{doc_id % 12 + 1}/1/art_{doc_id}.html",
                "kind": "page",
                "status": "active",
                "title": f"文件{doc_id}",
                "first_seen_at": seen,
                "last_seen_at": seen,
                "latest_version_id": None,
            }
        )
        for seq in range(1, versions + 1):
            version_id += 1
            change_id += 1
            at = seen + timedelta(days=seq * 7, minutes=rng.randrange(1440))
            value = 5 + seq * 0.5
            target = {
                "indicator": "地区生产总值",
                "value": value,
                "value_max": None,
                "unit": "%",
                "qualifier": "左右",
                "comparator": "增长",
                "text": f"地区生产总值增长{value}%左右",
                "section": "主要预期目标",
            }
            version_rows.append(
                {
                    "id": version_id,
                    "document_id": doc_id,
                    "seq": seq,
                    "created_at": at,
                    "fingerprint": f"{version_id:064x}",
                    "normalizer": "bench",
                    "snapshot": {
                        "title": f"文件{doc_id}",
                        "metadata": {"validity": "有效"},
                        "targets": {"主要预期目标/地区生产总值[%]": target},
                        "paragraphs": [f"主要预期目标:{target['text']}。"],
                        "normalizer": "bench",
                    },
                    "blob_sha256": None,
                    "fetch_id": None,
                }
            )
            first = seq == 1
            change_rows.append(
                {
                    "id": change_id,
                    "source_id": source_id,
                    "document_id": doc_id,
                    "kind": "document_added" if first else "target_changed",
                    "detected_at": at,
                    "old_version_id": None if first else version_id - 1,
                    "new_version_id": version_id,
                    "details": {"title": f"文件{doc_id}"}
                    if first
                    else {"key": "主要预期目标/地区生产总值[%]", "indicator": "地区生产总值", "new": target},
                }
            )
        if len(version_rows) >= batch:
            flush()
    flush()
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE documents SET latest_version_id = id * {versions}"))
        if engine.dialect.name == "postgresql":
            for table in ("sources", "documents", "versions", "changes"):
                conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")


def latency(
    factory: sessionmaker[Session], fn: Callable[[Session], object], rounds: int
) -> tuple[float, float, float]:
    """Wall-clock p50 and p95 and CPU-time p50, in ms (CPU time: this process only)."""
    wall: list[float] = []
    cpu: list[float] = []
    with factory() as session:
        fn(session)  # warm the cache and the statement compiler
        for _ in range(rounds):
            w0, c0 = time.perf_counter(), time.process_time()
            fn(session)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            session.rollback()
    wall.sort()
    return statistics.median(wall), wall[int(len(wall) * 0.95) - 1], statistics.median(cpu)


def bench_queries(
    factory: sessionmaker[Session], docs: int, rounds: int
) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(11)
    last = T0 + timedelta(minutes=50_000, days=7 * 11)

    def url() -> str:
        doc_id = rng.randrange(1, docs + 1)
        return f"http://www.example.gov.cn/art/2024/{doc_id % 12 + 1}/1/art_{doc_id}.html"

    return {
        "history(URL)": latency(factory, lambda s: history(s, url()), rounds),
        "history(id)": latency(factory, lambda s: history(s, rng.randrange(1, docs + 1)), rounds),
        "changes(limit=100)": latency(factory, lambda s: changes(s, limit=100), rounds),
        "changes(source, kind, limit=100)": latency(
            factory, lambda s: changes(s, source="source-3", kinds=["target_changed"], limit=100), rounds
        ),
        "changes(since=last 7 days, limit=100)": latency(
            factory, lambda s: changes(s, since=last - timedelta(days=7), limit=100), rounds
        ),
        "changes(url)": latency(factory, lambda s: changes(s, url=url()), rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--pages", type=int, default=500, help="pages for the record benchmark")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--record-only", action="store_true", help="skip the query benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govwatch-bench-") as tmp:
        record_url = args.database_url or f"sqlite:///{tmp}/record.db"
        query_url = args.database_url or f"sqlite:///{tmp}/query.db"
        engine = make_engine(record_url)
        upgrade(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        print(f"backend: {engine.dialect.name}")
        for name, value in bench_record(factory, engine, args.pages).items():
            print(f"record  {name:44s} {value:10.1f}")
        if args.database_url:  # one database: clear the record benchmark's rows first
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM changes"))
                conn.execute(text("UPDATE documents SET latest_version_id = NULL"))
                conn.execute(text("DELETE FROM versions"))
                conn.execute(text("DELETE FROM fetches"))
                conn.execute(text("DELETE FROM documents"))
                conn.execute(text("DELETE FROM sources"))
                conn.execute(text("DELETE FROM blobs"))
        engine.dispose()
        if args.record_only:
            return
        engine = make_engine(query_url)
        upgrade(engine)
        start = time.perf_counter()
        populate(engine, args.docs, args.versions)
        took = time.perf_counter() - start
        size = db_bytes(engine) / 1e6
        print(f"populate {args.docs} documents x {args.versions} versions: {took:.0f} s, {size:.0f} MB")
        factory = sessionmaker(engine, expire_on_commit=False)
        for name, (p50, p95, cpu) in bench_queries(factory, args.docs, args.rounds).items():
            print(f"query   {name:40s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   CPU p50 {cpu:7.2f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
