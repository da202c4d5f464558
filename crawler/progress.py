"""Progress output of a crawl: JSON lines for the CLI and scheduler, a status line for people, or nothing."""

from __future__ import annotations

import contextlib
import json
import os
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
            self._write(f"\r{text}")

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
            self._write(f"\n{source}: {outcome} (run {run_id}) {json.dumps(counts, ensure_ascii=False)}\n")

    def _emit(self, obj: dict[str, Any]) -> None:
        self._write(json.dumps(obj, ensure_ascii=False) + "\n")

    def _write(self, text: str) -> None:
        """Write and flush; a reader that went away (its scheduler died) must not kill the crawl.

        The crawl goes on silently and still closes its run; the stream is pointed at
        /dev/null so the interpreter's final flush does not raise again at exit.
        """
        if self.mode == "none":
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.mode = "none"
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
