"""One scheduler per database: a lease row in ``scheduler_locks``, renewed by heartbeat.

Taking the lease is one atomic statement (an INSERT, or an UPDATE guarded by staleness),
so two schedulers racing for it cannot both win. A lease is stale when its heartbeat is
older than ``stale_after``, or at once when its holder is a dead process on this host.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tracker.models import SchedulerLock
from tracker.runs import process_alive

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 30.0
STALE_AFTER_SECONDS = 120.0


class LockHeld(Exception):
    """Another live scheduler holds the lease."""

    def __init__(self, holder: str, heartbeat_at: datetime) -> None:
        self.holder = holder
        self.heartbeat_at = heartbeat_at
        super().__init__(
            f"another govwatch scheduler is already running against this database "
            f"(holder {holder}, last heartbeat {heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); "
            f"stop it first, or wait until its lease goes stale"
        )


class LockLost(Exception):
    """Our lease was taken over (our heartbeat stalled for longer than the stale limit)."""


def _holder_is_dead_local_process(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    return not process_alive(int(pid_text))


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def current_holder(session: Session, name: str = LOCK_NAME) -> SchedulerLock | None:
    return session.get(SchedulerLock, name)


@dataclass
class SchedulerLease:
    factory: sessionmaker[Session]
    name: str = LOCK_NAME
    stale_after: timedelta = field(default_factory=lambda: timedelta(seconds=STALE_AFTER_SECONDS))
    holder: str = field(default_factory=new_holder_id)

    def acquire(self) -> None:
        """Take the lease or raise ``LockHeld``."""
        now = datetime.now(UTC)
        try:
            with self.factory() as session, session.begin():
                lease = SchedulerLock(name=self.name, holder=self.holder, acquired_at=now, heartbeat_at=now)
                session.add(lease)
            log.info("scheduler lease %r taken by %s", self.name, self.holder)
            return
        except IntegrityError:
            pass
        with self.factory() as session:
            row = current_holder(session, self.name)
            if row is None:  # released between our INSERT and this read: try once more
                return self.acquire()
            old_holder, old_beat = row.holder, row.heartbeat_at
        stale = old_beat < now - self.stale_after or _holder_is_dead_local_process(old_holder)
        if not stale:
            raise LockHeld(old_holder, old_beat)
        with self.factory() as session, session.begin():
            taken = session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name, SchedulerLock.holder == old_holder)
                .values(holder=self.holder, acquired_at=now, heartbeat_at=now)
            ).rowcount  # type: ignore[attr-defined]
        if not taken:
            with self.factory() as session:
                row = current_holder(session, self.name)
                raise LockHeld(row.holder if row else "unknown", row.heartbeat_at if row else now)
        log.warning("took over the stale scheduler lease of %s (last heartbeat %s)", old_holder, old_beat)
        return None

    def heartbeat(self) -> None:
        """Renew the lease; raise ``LockLost`` when someone else holds it now."""
        with self.factory() as session, session.begin():
            renewed = session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name, SchedulerLock.holder == self.holder)
                .values(heartbeat_at=datetime.now(UTC))
            ).rowcount  # type: ignore[attr-defined]
        if not renewed:
            raise LockLost(f"scheduler lease {self.name!r} is no longer held by {self.holder}")

    def release(self) -> None:
        with self.factory() as session, session.begin():
            session.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == self.name, SchedulerLock.holder == self.holder
                )
            )
        log.info("scheduler lease %r released", self.name)

    def held(self) -> bool:
        with self.factory() as session:
            holder = session.scalar(select(SchedulerLock.holder).where(SchedulerLock.name == self.name))
        return holder == self.holder
