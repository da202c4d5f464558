"""Target extraction speed on the seed pages: median ms per page; fast quantity scan vs plain regex.

Run: ``python bench/targets.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import opencc  # noqa: E402

from tracker.normalize.numbers import QUANTITY_RE, find_quantities, quantity_from_match  # noqa: E402
from tracker.normalize.targets import extract_targets  # noqa: E402

SEEDS = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
_PINYIN_RE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")


def paragraphs(path: Path) -> list[str]:
    """The body paragraphs the normaliser would hand over: simplified, no pinyin, no mojibake lines."""
    text = opencc.OpenCC("t2s").convert(path.read_text(encoding="utf-8"))
    text = _PINYIN_RE.sub("", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return [line for line in lines if line and "\ufffd" not in line and not line.startswith("?")]


def plain_scan(page: list[str]) -> list[object]:
    return [q for p in page for m in QUANTITY_RE.finditer(p) if (q := quantity_from_match(m))]


def median_ms(func: Callable[[], object], rounds: int, clock: Callable[[], float]) -> float:
    func()
    values = []
    for _ in range(rounds):
        start = clock()
        func()
        values.append((clock() - start) * 1000)
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU used by this process, not wall clock (shared machines)"
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"{'seed':28} {'KB':>5} {'targets':>7} {'median ms':>9} {'scan ms':>8} {'plain ms':>8}")
    for path in SEEDS:
        page = paragraphs(path)
        kb = len("\n".join(page).encode()) / 1024
        total = median_ms(lambda page=page: extract_targets(page), args.rounds, clock)
        scan = median_ms(lambda page=page: [find_quantities(p) for p in page], args.rounds, clock)
        plain = median_ms(lambda page=page: plain_scan(page), args.rounds, clock)
        count = len(extract_targets(page))
        print(f"{path.name:28} {kb:5.1f} {count:7d} {total:9.3f} {scan:8.3f} {plain:8.3f}")


if __name__ == "__main__":
    main()
