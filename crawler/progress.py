"""Progress output of a crawl: JSON lines for the CLI and scheduler, a status line for people, or nothing."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from crawler.stats import PROGRESS_KEYS, CrawlCounts

MIN_INTERVAL = 0.25  # seconds between progress lines


class Progress:
    def __init__(self, mode: str = "none", stream: TextIO | None = None) -> None:
        if mode not in ("json", "bar", "none"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream or (sys.stdout if mode == "json" else sys.stderr)
        self._last = 0.0
        self._last_line: dict[str, int] | None = None

    def update(self, counts: CrawlCounts, force: bool = False) -> None:
        if self.mode == "none":
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        snap = counts.snapshot()
        line = {k: int(snap[k]) for k in PROGRESS_KEYS}
        if line == self._last_line and not force:
            return
        self._last, self._last_line = now, line
        if self.mode == "json":
            self._emit({"event": "progress", **line})
        else:
            text = "  ".join(f"{k.replace('_', ' ')} {v}" for k, v in line.items())
            self.stream.write(f"\r{text}")
            self.stream.flush()

    def summary(
        self,
        run_id: int | None,
        source: str,
        outcome: str,
        counts: dict[str, Any],
        errors: list[str] | None = None,
    ) -> None:
        """The end of a crawl; ``errors`` are the first few failures, so a partial crawl says what failed."""
        if self.mode == "json":
            self._emit(
                {
                    "event": "summary",
                    "run_id": run_id,
                    "source": source,
                    "outcome": outcome,
                    "counts": counts,
                    "errors": list(errors or []),
                }
            )
        elif self.mode == "bar":
            self.stream.write("\n")
            self.stream.write(
                f"{source}: {outcome} (run {run_id}) {json.dumps(counts, ensure_ascii=False)}\n"
            )
            self.stream.flush()

    def _emit(self, obj: dict[str, Any]) -> None:
        self.stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stream.flush()
