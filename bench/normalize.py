"""Normaliser throughput over the demo portal's seed pages: median ms per page and pages/s on one core.

Run: ``python bench/normalize.py [--rounds N] [--profile]``.
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

PAGES = sorted((ROOT / "portal" / "pages").glob("*.html"))


def measure(rounds: int) -> dict[str, list[float]]:
    bodies = {p.name: p.read_bytes() for p in PAGES}
    for body in bodies.values():  # warm caches (OpenCC dictionaries, compiled XPath)
        normalize(body)
    timings: dict[str, list[float]] = {name: [] for name in bodies}
    for _ in range(rounds):
        for name, body in bodies.items():
            start = time.perf_counter()
            normalize(body)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile one round set, top 25 by tottime")
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
    print(f"{'page':34} {'KB':>6} {'median ms':>10} {'p90 ms':>8}")
    for path in PAGES:
        values = sorted(timings[path.name])
        p90 = values[int(len(values) * 0.9)]
        kb = path.stat().st_size / 1024
        print(f"{path.name:34} {kb:6.1f} {statistics.median(values):10.2f} {p90:8.2f}")
    every = [v for values in timings.values() for v in values]
    median = statistics.median(every)
    mean = statistics.fmean(every)
    print(
        f"all pages: median {median:.2f} ms/page, mean {mean:.2f} ms/page, "
        f"{1000 / mean:.0f} pages/s (one core)"
    )


if __name__ == "__main__":
    main()
