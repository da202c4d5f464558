"""Many sources: throughput and peak RSS of one crawl of all of them, local and through the queue.

Usage: ``python bench/scale.py [--sources 200] [--pages 50] [--postgres ADMIN_URL] [--skip-queue]``

``--sources`` local portals (``portal.PortalServer`` bulk columns of ``--pages`` detail pages,
served by a separate process) are crawled once, end to end, by

- ``govwatch crawl`` with 1 and with 2 crawl processes (``--processes``), SQLite;
- ``govwatch crawl --executor queue --wait`` with 2 ``govwatch worker`` processes (concurrency 2
  each), on a throw-away PostgreSQL database (``--postgres``, default GOVWATCH_TEST_POSTGRES_URL).

Detail pages/s are over the wall time of the command. Peak RSS is sampled every 0.2 s over every
process of the run (the command, its crawl processes and recording workers, the queue workers),
found by a marker in their environment. Last, the cost per source of a run that fetches nothing:
``govwatch crawl`` of the same number of sources whose start page answers 404 at once, divided
by the number of sources.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tracker.db import scratch_postgres_database  # noqa: E402

MARK = "GOVWATCH_BENCH_TREE"
SOURCE = """
[[source]]
name = "s{n}"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 4
max_pages = 1000
"""
SERVE = """
import json, sys
from portal import PortalServer
count, pages = json.loads(sys.argv[1])
servers = [PortalServer(bulk_pages=pages) for _ in range(count)]
print(json.dumps([s.url for s in servers]), flush=True)
sys.stdin.read()
"""


class TreeRss:
    """Peak of the summed RSS of every process carrying ``MARK=token``."""

    def __init__(self, token: str) -> None:
        self.needle = f"{MARK}={token}".encode()
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if self.needle not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                rss_pages = int((entry / "statm").read_text().split()[1])
            except (OSError, ValueError, IndexError):
                continue
            total += rss_pages * os.sysconf("SC_PAGE_SIZE")
        return total

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(0.2)

    def __enter__(self) -> TreeRss:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


def serve(count: int, pages: int, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, json.dumps([count, pages])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())


def govwatch(args: list[str], env: dict[str, str]) -> tuple[float, int, list[dict[str, object]]]:
    token = uuid.uuid4().hex
    with TreeRss(token) as rss:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "scheduler.cli", *args],
            env=env | {MARK: token},
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
        )
        seconds = time.perf_counter() - started
    if result.returncode not in (0, 1, 4):
        raise SystemExit(f"govwatch {' '.join(args[:3])}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return (
        seconds,
        rss.peak,
        [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--postgres", default=os.environ.get("GOVWATCH_TEST_POSTGRES_URL", ""))
    parser.add_argument("--skip-queue", action="store_true")
    args = parser.parse_args()
    names = [f"s{n}" for n in range(args.sources)]
    total = args.sources * args.pages
    rows: list[tuple[str, float, int, str]] = []
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory(prefix="govwatch-scale-") as tmp:
        root = Path(tmp)
        server, urls = serve(args.sources, args.pages, env)
        try:
            config = root / "govwatch.toml"
            config.write_text(
                "".join(SOURCE.format(n=n, url=u) for n, u in enumerate(urls)), encoding="utf-8"
            )
            for processes in (1, 2):
                db = {"GOVWATCH_DATABASE_URL": f"sqlite:///{root / f'local-{processes}.db'}"}
                command = ["crawl", *names, "--config", str(config), "--json", "--processes", str(processes)]
                seconds, peak, summaries = govwatch(command, env | db)
                pages = sum(int(s["counts"]["pages"]) for s in summaries)  # type: ignore[index,call-overload]
                assert pages == total, (pages, total)
                rows.append((f"local, {processes} crawl process(es), SQLite", seconds, peak, ""))
                print(f"local {processes}: {seconds:.1f} s, peak {peak / 2**20:.0f} MiB", file=sys.stderr)
            if not args.skip_queue and args.postgres:
                rows.append(queue_run(args.postgres, config, names, total, env, root))
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=60)
        server, urls = serve(args.sources, 0, env)  # every start page: 404 at once
        try:
            empty = root / "empty.toml"
            empty.write_text("".join(SOURCE.format(n=n, url=u) for n, u in enumerate(urls)), encoding="utf-8")
            db = {"GOVWATCH_DATABASE_URL": f"sqlite:///{root / 'empty.db'}"}
            seconds, peak, _ = govwatch(["crawl", *names, "--config", str(empty), "--json"], env | db)
            nothing = seconds
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=60)
    load = os.getloadavg()
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.sources} sources x "
        f"{args.pages} detail pages, first crawl end to end"
    )
    print("| run | wall time | detail pages/s | peak RSS |")
    print("| --- | --- | --- | --- |")
    for label, seconds, peak, _ in rows:
        print(f"| {label} | {seconds:.1f} s | {total / seconds:.0f} | {peak / 2**20:.0f} MiB |")
    print(
        f"\na run that fetches nothing ({args.sources} sources, each start page 404): {nothing:.1f} s, "
        f"{1000 * nothing / args.sources:.0f} ms per source"
    )
    return 0


def queue_run(
    admin_url: str, config: Path, names: list[str], total: int, env: dict[str, str], root: Path
) -> tuple[str, float, int, str]:
    token = uuid.uuid4().hex
    with scratch_postgres_database(admin_url, "govwatch_bench") as url:
        qenv = env | {"GOVWATCH_DATABASE_URL": url, MARK: token}
        subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "db", "upgrade"], env=qenv, check=True, cwd=REPO
        )
        worker = [
            sys.executable,
            "-m",
            "scheduler.cli",
            "worker",
            "--config",
            str(config),
            "--concurrency",
            "2",
        ]
        logs = [(root / f"worker-{i}.log").open("wb") for i in range(2)]
        workers = [subprocess.Popen(worker, env=qenv, cwd=REPO, stdout=log, stderr=log) for log in logs]
        try:
            with TreeRss(token) as rss:
                started = time.perf_counter()
                command = [
                    "crawl",
                    *names,
                    "--config",
                    str(config),
                    "--executor",
                    "queue",
                    "--wait",
                    "--json",
                ]
                result = subprocess.run(
                    [sys.executable, "-m", "scheduler.cli", *command],
                    env=qenv,
                    capture_output=True,
                    text=True,
                    check=False,
                    cwd=REPO,
                )
                seconds = time.perf_counter() - started
            summaries = [json.loads(line) for line in result.stdout.splitlines()]
            pages = sum(int(s["counts"].get("pages", 0)) for s in summaries)
            assert pages == total, (pages, total, result.stderr[-2000:])
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            for proc in workers:
                proc.wait(timeout=120)
    print(f"queue: {seconds:.1f} s, peak {rss.peak / 2**20:.0f} MiB", file=sys.stderr)
    return ("queue, 2 workers x concurrency 2, PostgreSQL", seconds, rss.peak, "")


if __name__ == "__main__":
    sys.exit(main())
