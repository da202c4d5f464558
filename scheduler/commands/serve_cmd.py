"""``govwatch serve``: the read-only web interface and JSON API; ``demo --serve`` ends the demo in it."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.cli import EXIT_USAGE, config_option

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

TOKEN_ENV = "GOVWATCH_UI_TOKEN"
DEMO_PORT = 8080


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port (0: any free one)."
)
@config_option("Sources file, for schedules and next runs (default: GOVWATCH_CONFIG or ./govwatch.toml).")
def serve(host: str, port: int, config_path: Path | None) -> None:
    """Serve the web interface and the JSON API (read-only) on http://HOST:PORT/.

    \b
    Pages: / (the change timeline), /sources, /documents/ID (versions, diffs, targets),
    /search, /compare, /indicators, Atom feeds (/feed.xml ...), JSON under /api/
    (described at /api/docs). Database: GOVWATCH_DATABASE_URL.
    Bound to 127.0.0.1 by default. Any other address needs GOVWATCH_UI_TOKEN: every
    request must then carry it (the login form sets a cookie; scripts send
    "Authorization: Bearer TOKEN"). With the variable set, loopback needs it too.
    Exit 2 when another address is asked for without a token, or the port is taken.
    """
    from scheduler.web.security import is_loopback
    from tracker.db import session_factory

    token = (os.environ.get(TOKEN_ENV) or "").strip() or None
    if not is_loopback(host) and token is None:
        click.echo(
            f"error: listening on {host} needs {TOKEN_ENV} (every request must then carry the token); "
            "without it govwatch serves only 127.0.0.1",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    factory = session_factory()
    _run(factory, host, port, token=token, config_path=config_path)


def _run(
    factory: sessionmaker[Session], host: str, port: int, *, token: str | None, config_path: Path | None
) -> None:
    import uvicorn

    from scheduler.web.app import create_app

    app = create_app(factory, token=token, config_path=config_path)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"govwatch 网页界面：http://{shown}:{sock.getsockname()[1]}/（Ctrl-C 停止）", err=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def demo_then_serve(keep: Path | None) -> int:
    """Run the demo, then serve its database on 127.0.0.1 until Ctrl-C; the demo's exit code."""
    from sqlalchemy.orm import sessionmaker

    from scheduler.demo import run_demo
    from tracker.db import make_engine

    with tempfile.TemporaryDirectory(prefix="govwatch-demo-") as tmp:
        workdir = (keep or Path(tmp)).resolve()
        code = run_demo(workdir)
        if code != 0:
            return code
        engine = make_engine(f"sqlite:///{workdir / 'govwatch-demo.db'}")
        factory = sessionmaker(engine, expire_on_commit=False)
        port = DEMO_PORT
        try:
            _bind("127.0.0.1", port).close()
        except OSError:
            port = 0  # 8080 is taken: any free port, printed below
        try:
            _run(factory, "127.0.0.1", port, token=None, config_path=workdir / "govwatch.toml")
        finally:
            engine.dispose()
    return code
