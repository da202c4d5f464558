"""Warm crawl processes: ``python -m crawler`` forked from a process that has done its imports.

A crawl process spends ~0.35 s of CPU importing Scrapy, Twisted, SQLAlchemy and the models
before its first request, more than an unchanged recrawl of a small source then needs. A
launcher that starts many crawl processes (``govwatch crawl`` with several, every tick of the
scheduler, every job of a queue worker) starts one zygote instead: ``python -m crawler.zygote``
imports all of that once, freezes it out of the garbage collector's way, and then forks one
child per crawl. Each child becomes what ``python -m crawler ARGS`` would have been: its own
process group (what a stop signals), the launcher's pipes as stdout and stderr, the
launcher's environment and working directory, the same exit codes.

Only a parent can wait for a process, so the zygote reaps its children and reports each exit
status to the launcher, which sees a ``ForkedProcess``: the part of ``subprocess.Popen`` the
runner uses. Forking is safe because the zygote never starts a thread, a reactor or a database
connection (checked before it serves). The chain of ``tracker.processes`` holds: the zygote
dies with the launcher's thread that keeps it, each child dies with the zygote, the child's
recording workers die with the child.

Protocol, over a Unix ``SOCK_SEQPACKET`` pair (one message per request or event): the
launcher sends ``{"id", "argv", "env", "cwd"}`` with two file descriptors attached (stdout,
stderr); the zygote answers ``{"id", "pid": N}`` (or ``{"id", "error": ...}``), and
``{"exit": N, "code": C}`` when child N ends (C as ``Popen.returncode``: negative for a signal).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import queue
import selectors
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tracker.processes import CAN_FOLLOW_PARENT, die_with, die_with_parent

log = logging.getLogger(__name__)

MAX_MESSAGE = 1 << 20  # an environment and an argument list fit many times over
REPLY_TIMEOUT = 120.0  # seconds a request waits for its pid (the zygote's imports included)
STDERR_TAIL_LINES = 20


class ZygoteUnavailable(OSError):
    """The zygote could not be started or is gone: start ``python -m crawler`` instead."""


# -- the zygote process ------------------------------------------------------------------------


def _send(sock: socket.socket, message: Mapping[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a launcher that has gone: the next receive ends the zygote
        sock.send(json.dumps(message).encode())


def _exit_code(code: object) -> int:
    """``SystemExit.code`` as the interpreter turns it into an exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _become(request: Mapping[str, Any], fds: Sequence[int], closing: Sequence[Any]) -> int:
    """In the forked child: turn into ``python -m crawler ARGV`` and run it."""
    for thing in closing:  # the zygote's socket, selector and wake-up pipe
        with contextlib.suppress(OSError):
            if isinstance(thing, int):
                os.close(thing)
            else:
                thing.close()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError):  # the zygote did it too: whoever is first
        os.setpgid(0, 0)
    out, err = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    from crawler.__main__ import main

    return main([str(arg) for arg in request["argv"]])


