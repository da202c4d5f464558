"""Crawler throughput: a local portal of N ~45 KB detail pages, politeness off, end to end and recrawl.

Usage: ``python bench/crawl.py [--pages 2000] [--repeat 3] [--postgres ADMIN_URL]``

Per repetition, on a fresh SQLite database: (1) the fetch layer alone (Scrapy + spider, no
recording), (2) the first crawl end to end (fetch + normalise + record, ``python -m crawler``),
(3) the unchanged recrawl (conditional requests). Pages/s count detail pages over the wall time
of the crawl process, start-up included; peak RSS is sampled over the crawl process and its
recording workers together. CPU per page is user + system time over detail pages: of the crawl
process with its recording workers (``getrusage`` of reaped children), and of this process,
which serves the portal (plus the RSS sampler) on the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from portal import PortalServer  # noqa: E402

SOURCE = """
[[source]]
name = "bulk"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 16
max_pages = 1000
"""

FETCH_ONLY = """
import sys
from crawler.run import run_crawl
from tracker.config import load_config

class Done:
    outcome = "new_content"
    version_id = None
    changes = []

result = run_crawl(load_config(sys.argv[1]), "bulk", recorder=lambda page: Done())
print(result.counts["pages"])
"""


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and its descendants (Linux /proc), in KiB."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


@dataclass
class Run:
    """One child process: wall seconds, peak RSS, CPU seconds of it and of the portal, stdout."""

    seconds: float
    rss_mib: float
    cpu: float
    portal_cpu: float
    stdout: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict[str, str]) -> Run:
    """Run one child process (its recording workers included) to the end and measure it."""
    cpu_before, own_before = _children_cpu(), time.process_time()
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 4):
        raise SystemExit(f"{command} failed ({proc.returncode}):\n{stderr[-3000:]}")
    cpu, own = _children_cpu() - cpu_before, time.process_time() - own_before
    return Run(seconds, peak[0] / 1024, cpu, own, stdout)


CREATED: list[tuple[str, str]] = []


def fresh_postgres(admin_url: str, i: int) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"govwatch_bench_{os.getpid()}_{i}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    CREATED.append((admin_url, name))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_created() -> None:
    from sqlalchemy import create_engine, text

    for admin_url, name in CREATED:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def summary(stdout: str) -> dict[str, int]:
    return json.loads(stdout.strip().splitlines()[-1])["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="record into throw-away PostgreSQL databases")
    args = parser.parse_args()
    keys = ("fetch", "first", "recrawl", "share304", "rss", "fetch_cpu", "first_cpu", "portal_cpu")
    results: dict[str, list[float]] = {k: [] for k in keys}
    with PortalServer(bulk_pages=args.pages) as portal, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(SOURCE.format(url=portal.url), encoding="utf-8")
        size = len(portal.resource("/bulk/doc/2024/01/01/1.shtml").body)  # type: ignore[union-attr]
        print(f"{args.pages} detail pages of {size / 1024:.0f} KB, {args.pages // 20} list pages")
        for i in range(args.repeat):
            db_url = fresh_postgres(args.postgres, i) if args.postgres else f"sqlite:///{tmp}/bench-{i}.db"
            env = dict(os.environ, GOVWATCH_DATABASE_URL=db_url, PYTHONPATH=str(REPO))
            fetch = run([sys.executable, "-c", FETCH_ONLY, str(config)], env)
            pages = int(fetch.stdout.strip().splitlines()[-1])
            results["fetch"].append(pages / fetch.seconds)
            results["fetch_cpu"].append(1000 * fetch.cpu / pages)
            crawl = [sys.executable, "-m", "crawler", "bulk", "--config", str(config), "--progress", "json"]
            first_run = run(crawl, env)
            first = summary(first_run.stdout)
            results["first"].append(first["pages"] / first_run.seconds)
            results["first_cpu"].append(1000 * first_run.cpu / first["pages"])
            results["portal_cpu"].append(1000 * first_run.portal_cpu / first["pages"])
            results["rss"].append(first_run.rss_mib)
            again_run = run(crawl, env)
            again = summary(again_run.stdout)
            results["recrawl"].append(again["pages"] / again_run.seconds)
            results["share304"].append(again["not_modified"] / max(again["pages"], 1))
            rate, e2e, again_rate = results["fetch"][-1], results["first"][-1], results["recrawl"][-1]
            print(
                f"run {i + 1}: fetch only {rate:.0f} p/s ({results['fetch_cpu'][-1]:.1f} ms CPU/page), "
                f"end to end {e2e:.0f} p/s ({first['new_versions']} versions, "
                f"{results['first_cpu'][-1]:.1f} ms CPU/page + portal {results['portal_cpu'][-1]:.1f}), "
                f"recrawl {again_rate:.0f} p/s ({again['not_modified']}/{again['pages']} 304, "
                f"{again['new_versions']} versions)"
            )
    med = {k: statistics.median(v) for k, v in results.items()}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, load average {load}")
    print(
        f"fetch layer alone (Scrapy + spider): {med['fetch']:.0f} pages/s (median of {args.repeat}), "
        f"{med['fetch_cpu']:.1f} ms CPU/page"
    )
    ratio = med["first"] / med["fetch"]
    print(f"end to end (fetch+normalise+record): {med['first']:.0f} pages/s, {ratio:.0%} of the fetch layer")
    print(
        f"  CPU per page: crawl + workers {med['first_cpu']:.1f} ms, portal server {med['portal_cpu']:.1f} ms"
    )
    print(f"peak RSS (crawl + its workers):     {med['rss']:.0f} MiB")
    share = med["share304"]
    print(f"unchanged recrawl:                   {med['recrawl']:.0f} pages/s, {share:.0%} answered 304")


if __name__ == "__main__":
    try:
        main()
    finally:
        drop_created()
