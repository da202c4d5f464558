"""``python -m crawler SOURCE [SOURCE ...]``: crawl sources now, concurrently, in this process.

Each source gets its own crawl run (``--run-id``, once per source in the same order, fills rows
a launcher created). Exit codes (``tracker.exitcodes``): 0 ok, 4 partial (some fetches failed),
1 a source failed entirely, 2 bad configuration, unknown source or unknown ``--run-id``, 5 a
source is already being crawled by another process (nothing is recorded for it), 130
interrupted by SIGINT/SIGTERM (the runs are recorded ``interrupted``). ``--progress json``
prints the events of ``crawler.progress`` on stdout, one JSON object per line.
"""

from __future__ import annotations

import argparse
import logging
import sys

from tracker.config import ConfigError, load_config
from tracker.exitcodes import EXIT_INTERRUPTED, EXIT_USAGE, crawl_exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.split("\n")[0])
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="names of the [[source]]s to crawl")
    parser.add_argument("--config", help="sources file (default: GOVWATCH_CONFIG or ./govwatch.toml)")
    parser.add_argument(
        "--run-id",
        type=int,
        action="append",
        help="fill this existing crawl_runs row instead of creating one (once per SOURCE, same order)",
    )
    parser.add_argument(
        "--trigger", default="manual", choices=("manual", "schedule", "catchup", "demo", "queue")
    )
    parser.add_argument("--progress", default="none", choices=("json", "bar", "none"))
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="Scrapy log level INFO (-vv DEBUG)"
    )
    args = parser.parse_args(argv)
    if args.run_id is not None and len(args.run_id) != len(args.sources):
        parser.error("give --run-id once per SOURCE, or not at all")
    run_ids = dict(zip(args.sources, args.run_id or [], strict=False))

    from crawler.progress import ERROR, Output

    output = Output(args.progress)
    level = ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)]
    error = _startup_error(args.config, args.sources)
    if error is not None:
        print(f"error: {error}", file=sys.stderr)
        for name in args.sources:
            output.emit(ERROR, name, error=error)
        for run_id in run_ids.values():
            _fail_run(run_id, error)
        return EXIT_USAGE

    from crawler.run import MixedPrivateAddresses, run_crawls

    config = load_config(args.config)
    try:
        results = run_crawls(
            config, args.sources, run_ids=run_ids, trigger=args.trigger, progress=output, log_level=level
        )
    except MixedPrivateAddresses as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for result in results:
        if result.outcome in ("busy", "error"):
            print(f"error: {result.error}", file=sys.stderr)
    return crawl_exit_code([r.outcome for r in results], interrupted=EXIT_INTERRUPTED)


def _startup_error(config_path: str | None, names: list[str]) -> str | None:
    """What makes the crawl impossible before anything is written: configuration, environment."""
    from crawler.recording import worker_count
    from tracker.env import DatabaseURLError, database_url

    try:
        database_url()
    except DatabaseURLError as exc:
        return str(exc)
    try:
        worker_count("")
        config = load_config(config_path)
        for name in names:
            config.source(name)
    except ConfigError as exc:
        return str(exc)
    except ValueError as exc:
        return f"environment: {exc}"
    return None


def _fail_run(run_id: int, error: str) -> None:
    """Close a run row the caller created for us, so it does not stay ``running``."""
    from tracker import runs
    from tracker.db import session_scope

    try:
        with session_scope() as session:
            runs.finish_run(session, run_id, "failed", {}, error=f"configuration: {error}")
    except Exception:  # the database may be the problem; the exit code still says what happened
        logging.getLogger(__name__).exception("could not mark crawl run %s failed", run_id)


def import_crawl(*, preload: bool = False, content: bool = False) -> None:
    """Import what a crawl process runs on, no cycles collected meanwhile, then freeze it.

    ``preload``: also what a crawl imports once it runs (``crawler.run.preload``, with
    ``content``), for a process that forks crawls (``crawler.zygote``).
    """
    from tracker.processes import pause_collection, resume_collection

    pause_collection()
    # First, from the top of the stack: this module of Scrapy's calls inspect.stack() (three
    # deprecation shims), whose cost grows with the depth of the importing stack: 0.08 s when
    # reached through crawler.run's imports, next to nothing from here.
    import scrapy.core.downloader.contextfactory  # noqa: F401

    import crawler.run

    if preload:
        crawler.run.preload(content=content)
    resume_collection()


if __name__ == "__main__":
    import_crawl()
    sys.exit(main())