def _fork(request: Mapping[str, Any], fds: Sequence[int], closing: Sequence[Any]) -> int:
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            die_with(zygote)
            code = _become(request, fds, closing)
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            logging.shutdown()
            os._exit(code)
    # Its own process group before the launcher learns its pid: a stop signals the group.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    return pid


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(sock: socket.socket) -> None:
    """Fork a crawl per request until the launcher closes its end; report every exit."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the selector
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    closing = (sock, selector, wake_r, wake_w)
    while True:
        for key, _ in selector.select():
            if key.fileobj is not sock:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
                continue
            try:
                message, fds, _flags, _address = socket.recv_fds(sock, MAX_MESSAGE, 2)
            except ConnectionError:
                message, fds = b"", []
            if not message:
                return  # the launcher is gone; any child still running goes with us
            request: dict[str, Any] = {}
            try:
                request = json.loads(message)
                if len(fds) != 2:
                    raise ValueError(f"expected stdout and stderr, got {len(fds)} descriptors")
                _send(sock, {"id": request.get("id"), "pid": _fork(request, fds, closing)})
            except (ValueError, KeyError, OSError) as exc:
                _send(sock, {"id": request.get("id"), "error": f"{type(exc).__name__}: {exc}"})
            finally:
                for fd in fds:
                    os.close(fd)
        _reap(sock)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.zygote", description=__doc__.split("\n")[0])
    parser.add_argument("--socket", type=int, required=True, help="file descriptor of the launcher's socket")
    parser.add_argument("--content", action="store_true", help="also import what a changed page needs")
    args = parser.parse_args(argv)
    from crawler.__main__ import import_crawl

    import_crawl(preload=True, content=args.content)
    # Terminal signals are the launcher's to handle: it stops the crawls, then closes us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    unsafe = threading.active_count() != 1 or "twisted.internet.reactor" in sys.modules
    if unsafe:
        print("error: the zygote has a thread or a reactor after its imports; not forking", file=sys.stderr)
        return 1
    serve(socket.socket(fileno=args.socket))
    return 0


# -- the launcher's side -----------------------------------------------------------------------


class ForkedProcess:
    """A crawl forked by the zygote: ``pid``, ``stdout``, ``stderr``, ``poll``, ``wait``, ``returncode``."""

    def __init__(self, pid: int, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"crawl process {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def end(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
            self._ended.set()


class Zygote:
    """The launcher's end: starts ``python -m crawler.zygote`` at once and forks crawls from it.

    Construction returns immediately; the zygote imports in the background (on another core)
    while the launcher prepares its runs, and the first ``spawn`` waits for it. Close it only
    when none of its crawls is running: its children die with it.
    """

    def __init__(
        self, python: str = sys.executable, env: Mapping[str, str] | None = None, *, content: bool = False
    ) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._theirs = theirs
        self._request = threading.Lock()  # one request at a time: answers come in order
        self._requests = 0
        self._guard = threading.Lock()
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._running: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._started = threading.Event()
        self._gone = False
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: str | None = None
        command = [python, "-m", "crawler.zygote", "--socket", str(theirs.fileno())]
        if content:
            command.append("--content")
        environment = dict(env if env is not None else os.environ)
        # Kept by a thread of its own, which lives as long as the zygote: the zygote dies with
        # the thread that started it (PR_SET_PDEATHSIG), so not with a short-lived caller's.
        threading.Thread(
            target=self._keep, args=(command, environment), name="crawl-zygote", daemon=True
        ).start()
        self._started.wait()
        if self.proc is not None:
            threading.Thread(target=self._read, name="crawl-zygote-events", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.proc is not None and not self._gone

    def _keep(self, command: list[str], env: dict[str, str]) -> None:
        try:
            self.proc = subprocess.Popen(
                command,
                pass_fds=(self._theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,  # Ctrl-C reaches the launcher, which stops the crawls
                preexec_fn=die_with_parent if CAN_FOLLOW_PARENT else None,  # noqa: PLW1509
            )
        except OSError as exc:
            self.error = f"could not start the crawl zygote: {exc}"
            self._gone = True
            return
        finally:
            self._theirs.close()
            self._started.set()
        assert self.proc.stderr is not None
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._tail.append(line)
            log.debug("crawl zygote: %s", line)
        self.proc.wait()

    def _read(self) -> None:
        while True:
            try:
                message = self._sock.recv(MAX_MESSAGE)
            except OSError:
                message = b""
            if not message:
                break
            event = json.loads(message)
            if "exit" in event:
                self._ended(int(event["exit"]), int(event["code"]))
            else:
                self._replies.put(event)
        # The zygote is gone, and its children with it (PR_SET_PDEATHSIG): each ends as killed.
        with self._guard:
            self._gone = True
            running = list(self._running.values())
            self._running.clear()
        last = next((line for line in reversed(self._tail) if line.strip()), "")
        self.error = self.error or f"the crawl zygote exited{': ' + last if last else ''}"
        self._replies.put({"error": self.error})
        for proc in running:
            proc.end(-signal.SIGKILL)

    def _ended(self, pid: int, code: int) -> None:
        with self._guard:
            proc = self._running.pop(pid, None)
            if proc is None:  # ended before its launcher registered it
                self._early_exits[pid] = code
                return
        proc.end(code)

    def spawn(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | None = None) -> ForkedProcess:
        """Fork ``python -m crawler ARGV`` with this environment; ``ZygoteUnavailable`` if it cannot."""
        if not self.alive:
            raise ZygoteUnavailable(self.error or "the crawl zygote is not running")
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        request: dict[str, Any] = {"argv": list(argv), "env": dict(env), "cwd": cwd or str(Path.cwd())}
        try:
            with self._request:
                self._requests += 1
                number = request["id"] = self._requests
                socket.send_fds(self._sock, [json.dumps(request).encode()], [out_w, err_w])
                reply = self._replies.get(timeout=REPLY_TIMEOUT)
                while reply.get("id") not in (number, None):  # the late answer to a request given up on
                    reply = self._replies.get(timeout=REPLY_TIMEOUT)
        except (OSError, queue.Empty) as exc:
            reply = {"error": f"no answer from the crawl zygote: {exc or type(exc).__name__}"}
        finally:
            os.close(out_w)
            os.close(err_w)
        if "pid" not in reply:
            os.close(out_r)
            os.close(err_r)
            raise ZygoteUnavailable(str(reply.get("error") or reply))
        proc = ForkedProcess(int(reply["pid"]), os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb"))
        with self._guard:
            code = self._early_exits.pop(proc.pid, None)
            if code is None:
                self._running[proc.pid] = proc
        if code is not None:
            proc.end(code)
        return proc

    def close(self, timeout: float = 10.0) -> None:
        """Let the zygote go (after its crawls have ended)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_zygote(
    python: str = sys.executable, env: Mapping[str, str] | None = None, *, content: bool = False
) -> Zygote | None:
    """A zygote to fork crawls from; None where crawls must start their own interpreters.

    That is where a child cannot be made to die with its parent (no PR_SET_PDEATHSIG: the kill
    chain would break) or where the zygote did not start (logged). ``content``: a long-lived
    zygote, which also imports what a changed page needs (``crawler.run.preload``).
    """
    if not CAN_FOLLOW_PARENT:
        return None
    zygote = Zygote(python, env, content=content)
    if not zygote.alive:
        log.warning("%s; crawls start their own interpreters", zygote.error)
        zygote.close()
        return None
    return zygote


class KeptZygote:
    """A zygote kept for a launcher's lifetime: one that has died is replaced when next asked for.

    The one owner of "which zygote is current" for a runner, a queue worker or a command;
    ``current`` is None where no zygote can run (``start_zygote``), and stays so.
    """

    def __init__(
        self, python: str = sys.executable, env: Mapping[str, str] | None = None, *, content: bool = False
    ) -> None:
        self._start = lambda: start_zygote(python, env, content=content)
        self._guard = threading.Lock()  # launches of concurrent batches or jobs
        self.current = self._start()

    def get(self) -> Zygote | None:
        """The zygote to fork from now (a killed one replaced: the OOM killer, a person)."""
        with self._guard:
            if self.current is not None and not self.current.alive:
                log.warning("%s; starting another", self.current.error or "the crawl zygote has gone")
                self.current.close()
                self.current = self._start()
            return self.current

    def close(self) -> None:
        """Let the zygote go; only when none of its crawls is running."""
        with self._guard:
            if self.current is not None:
                self.current.close()
                self.current = None


if __name__ == "__main__":
    sys.exit(main())
