"""The durable outbox: claim due deliveries, send one digest per crawl run and channel, stamp or retry.

Guarantees: a delivery stamped ``sent`` is never sent again (every state change is guarded
by the claim token); a failed send is retried with exponential backoff and, after
``max_attempts``, marked ``failed`` and kept for ``govwatch status`` / ``govwatch notify --failed``.
A crash between a successful send and its stamp can repeat that one message (at least once):
the claim is held for the claim window (``RetryPolicy.claim_seconds``, default ``CLAIM_LEASE``),
then the message is sent again, carrying the same idempotency key (``Digest.key``: the webhook's
``Idempotency-Key`` header, the e-mail's Message-ID), so a receiver can drop the duplicate.
Events of a crawl run that is still going are held until it ends: one message per run and channel.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from tracker import query
from tracker.events import QUIET_KINDS
from tracker.models import (
    Change,
    CrawlOutcome,
    CrawlRun,
    Delivery,
    DeliveryStatus,
    Document,
)
from tracker.notify.channels import Channel, ChannelSpec, SendError, make_channel
from tracker.notify.digest import build_digest

log = logging.getLogger(__name__)

# A claimed delivery is invisible to other senders for this long; if the sender dies,
# the claim simply expires and the delivery is due again. It is the longest a message of a
# dead sender waits before it is resent, and must outlast the slowest send.
CLAIM_LEASE = timedelta(minutes=5)
BATCH_LIMIT = 1000
# Events of a crawl still running wait for its end, so each run goes out as one message.
# A run left ``running`` by a process that died is released after this long.
RUN_HOLD_LIMIT = timedelta(hours=12)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 60.0
    cap_seconds: float = 6 * 3600.0
    claim_seconds: float | None = None  # the claim window; None: CLAIM_LEASE

    @property
    def claim(self) -> timedelta:
        return CLAIM_LEASE if self.claim_seconds is None else timedelta(seconds=self.claim_seconds)

    def delay(self, attempts: int) -> timedelta:
        """Wait before attempt ``attempts + 1``: base, 2x base, 4x base ... capped."""
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0)))


@dataclass
class DeliveryReport:
    messages: int = 0  # digests sent
    sent: int = 0  # deliveries stamped sent
    retrying: int = 0  # deliveries that failed this time and will be retried
    gave_up: int = 0  # deliveries that reached max_attempts this time
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def enqueue(
    session: Session, changes: Iterable[tuple[int, str]], routes: Mapping[str, frozenset[str] | None]
) -> int:
    """Pending deliveries for recorded change events, in the caller's transaction (so an event
    and its deliveries are written together or not at all): one per event and channel of
    ``routes`` (channel → the kinds it wants, None: all; ``tracker.config.channel_routes``)
    that wants the event's kind (a channel without a filter is not sent the quiet kinds,
    ``tracker.events.QUIET_KINDS``). ``changes`` are (change id, kind) pairs; returns how many."""
    rows = [
        {"change_id": change_id, "channel": channel}
        for change_id, kind in changes
        for channel, kinds in routes.items()
        if (kind in kinds if kinds is not None else kind not in QUIET_KINDS)
    ]
    if rows:
        session.connection().execute(insert(Delivery), rows)
    return len(rows)


def _digest_rows(session: Session, change_ids: Iterable[int], run_id: int | None) -> list[dict[str, Any]]:
    """The claimed events in the ``govwatch changes --json`` shape plus their run, by id."""
    rows = sorted(query.changes(session, ids=sorted(set(change_ids))), key=lambda row: row["id"])
    return [{**row, "crawl_run_id": run_id} for row in rows]


def idempotency_key(channel: str, delivery_ids: Iterable[int]) -> str:
    """The same for every send of the same deliveries: a resend after a crash carries the first one's key."""
    ids = ",".join(str(i) for i in sorted(delivery_ids))
    return "govwatch-" + hashlib.sha256(f"{channel}\n{ids}".encode()).hexdigest()[:32]


def _claim(
    factory: sessionmaker[Session],
    channels: Sequence[str],
    now: datetime,
    crawl_run_id: int | None,
    limit: int,
    *,
    lease: timedelta,
) -> tuple[datetime, list[tuple[int, str, int, int | None]]]:
    """Mark due deliveries as ours; returns the claim token and (delivery, channel, change, run) rows."""
    # Random microseconds make the lease end a token no concurrent sender can share.
    token = now + lease + timedelta(microseconds=secrets.randbelow(10**6))
    due = (Delivery.status == DeliveryStatus.PENDING) & (Delivery.next_attempt_at <= now)
    run_over = (
        CrawlRun.id.is_(None)
        | (CrawlRun.outcome != CrawlOutcome.RUNNING)
        | (CrawlRun.started_at < now - RUN_HOLD_LIMIT)
    )
    with factory() as session, session.begin():
        candidates = (
            select(Delivery.id)
            .join(Change, Delivery.change_id == Change.id)
            .outerjoin(CrawlRun, Change.crawl_run_id == CrawlRun.id)
        )
        candidates = candidates.where(due, run_over, Delivery.channel.in_(channels))
        if crawl_run_id is not None:
            candidates = candidates.where(Change.crawl_run_id == crawl_run_id)
        ids = list(session.scalars(candidates.order_by(Delivery.id).limit(limit)))
        if not ids:
            return token, []
        session.execute(update(Delivery).where(Delivery.id.in_(ids), due).values(next_attempt_at=token))
    with factory() as session:
        claimed = session.execute(
            select(Delivery.id, Delivery.channel, Delivery.change_id, Change.crawl_run_id)
            .join(Change, Delivery.change_id == Change.id)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at == token,
            )
            .order_by(Delivery.id)
        ).all()
    return token, [(d, ch, c, r) for d, ch, c, r in claimed]


