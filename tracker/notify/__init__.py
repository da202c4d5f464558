"""Change notifications: the outbox sender, the digest message and the channels (no scheduler here)."""

from tracker.notify.channels import SendError, make_channel
from tracker.notify.digest import Digest, build_digest
from tracker.notify.outbox import (
    DeliveryReport,
    RetryPolicy,
    deliver_pending,
    enqueue,
    failed_deliveries,
    outbox_counts,
    retry_failed,
)

__all__ = [
    "DeliveryReport",
    "Digest",
    "RetryPolicy",
    "SendError",
    "build_digest",
    "deliver_pending",
    "enqueue",
    "failed_deliveries",
    "make_channel",
    "outbox_counts",
    "retry_failed",
]
