"""The exit codes of every govwatch command and of ``python -m crawler``, defined once.

README "Exit codes" documents them; ``scheduler.cli`` re-exports them for the commands.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_FAILURE = 1  # the work ran but failed (a crawl failed entirely, a send failed ...)
EXIT_USAGE = 2  # bad arguments or configuration (click uses 2 for usage errors too)
EXIT_NOT_FOUND = 3  # the document, version or source asked for does not exist
EXIT_PARTIAL = 4  # some items failed, others succeeded
EXIT_BUSY = 5  # the work is already being done by another process (a crawl of the same source)
EXIT_INTERRUPTED = 130  # this command was stopped by SIGINT/SIGTERM (the shell's 128 + 2)

# Crawl outcomes (``tracker.models.CrawlOutcome`` plus the launcher's "busy" and "error") in the
# order in which one of them decides the exit code of a crawl of several sources.
_PRECEDENCE: tuple[tuple[frozenset[str], int], ...] = (
    (frozenset({"error"}), EXIT_USAGE),
    (frozenset({"failed", "timeout", "killed"}), EXIT_FAILURE),
    (frozenset({"busy"}), EXIT_BUSY),
    (frozenset({"partial"}), EXIT_PARTIAL),
)


def crawl_exit_code(outcomes: Iterable[str], *, interrupted: int = EXIT_FAILURE) -> int:
    """The exit code of a crawl of one or more sources, from each source's outcome.

    ``interrupted`` is what a source whose run ended ``interrupted`` means to the caller:
    ``EXIT_INTERRUPTED`` for ``python -m crawler``, whose runs end so only when it got the
    signal itself; ``EXIT_FAILURE`` (the default) for ``govwatch crawl``, where such a run was
    stopped by someone else (a queue worker shutting down) and the work did not complete. A
    ``govwatch crawl`` that is itself interrupted exits ``EXIT_INTERRUPTED`` before asking.
    """
    seen = set(outcomes)
    if "interrupted" in seen:
        return interrupted
    for group, code in _PRECEDENCE:
        if seen & group:
            return code
    return EXIT_OK
