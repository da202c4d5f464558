"""A notifier killed mid-send loses nothing, and its resend carries the same idempotency key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.http import PortalHTTPServer
from tests.crawler.conftest import REPO, crawl_env
from tests.faults.hostile import wait_until
from tests.faults.invariants import violations
from tests.scheduler.rows import add_run_with_changes
from tests.scheduler.servers import smtp_server
from tracker.config import ChannelConfig
from tracker.models import Delivery
from tracker.notify import RetryPolicy, deliver_pending, outbox

CLAIM_SECONDS = 5


@dataclass
class StallingWebhook:
    """Keeps every request it gets; leaves the first one unanswered (a receiver hanging mid-send)."""

    url: str = ""
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def stalling_webhook() -> Iterator[StallingWebhook]:
    state = StallingWebhook()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            with state.lock:
                state.requests.append((dict(self.headers.items()), body))
                first = len(state.requests) == 1
            if first:
                state.release.wait(60)
                return
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = PortalHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def notify(config: Path, db_url: str) -> subprocess.Popen[str]:
    env = {**crawl_env(db_url), "GOVWATCH_NOTIFY_CLAIM_SECONDS": str(CLAIM_SECONDS)}
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "notify", "--config", str(config), "--json"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _statuses(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Delivery.status)))


@pytest.mark.slow
def test_a_notifier_killed_mid_send_resends_once_with_the_same_key(
    db_env: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _run, ids = add_run_with_changes(session_factory, documents=3)
    with stalling_webhook() as hook:
        config = tmp_path / "govwatch.toml"
        config.write_text(
            f'[[channel]]\nname = "hook"\ntype = "webhook"\nurl = "{hook.url}"\n', encoding="utf-8"
        )
        sender = notify(config, db_env)
        assert wait_until(lambda: len(hook.requests) == 1, timeout=60), sender.communicate()
        killed_at = time.monotonic()
        os.kill(sender.pid, signal.SIGKILL)
        sender.communicate(timeout=30)
        assert _statuses(session_factory) == ["pending"] * len(ids)  # nothing lost

        # Within the claim window the dead sender's claim holds: no second copy yet.
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        early = deliver_pending(session_factory, channels, policy=RetryPolicy(claim_seconds=CLAIM_SECONDS))
        assert early.ok and early.sent == 0 and len(hook.requests) == 1

        time.sleep(max(0.0, CLAIM_SECONDS + 1.2 - (time.monotonic() - killed_at)))
        late = notify(config, db_env)
        out, err = late.communicate(timeout=60)
        assert late.returncode == 0, err
        assert json.loads(out)["sent"] == len(ids)

    (first_headers, first), (second_headers, second) = hook.requests
    assert [c["id"] for c in first["changes"]] == [c["id"] for c in second["changes"]] == sorted(ids)
    key = first_headers["Idempotency-Key"]
    assert key.startswith("govwatch-") and second_headers["Idempotency-Key"] == key
    assert first["idempotency_key"] == second["idempotency_key"] == key
    assert _statuses(session_factory) == ["sent"] * len(ids)
    assert violations(session_factory.kw["bind"]) == []


def test_a_mail_resent_after_a_crash_keeps_its_message_id(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=0, claim_seconds=1)
    stamp = outbox._stamp_sent

    def crash(*args: Any, **kwargs: Any) -> int:
        raise SystemExit("killed between the send and its stamp")

    with smtp_server() as (host, port, messages):
        url = f"smtp://{host}:{port}/?from=govwatch@example.org&to=ops@example.org"
        channels = [ChannelConfig(name="mail", type="email", url=url)]
        _run, ids = add_run_with_changes(session_factory, channels=("mail",), documents=1)
        monkeypatch.setattr(outbox, "_stamp_sent", crash)
        with pytest.raises(SystemExit):
            deliver_pending(session_factory, channels, policy=policy)
        monkeypatch.setattr(outbox, "_stamp_sent", stamp)
        assert deliver_pending(session_factory, channels, policy=policy).sent == 0  # still claimed
        time.sleep(2.1)  # the window, plus up to a second that makes each claim token unique
        assert deliver_pending(session_factory, channels, policy=policy).sent == len(ids)
    first, second = (message_from_bytes(m.original_content) for m in messages)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith("<govwatch-") and first["Message-ID"].endswith("@example.org>")
    assert _statuses(session_factory) == ["sent"] * len(ids)


def test_the_claim_window_is_configurable_and_defaults_to_five_minutes() -> None:
    assert RetryPolicy().claim.total_seconds() == 300
    assert RetryPolicy(claim_seconds=7).claim.total_seconds() == 7
