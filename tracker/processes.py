"""Process hygiene shared by every launcher: liveness checks and children that die with their parent.

A crawl is a tree of processes (the crawl, its recording workers, multiprocessing's resource
tracker). Whoever starts one must be able to die (SIGKILL, crash, OOM) without leaving the
rest running unsupervised: each child asks the kernel for SIGKILL when its parent goes
(``PR_SET_PDEATHSIG``, Linux) and the launcher puts the tree in its own process group.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs on this host; a zombie (dead, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    # An orphan whose new parent never reaps it (PID 1 of many containers) stays a zombie.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()
CAN_FOLLOW_PARENT = _PRCTL is not None


def die_with_parent() -> None:
    """SIGKILL this process when the thread that started it dies (Linux; a no-op elsewhere).

    Safe between fork and exec (``preexec_fn``): only a preloaded C function runs, nothing that
    could wait on a lock held by another thread. SIGKILL rather than SIGTERM: a graceful stop
    waits for downloads in flight, and every page is recorded in its own transaction, so nothing
    is half-written; whoever looks next closes the run the dead crawl left open.
    """
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def die_with(parent_pid: int) -> None:
    """``die_with_parent`` for a process that is already running (a spawned pool worker).

    The parent may have died before the request reached the kernel; then the worker has been
    re-parented already and must go at once.
    """
    die_with_parent()
    if _PRCTL is not None and os.getppid() != parent_pid:
        os._exit(1)


def pause_collection() -> None:
    """At the start of a short-lived process, before its imports: no cyclic collection.

    Imports create a hundred thousand long-lived objects, and each full collection on the way
    scans them all again: 0.12-0.16 s of a crawl process's ~1 s of CPU went to three of them.
    """
    gc.disable()


def resume_collection() -> None:
    """Once the imports are done: what exists now is moved out of reach of every later collection.

    Nothing to do where collection was never paused (a host process, such as the tests': its
    objects are not frozen for it).
    """
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()
