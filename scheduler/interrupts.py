"""Ctrl-C around the thread that carries a crawl: the crawl is stopped and waited for, never left behind.

The obvious ``thread.start(); thread.join()`` with ``except KeyboardInterrupt`` loses a crawl
in two ways: a KeyboardInterrupt raised inside ``Thread.start()`` leaves a thread that runs
but cannot be joined yet, and one raised inside ``Thread.join()`` can leave ``is_alive()``
answering False for a thread that is still running (CPython 3.11). Either way the caller
goes on, reports nothing, and may delete the database the crawl is still writing to. So no
KeyboardInterrupt is raised at all while the thread runs: the signal only asks it to stop.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_until_done(
    work: Callable[[], T],
    stop: threading.Event,
    *,
    name: str,
    signals: Sequence[signal.Signals] = (signal.SIGINT,),
) -> tuple[T | None, bool]:
    """Run ``work`` in a thread; any of ``signals`` sets ``stop`` and ``work`` is still waited for.

    Returns what ``work`` returned (None if it raised: the thread reports the error) and
    whether one of the signals came. ``work`` must end soon after ``stop`` is set.
    """
    result: list[T] = []
    signalled = threading.Event()
    if threading.current_thread() is not threading.main_thread():  # signal.signal would refuse
        return work(), False

    def on_signal(_signum: int, _frame: object) -> None:
        signalled.set()
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        thread = threading.Thread(target=lambda: result.append(work()), name=name)
        thread.start()
        thread.join()  # a signal runs on_signal and the wait goes on (PEP 475)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return (result[0] if result else None), signalled.is_set()
