"""Web interface benchmark: server time per page over the synthetic store of bench/store.py.

    python bench/ui.py                       # SQLite file in a temporary directory, 100,000 x 10
    python bench/ui.py --docs 20000          # a smaller store
    python bench/ui.py --postgres postgresql+psycopg://postgres@127.0.0.1:5433/postgres
                                             # a throw-away database on that server, dropped after

The store is ``bench.store.populate`` (documents x versions, one change event per version,
snapshots with a target and a paragraph); the search index is filled by its triggers as the
documents get their latest version. Each page is requested ``--rounds`` times through the
application in-process (Starlette's TestClient: routing, queries, templates, the security
middleware; no network), after one warm-up request, with a random document each time. The
figures are wall-clock per request, so they include the in-process client's own ~1 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.store import db_bytes, populate  # noqa: E402
from scheduler.web.app import create_app  # noqa: E402
from tracker.db import make_engine, scratch_postgres_database, upgrade  # noqa: E402

GOAL_MS = 100.0
SEARCH_GOAL_MS = 200.0


def measure(client: TestClient, path: Callable[[], str], rounds: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``rounds`` GETs of ``path()`` (each must answer 200)."""
    first = client.get(path())
    assert first.status_code == 200, first.text[:500]
    times: list[float] = []
    for _ in range(rounds):
        url = path()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def run(url: str, docs: int, versions: int, rounds: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    populate(engine, docs, versions)
    print(
        f"backend {engine.dialect.name}: populated {docs} documents x {versions} versions "
        f"in {time.perf_counter() - start:.0f} s, {db_bytes(engine) / 1e6:.0f} MB (search index included)",
        flush=True,
    )
    rng = random.Random(5)
    client = TestClient(create_app(sessionmaker(engine, expire_on_commit=False)))

    def doc() -> int:
        return rng.randrange(1, docs + 1)

    pages: dict[str, tuple[Callable[[], str], float]] = {
        "/ (timeline, newest 50)": (lambda: "/", GOAL_MS),
        "/?source=…&kind=targets": (lambda: f"/?source=source-{rng.randrange(20)}&kind=targets", GOAL_MS),
        "/?before=… (an older page)": (lambda: f"/?before={rng.randrange(1, docs * versions)}", GOAL_MS),
        "/documents/{id}": (lambda: f"/documents/{doc()}", GOAL_MS),
        "/documents/{id}/diff": (lambda: f"/documents/{doc()}/diff", GOAL_MS),
        "/documents/{id}/diff?from=1&to=10": (
            lambda: f"/documents/{doc()}/diff?from=1&to={versions}",
            GOAL_MS,
        ),
        "/search?q=文件N (one document)": (lambda: f"/search?q=文件{doc()}", SEARCH_GOAL_MS),
        "/search?q=地区生产总值 (every document)": (lambda: "/search?q=地区生产总值", SEARCH_GOAL_MS),
        "/search?q=文件 (two characters)": (lambda: "/search?q=文件", SEARCH_GOAL_MS),
        # Under three characters the trigram index cannot help: a term found nowhere scans it all.
        "/search?q=废止 (two characters, no match)": (lambda: "/search?q=废止", SEARCH_GOAL_MS),
        "/api/changes (limit 100)": (lambda: "/api/changes", GOAL_MS),
        "/api/changes?cursor=…": (
            lambda: f"/api/changes?cursor={rng.randrange(1, docs * versions)}",
            GOAL_MS,
        ),
    }
    for name, (path, goal) in pages.items():
        p50, p95 = measure(client, path, rounds)
        verdict = "ok" if p95 <= goal else f"over the {goal:.0f} ms goal"
        print(f"  {name:42s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {verdict}", flush=True)
    client.close()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--postgres", metavar="SERVER_URL", help="benchmark PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres_database(args.postgres, "govwatch_bench_ui") as url:
            run(url, args.docs, args.versions, args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="govwatch-bench-ui-") as tmp:
        run(f"sqlite:///{tmp}/ui.db", args.docs, args.versions, args.rounds)


if __name__ == "__main__":
    main()
