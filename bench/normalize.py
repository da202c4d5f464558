"""Normaliser throughput over the demo portal's seed pages: median ms per page and pages/s on one core.

Run: ``python bench/normalize.py [--rounds N] [--profile]``. Reports CPU time (what one core
spends; robust on a shared machine) and wall time, plus the share spent in target extraction.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.normalize import normalize  # noqa: E402
from tracker.normalize.targets import extract_targets  # noqa: E402

PAGES = sorted((ROOT / "portal" / "pages").glob("*.html"))


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    bodies = {p.name: p.read_bytes() for p in PAGES}
    paragraphs = {name: normalize(body).snapshot["paragraphs"] for name, body in bodies.items()}  # warm-up
    timings: dict[str, dict[str, list[float]]] = {
        name: {"cpu": [], "wall": [], "targets": []} for name in bodies
    }
    for _ in range(rounds):
        for name, body in bodies.items():
            wall, cpu = time.perf_counter(), time.process_time()
            normalize(body)
            timings[name]["cpu"].append((time.process_time() - cpu) * 1000)
            timings[name]["wall"].append((time.perf_counter() - wall) * 1000)
            cpu = time.process_time()
            extract_targets(paragraphs[name])
            timings[name]["targets"].append((time.process_time() - cpu) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the run, top 25 by tottime")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.profile:
        import cProfile
        import pstats

        cProfile.runctx("measure(rounds)", globals(), {"rounds": args.rounds}, "/tmp/normalize.prof")
        pstats.Stats("/tmp/normalize.prof").sort_stats("tottime").print_stats(25)
        return
    timings = measure(args.rounds)
    print(f"{'page':30} {'KB':>5} {'cpu ms':>7} {'wall ms':>8} {'targets ms':>11}")
    for path in PAGES:
        t = timings[path.name]
        print(
            f"{path.name:30} {path.stat().st_size / 1024:5.1f} {statistics.median(t['cpu']):7.2f}"
            f" {statistics.median(t['wall']):8.2f} {statistics.median(t['targets']):11.2f}"
        )
    cpu = statistics.median(v for t in timings.values() for v in t["cpu"])
    wall = statistics.median(v for t in timings.values() for v in t["wall"])
    targets = statistics.median(v for t in timings.values() for v in t["targets"])
    print(
        f"all pages: median {cpu:.2f} ms/page CPU ({1000 / cpu:.0f} pages/s per core), "
        f"{wall:.2f} ms wall; target extraction {targets:.2f} ms of it, "
        f"the rest {cpu - targets:.2f} ms"
    )


if __name__ == "__main__":
    main()
