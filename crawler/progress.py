"""The progress protocol of crawl processes, defined and parsed here only.

A crawl process started with ``--progress json`` prints one JSON object per line on stdout;
its launcher (``scheduler.runner``) reads them back with ``parse``:

- ``{"event": "progress", "source", "run_id", "pages", "new_versions", ...}`` while crawling;
- ``{"event": "summary", "source", "run_id", "outcome", "counts", "errors"}`` when a source ends;
- ``{"event": "error", "source", "error"}`` when a source's crawl could not start (configuration);
- ``{"event": "busy", "source", "run_id", "pid", "error"}`` when another process crawls it.

``--progress bar`` writes a status line per source for people on stderr; ``none`` nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from crawler.stats import PROGRESS_KEYS, CrawlCounts

MIN_INTERVAL = 0.25  # seconds between progress lines of one source
MODES = ("json", "bar", "none")
PROGRESS, SUMMARY, ERROR, BUSY = "progress", "summary", "error", "busy"


@dataclass(frozen=True)
class Event:
    """One parsed line: ``kind`` is progress, summary, error or busy; ``data`` the rest of it."""

    kind: str
    source: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, Any]:
        if self.kind == SUMMARY:
            return dict(self.data.get("counts") or {})
        if self.kind == PROGRESS:
            return {k: self.data[k] for k in PROGRESS_KEYS if k in self.data}
        return {}


def parse(line: str) -> Event | None:
    """The event on ``line``, or None for anything else a crawl process may print."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("event") not in (PROGRESS, SUMMARY, ERROR, BUSY):
        return None
    data = {k: v for k, v in obj.items() if k not in ("event", "source")}
    return Event(str(obj["event"]), str(obj.get("source") or ""), data)


class Output:
    """Where a crawl process writes its events; a reader that went away must not kill the crawl.

    The crawl goes on silently and still closes its runs; the stream is pointed at /dev/null
    so the interpreter's final flush does not raise again at exit.
    """

    def __init__(self, mode: str = "none", stream: TextIO | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream or (sys.stdout if mode == "json" else sys.stderr)

    def emit(self, kind: str, source: str, **data: Any) -> None:
        if self.mode == "json":
            self.write(json.dumps({"event": kind, "source": source, **data}, ensure_ascii=False) + "\n")

    def write(self, text: str) -> None:
        if self.mode == "none":
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.mode = "none"
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())


class Progress:
    """The progress of one source's crawl, written to a process-wide ``Output``."""

    def __init__(
        self,
        mode: str | Output = "none",
        stream: TextIO | None = None,
        *,
        source: str = "",
        run_id: int | None = None,
    ) -> None:
        self.output = mode if isinstance(mode, Output) else Output(mode, stream)
        self.source = source
        self.run_id = run_id
        self._last = 0.0
        self._last_line: dict[str, int] | None = None

    @property
    def mode(self) -> str:
        return self.output.mode

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
            self.output.emit(PROGRESS, self.source, run_id=self.run_id, **line)
        else:
            text = "  ".join(f"{k.replace('_', ' ')} {v}" for k, v in line.items())
            self.output.write(f"\r{self.source}: {text}")

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
            self.output.emit(
                SUMMARY, source, run_id=run_id, outcome=outcome, counts=counts, errors=list(errors or [])
            )
        elif self.mode == "bar":
            self.output.write(
                f"\n{source}: {outcome} (run {run_id}) {json.dumps(counts, ensure_ascii=False)}\n"
            )
