"""Notification channels: console, JSON Lines file, webhook, e-mail (SMTP) and any apprise URL."""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from tracker.notify.digest import Digest

SEND_TIMEOUT_SECONDS = 15
USER_AGENT = "govwatch-notify/0.1"


class SendError(Exception):
    """A channel could not deliver a digest; the outbox retries it later."""


class ChannelSpec(Protocol):
    """What the outbox needs from a configured channel (``tracker.config.ChannelConfig``, frozen:
    read-only members)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def options(self) -> Mapping[str, Any]: ...


class Channel(Protocol):
    name: str

    def send(self, digest: Digest) -> None: ...


@dataclass
class ConsoleChannel:
    name: str
    stream: TextIO | None = None

    def send(self, digest: Digest) -> None:
        out = self.stream or sys.stdout
        rule = "─" * 60
        out.write(f"{rule}\n{digest.subject}\n{rule}\n{digest.text}\n\n")
        out.flush()


@dataclass
class JsonlChannel:
    """Appends one JSON object per digest to a file (``url`` is the path)."""

    name: str
    path: Path

    def send(self, digest: Digest) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(digest.payload(), ensure_ascii=False, default=str) + "\n")
        except OSError as exc:
            raise SendError(f"cannot write {self.path}: {exc}") from exc


@dataclass
class WebhookChannel:
    """POSTs the digest as JSON; any 2xx answer is a success."""

    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = SEND_TIMEOUT_SECONDS

    def send(self, digest: Digest) -> None:
        body = json.dumps(digest.payload(), ensure_ascii=False, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        if digest.key:
            # The same on a resend after a crash: a receiver that remembers it drops the duplicate.
            headers["Idempotency-Key"] = digest.key
        headers.update(self.headers)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SendError(f"webhook answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SendError(f"webhook unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise SendError(f"webhook answered HTTP {status}")


@dataclass
class EmailChannel:
    """Sends the digest as a plain-text UTF-8 mail.

    URL: ``smtp://user:password@host:port/?from=a@example.org&to=b@example.org,c@example.org``
    (``smtps://`` for implicit TLS, ``&starttls=true`` to upgrade a plain connection).
    Keep the password in an environment variable: ``smtp://user:${SMTP_PASSWORD}@...``.
    """

    name: str
    url: str
    timeout: float = SEND_TIMEOUT_SECONDS

    def _parts(self) -> tuple[Any, dict[str, list[str]]]:
        parts = urlsplit(self.url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise SendError(f"channel {self.name}: e-mail URL must be smtp://host:port/?from=..&to=..")
        return parts, parse_qs(parts.query)

    def send(self, digest: Digest) -> None:
        parts, query = self._parts()
        sender = (query.get("from") or [f"govwatch@{parts.hostname}"])[0]
        recipients = [a.strip() for value in query.get("to", []) for a in value.split(",") if a.strip()]
        if not recipients:
            raise SendError(f"channel {self.name}: no recipients (add ?to=someone@example.org)")
        message = EmailMessage()
        message["Subject"] = digest.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        # Mail servers and spam filters distrust messages without these two headers.
        message["Date"] = formatdate(localtime=True)
        domain = sender.rpartition("@")[2] or parts.hostname
        # A resend after a crash keeps the Message-ID, which mail systems deduplicate on.
        message["Message-ID"] = f"<{digest.key}@{domain}>" if digest.key else make_msgid(domain=domain)
        message.set_content(digest.text, charset="utf-8")
        smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        try:
            with smtp_class(parts.hostname, port, timeout=self.timeout) as smtp:
                if query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}:
                    smtp.starttls(context=ssl.create_default_context())
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {parts.hostname}:{port}: {exc}") from exc


@dataclass
class AppriseChannel:
    """Any apprise URL: DingTalk, WeCom, Feishu/Lark, Telegram, Slack, e-mail ..."""

    name: str
    url: str

    def send(self, digest: Digest) -> None:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self.url):
            raise SendError(f"channel {self.name}: apprise does not understand this URL")
        # Declared as plain text, apprise escapes it for HTML and Markdown services (e-mail,
        # DingTalk ...): a page title holding markup is shown, never rendered.
        if not notifier.notify(title=digest.subject, body=digest.text, body_format=apprise.NotifyFormat.TEXT):
            raise SendError(f"channel {self.name}: apprise could not deliver")


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: str, channel: str) -> str:
    """``${NAME}`` from the environment, so header secrets stay out of the sources file."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise SendError(f"channel {channel}: environment variable ${{{match.group(1)}}} is not set")
        return os.environ[match.group(1)]

    return _ENV_REF.sub(replace, value)


def make_channel(spec: ChannelSpec, stream: TextIO | None = None) -> Channel:
    """Build the sender for one configured channel."""
    kind, url, options = spec.type, spec.url or "", dict(spec.options or {})
    if kind == "console":
        return ConsoleChannel(spec.name, stream=stream)
    if not url:
        raise SendError(f"channel {spec.name}: type {kind} needs a url")
    if kind == "jsonl":
        return JsonlChannel(spec.name, Path(url).expanduser())
    if kind == "webhook":
        headers = {str(k): _expand(str(v), spec.name) for k, v in (options.get("headers") or {}).items()}
        return WebhookChannel(spec.name, url, headers=headers)
    if kind == "email":
        return EmailChannel(spec.name, url)
    if kind == "apprise":
        return AppriseChannel(spec.name, url)
    raise SendError(f"channel {spec.name}: unknown type {kind!r}")
