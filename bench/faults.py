"""Faults and hostile input, case by case: what each costs and how it is recorded.

Usage: ``python bench/faults.py [--postgres ADMIN_URL] [--case NAME ...] [--fetch-timeout 30] [--json]``

Each case of ``tests/faults/hostile.py`` gets its own fresh database and two real crawls
(``python -m crawler``) of a list page linking only that case, served by a hostile portal on
127.0.0.1. Printed per case: the first crawl's exit code and wall time (start-up included), its
peak RSS (the crawl process and its recording workers), the recorded outcome of the case's URL,
and the false change events: every event of the second crawl (nothing changed on the server)
plus any event of the first beyond the one ``document_added`` a legitimate new page earns.
Then the command-line error cases: exit code, time, and the one line the user sees.
The database invariants of ``tests/faults/invariants.py`` are checked after every case.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from bench.crawl import _tree_rss_kib  # noqa: E402
from tests.faults.hostile import CASES, Case, HostileSite, hostile_site  # noqa: E402
from tests.faults.invariants import violations  # noqa: E402
from tracker.db import make_engine, scratch_postgres_database  # noqa: E402
from tracker.models import Change, Fetch  # noqa: E402


@dataclass
class Row:
    case: str
    rc: int
    seconds: float
    peak_rss_mib: float
    outcome: str
    false_events: int
    expected: str
    invariants: int = 0  # broken invariants after the case


def measure(command: list[str], env: dict[str, str]) -> tuple[int, float, float, str, str]:
    """(exit code, wall seconds, peak RSS MiB of the process tree, stdout, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    return proc.returncode, time.perf_counter() - start, peak[0] / 1024, stdout, stderr


@contextlib.contextmanager
def database(postgres: str | None, directory: Path, name: str) -> Iterator[str]:
    if postgres:
        with scratch_postgres_database(postgres, "govwatch_bench_faults") as url:
            yield url
    else:
        yield f"sqlite:///{directory / (name + '.db')}"


def crawl_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ, GOVWATCH_DATABASE_URL=db_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def run_case(site: HostileSite, case: Case, db_url: str, directory: Path, fetch_timeout: float) -> Row:
    config = directory / f"case{case.number}.toml"
    config.write_text(site.config(only=[case.name], fetch_timeout=fetch_timeout), encoding="utf-8")
    command = [sys.executable, "-m", "crawler", "hostile", "--config", str(config), "--progress", "json"]
    env = crawl_env(db_url)
    rc, seconds, rss, _out, err = measure(command, env)
    measure(command, env)  # the second crawl: nothing changed on the server
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            outcome = conn.scalar(
                select(Fetch.outcome).where(Fetch.url == site.case_url(case)).order_by(Fetch.id).limit(1)
            )
            events = conn.execute(
                select(Change.crawl_run_id, func.count()).group_by(Change.crawl_run_id)
            ).all()
        broken = violations(engine)
    finally:
        engine.dispose()
    by_run = dict(events)
    first = min(by_run, default=None)
    earned = 1 if case.outcome in ("new_content", "not_a_page") else 0
    false = sum(n for run, n in by_run.items() if run != first) + max(0, by_run.get(first, 0) - earned)
    if outcome is None:
        outcome = f"nothing recorded (rc {rc}: {err.strip().splitlines()[-1] if err.strip() else ''})"
    return Row(case.name, rc, seconds, rss, outcome, false, case.outcome, len(broken))


CLI_CASES: list[tuple[str, list[str], dict[str, str]]] = [
    ("changes --since 99999999d", ["changes", "--since", "99999999d"], {}),
    ("GOVWATCH_DATABASE_URL=garbage", ["changes"], {"GOVWATCH_DATABASE_URL": "garbage"}),
    ("GOVWATCH_DATABASE_URL=mysql://", ["changes"], {"GOVWATCH_DATABASE_URL": "mysql://u:p@db/x"}),
    (
        "database in a missing directory",
        ["status"],
        {"GOVWATCH_DATABASE_URL": "sqlite:////nonexistent/x/g.db"},
    ),
    ("changes --source nosuch", ["changes", "--source", "nosuch"], {}),
    ("changes --kind nonsense", ["changes", "--kind", "nonsense"], {}),
    ("normalize /nonexistent", ["normalize", "/nonexistent"], {}),
]


def run_cli_cases(db_url: str) -> list[Row]:
    rows = []
    for name, args, extra in CLI_CASES:
        env = {**crawl_env(db_url), **extra}
        rc, seconds, rss, _out, err = measure([sys.executable, "-m", "scheduler.cli", *args], env)
        lines = [line for line in err.splitlines() if line.startswith(("error:", "govwatch:", "Error:"))]
        rows.append(Row(name, rc, seconds, rss, (lines[-1] if lines else err.strip())[:90], 0, "rc 2/3"))
    return rows


def print_table(rows: list[Row]) -> None:
    head = f"| {'case':<34} | rc | time s | peak RSS MiB | recorded outcome | false events |"
    print(head)
    print("|" + "|".join("-" * (len(part)) for part in head.split("|")[1:-1]) + "|")
    for r in rows:
        flag = "" if r.outcome == r.expected or r.expected.startswith("rc") else f" (expected {r.expected})"
        broken = f"; {r.invariants} broken invariants" if r.invariants else ""
        print(
            f"| {r.case:<34} | {r.rc:>2} | {r.seconds:>6.1f} | {r.peak_rss_mib:>12.0f} | "
            f"{r.outcome + flag + broken} | {r.false_events} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="record into throw-away PostgreSQL databases")
    parser.add_argument("--case", action="append", help="only these cases (by name); repeatable")
    parser.add_argument("--json", action="store_true", help="one JSON object per case instead of a table")
    parser.add_argument(
        "--fetch-timeout",
        type=float,
        default=30,
        help="the source's fetch_timeout_seconds (default: 30, as shipped)",
    )
    args = parser.parse_args()
    cases = [c for c in CASES if not args.case or c.name in args.case]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, hostile_site() as site:
        directory = Path(tmp)
        for case in cases:
            with database(args.postgres, directory, f"case{case.number}") as url:
                rows.append(run_case(site, case, url, directory, args.fetch_timeout))
            print(f"{case.name}: {rows[-1].outcome} in {rows[-1].seconds:.1f} s", file=sys.stderr)
        if not args.case:
            with database(args.postgres, directory, "cli") as url:
                rows += run_cli_cases(url)
    if args.json:
        for row in rows:
            print(json.dumps(asdict(row), ensure_ascii=False))
    else:
        print_table(rows)
    wrong = [
        r for r in rows if not r.expected.startswith("rc") and (r.outcome != r.expected or r.false_events)
    ]
    sys.exit(1 if wrong or any(r.invariants for r in rows) else 0)


if __name__ == "__main__":
    main()
