"""Re-deriving a stored version from its raw body with the current normaliser."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from tracker.blobs import get_blob
from tracker.models import Version
from tracker.normalize import NORMALIZER_VERSION, NormalizeError, normalize

log = logging.getLogger(__name__)

# Attachments are tracked by hash; no normaliser ever reads them.
ATTACHMENT_NORMALIZER = "attachment"


def is_stale(version: Version) -> bool:
    return version.normalizer not in (NORMALIZER_VERSION, ATTACHMENT_NORMALIZER)


def rederive(session: Session, version: Version, url: str | None = None) -> bool:
    """Rewrite ``version``'s snapshot and fingerprint with the current normaliser.

    True when the stored snapshot changed. A version whose raw body is missing or no longer
    normalises keeps what it has (and is logged): the stored history never gets worse.
    """
    if version.normalizer == ATTACHMENT_NORMALIZER or version.blob_sha256 is None:
        return False
    body = get_blob(session, version.blob_sha256)
    if body is None:
        log.warning("version %s: raw body %s is missing, kept as is", version.id, version.blob_sha256)
        return False
    try:
        page = normalize(body, url)
    except NormalizeError as exc:
        log.warning("version %s no longer normalises (%s), kept as is", version.id, exc.reason)
        return False
    changed = page.fingerprint != version.fingerprint or page.snapshot != version.snapshot
    version.snapshot = page.snapshot
    version.fingerprint = page.fingerprint
    version.normalizer = NORMALIZER_VERSION
    return changed