def _stamp_sent(factory: sessionmaker[Session], ids: list[int], token: datetime, now: datetime) -> int:
    with factory() as session, session.begin():
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at == token,
            )
            .values(
                status=DeliveryStatus.SENT,
                sent_at=now,
                attempts=Delivery.attempts + 1,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _release(factory: sessionmaker[Session], ids: list[int], token: datetime) -> None:
    """Make claimed but unsent deliveries due again at once."""
    with factory() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at == token,
            )
            .values(next_attempt_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )


def _record_failure(
    factory: sessionmaker[Session],
    ids: list[int],
    token: datetime,
    *,
    now: datetime,
    error: str,
    policy: RetryPolicy,
) -> tuple[int, int]:
    retrying = gave_up = 0
    with factory() as session, session.begin():
        rows = session.scalars(
            select(Delivery).where(
                Delivery.id.in_(ids),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at == token,
            )
        )
        for delivery in rows:
            delivery.attempts += 1
            delivery.last_error = error[:2000]
            if delivery.attempts >= policy.max_attempts:
                delivery.status = DeliveryStatus.FAILED
                gave_up += 1
            else:
                delivery.next_attempt_at = now + policy.delay(delivery.attempts)
                retrying += 1
    return retrying, gave_up


def _send_batch(
    factory: sessionmaker[Session],
    senders: Mapping[str, Channel],
    policy: RetryPolicy,
    report: DeliveryReport,
    *,
    now: datetime,
    crawl_run_id: int | None,
    limit: int,
) -> int:
    """Claim up to ``limit`` due deliveries and send them, one digest per (channel, crawl run)."""
    lease = policy.claim
    token, claimed = _claim(factory, list(senders), now, crawl_run_id, limit, lease=lease)
    groups: dict[tuple[str, int | None], list[tuple[int, int]]] = {}
    for delivery_id, channel, change_id, run_id in claimed:
        groups.setdefault((channel, run_id), []).append((delivery_id, change_id))
    # Past half the claim lease, a slow channel could let the claim lapse mid-send and another
    # sender send the same events again: hand the rest back instead.
    send_until = datetime.now(UTC) + lease / 2
    ordered = sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or 0))
    for index, ((channel, run_id), members) in enumerate(ordered):
        if index and datetime.now(UTC) > send_until:  # the first always goes: every pass makes progress
            rest = [d for _, group in ordered[index:] for d, _ in group]
            _release(factory, rest, token)
            log.info("notification claim running out: %d deliveries handed back for the next pass", len(rest))
            break
        delivery_ids = [d for d, _ in members]
        with factory() as session:
            rows = _digest_rows(session, [c for _, c in members], run_id)
        digest = replace(build_digest(rows, crawl_run_id=run_id), key=idempotency_key(channel, delivery_ids))
        try:
            senders[channel].send(digest)
        except Exception as exc:  # any channel fault is a failed attempt, never a crash
            message = f"{channel}: {exc}"
            log.warning("notification via %s failed (%d events): %s", channel, len(members), exc)
            retrying, gave_up = _record_failure(
                factory, delivery_ids, token, now=now, error=message, policy=policy
            )
            report.retrying += retrying
            report.gave_up += gave_up
            report.errors.append(message)
            continue
        report.messages += 1
        report.sent += _stamp_sent(factory, delivery_ids, token, datetime.now(UTC))
        log.info("notified %s: %d events of run %s", channel, len(members), run_id)
    return len(claimed)


def deliver_pending(
    factory: sessionmaker[Session],
    channels: Sequence[ChannelSpec],
    *,
    policy: RetryPolicy | None = None,
    crawl_run_id: int | None = None,
    now: datetime | None = None,
    stream: TextIO | None = None,
    batch_limit: int = BATCH_LIMIT,
) -> DeliveryReport:
    """Send every due pending delivery of the configured channels (only one crawl run's, if given)."""
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    senders: dict[str, Channel] = {}
    for spec in channels:
        try:
            senders[spec.name] = make_channel(spec, stream=stream)
        except SendError as exc:
            # Its deliveries stay pending until the channel is fixed; say so on every pass.
            log.error("notification channel unusable: %s", exc)
            report.errors.append(str(exc))
    if not senders:
        return report
    while True:
        errors_before = len(report.errors)
        # Each batch claims as of the clock now: a claim must never start out already expired.
        batch_now = now or datetime.now(UTC)
        claimed = _send_batch(
            factory, senders, policy, report, now=batch_now, crawl_run_id=crawl_run_id, limit=batch_limit
        )
        # A full batch means more may be waiting; a failing channel waits for its backoff instead.
        if claimed < batch_limit or len(report.errors) > errors_before:
            break
    return report


def outbox_counts(session: Session) -> dict[str, dict[str, int]]:
    """channel → {pending, sent, failed} counts."""
    counts: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)
    )
    for channel, status, n in rows:
        counts.setdefault(channel, {s.value: 0 for s in DeliveryStatus})[status] = n
    return counts


def failed_deliveries(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries that gave up, newest first, with their last error and change event."""
    stmt = (
        select(Delivery, Change.kind, Document.url, Document.title)
        .join(Change, Delivery.change_id == Change.id)
        .join(Document, Change.document_id == Document.id)
        .where(Delivery.status == DeliveryStatus.FAILED)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return [
        {
            "delivery_id": d.id,
            "channel": d.channel,
            "change_id": d.change_id,
            "kind": kind,
            "url": url,
            "title": title,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": d.created_at,
        }
        for d, kind, url, title in session.execute(stmt)
    ]


def retry_failed(session: Session, now: datetime | None = None) -> int:
    """Put every failed delivery back in the queue (attempts reset); returns how many."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
