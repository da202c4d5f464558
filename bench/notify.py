"""Outbox throughput: change events delivered per second through a local webhook, SQLite or PostgreSQL.

    python bench/notify.py [--runs 50] [--events-per-run 100] [--repeat 3] [--postgres ADMIN_URL]

Builds ``runs × events-per-run`` change events with one pending delivery each, then times
``deliver_pending`` (claim, one digest per crawl run, POST, stamp) until the outbox is empty.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import sessionmaker

from tests.scheduler.rows import add_run_with_changes
from tests.scheduler.servers import webhook_server
from tracker.config import ChannelConfig
from tracker.db import make_engine, scratch_postgres_database, upgrade
from tracker.notify import deliver_pending


@contextmanager
def database(admin_url: str | None, tmp: str) -> Iterator[str]:
    if not admin_url:
        yield f"sqlite:///{tmp}/bench.db"
        return
    with scratch_postgres_database(admin_url, "govwatch_bench") as url:
        yield url


def one_round(url: str, runs: int, per_run: int) -> tuple[float, int]:
    engine = make_engine(url)
    upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    for n in range(runs):
        add_run_with_changes(factory, source=f"bench-{n % 5}", documents=per_run // 2)
    with webhook_server() as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        started = time.perf_counter()
        sent = 0
        while True:
            report = deliver_pending(factory, channels)
            if not report.messages:
                break
            sent += report.sent
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, sent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--events-per-run", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="admin URL: a throw-away database per round")
    args = parser.parse_args()
    rates = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp, database(args.postgres, tmp) as url:
            seconds, sent = one_round(url, args.runs, args.events_per_run)
            rates.append(sent / seconds)
            print(f"{sent} events in {args.runs} digests: {seconds:.2f}s, {sent / seconds:.0f} events/s")
    median = statistics.median(rates)
    print(f"median: {median:.0f} events/s ({args.runs} messages of {args.events_per_run} events)")


if __name__ == "__main__":
    main()
