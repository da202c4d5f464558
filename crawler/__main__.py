"""``python -m crawler SOURCE``: crawl one source now, in this process, and record the run.

Exit codes: 0 ok, 4 partial (some fetches failed), 1 failed entirely, 2 bad configuration,
unknown source or unknown ``--run-id``, 5 the source is already being crawled by another
process (nothing is recorded), 130 interrupted by SIGINT/SIGTERM (the run is recorded
``interrupted``). ``--progress json`` prints one JSON object per line on stdout:
``{"event": "progress", ...}`` while crawling and ``{"event": "summary", "run_id", "source",
"outcome", "counts", "errors"}`` at the end;
``{"event": "error", ...}`` or ``{"event": "busy", "source", "run_id", "pid", "error"}`` instead
when the crawl could not start.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from tracker.config import ConfigError, load_config

EXIT_CODES = {"ok": 0, "partial": 4, "failed": 1, "interrupted": 130}
EXIT_CONFIG = 2
EXIT_BUSY = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="name of the [[source]] to crawl")
    parser.add_argument("--config", help="sources file (default: GOVWATCH_CONFIG or ./govwatch.toml)")
    parser.add_argument(
        "--run-id", type=int, help="fill this existing crawl_runs row instead of creating one"
    )
    parser.add_argument("--trigger", default="manual", choices=("manual", "schedule", "catchup", "demo"))
    parser.add_argument("--progress", default="none", choices=("json", "bar", "none"))
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="Scrapy log level INFO (-vv DEBUG)"
    )
    args = parser.parse_args(argv)

    level = ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)]
    try:
        config = load_config(args.config)
        config.source(args.source)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.progress == "json":
            print(json.dumps({"event": "error", "source": args.source, "error": str(exc)}), flush=True)
        if args.run_id is not None:
            _fail_run(args.run_id, str(exc))
        return EXIT_CONFIG

    from crawler.progress import Progress
    from crawler.run import run_crawl
    from tracker.runs import CrawlAlreadyRunning

    try:
        result = run_crawl(
            config,
            args.source,
            run_id=args.run_id,
            trigger=args.trigger,
            progress=Progress(args.progress),
            log_level=level,
        )
    except CrawlAlreadyRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.progress == "json":
            event = {"event": "busy", "source": args.source, "run_id": exc.run_id, "pid": exc.pid}
            print(json.dumps({**event, "error": str(exc)}), flush=True)
        return EXIT_BUSY
    except LookupError as exc:  # --run-id of a row that does not exist
        print(f"error: {exc}", file=sys.stderr)
        if args.progress == "json":
            print(json.dumps({"event": "error", "source": args.source, "error": str(exc)}), flush=True)
        return EXIT_CONFIG
    return EXIT_CODES.get(result.outcome, 1)


def _fail_run(run_id: int, error: str) -> None:
    """Close a run row the caller created for us, so it does not stay ``running``."""
    from tracker import runs
    from tracker.db import session_scope

    try:
        with session_scope() as session:
            runs.finish_run(session, run_id, "failed", {}, error=f"configuration: {error}")
    except Exception:  # the database may be the problem; the exit code still says what happened
        logging.getLogger(__name__).exception("could not mark crawl run %s failed", run_id)


if __name__ == "__main__":
    sys.exit(main())
