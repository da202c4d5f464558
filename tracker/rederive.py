"""Re-deriving a stored version from its raw body with the current normaliser."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from tracker.blobs import decompress
from tracker.models import Blob, Version
from tracker.normalize.decode import canonical_codec, check_html, decode, header_charset
from tracker.normalize.errors import NormalizeError, NotHtml
from tracker.normalize.version import NORMALIZER_VERSION

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
    blob = session.get(Blob, version.blob_sha256)
    if blob is None:
        log.warning("version %s: raw body %s is missing, kept as is", version.id, version.blob_sha256)
        return False
    from tracker.normalize.pipeline import normalize

    try:
        # The body is read as it was served: its charset header decides between readings.
        page = normalize(decompress(blob), url, _headers(blob.content_type))
    except NormalizeError as exc:
        log.warning("version %s no longer normalises (%s), kept as is", version.id, exc.reason)
        return False
    changed = page.fingerprint != version.fingerprint or page.snapshot != version.snapshot
    version.snapshot = page.snapshot
    version.fingerprint = page.fingerprint
    version.normalizer = NORMALIZER_VERSION
    return changed


def _headers(content_type: str | None) -> dict[str, str]:
    return {"content-type": content_type} if content_type else {}


def reads_the_same(body: bytes, stored_content_type: str | None, headers: Mapping[str, str]) -> bool:
    """Whether the normaliser reads ``body`` served with ``headers`` as it read the stored body.

    Of the headers, the normaliser sees only Content-Type, and of it only whether its media type
    is a document (``check_html``) and its charset (``decode``). Equal in both means read alike;
    otherwise both readings are done and compared: the charset header of a UTF-8 page, say, is
    overruled by its bytes either way. The stored content type is the blob's: that of the first
    fetch that stored these bytes.
    """
    stored = _headers(stored_content_type)
    if _header_inputs(stored) == _header_inputs(headers):
        return True
    return _reading(body, stored) == _reading(body, headers)


def _header_inputs(headers: Mapping[str, str]) -> tuple[str, str | None]:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return content_type.split(";", 1)[0].strip().lower(), canonical_codec(header_charset(headers))


def _reading(body: bytes, headers: Mapping[str, str]) -> tuple[str, str] | None:
    try:
        check_html(body, headers)
    except NotHtml:
        return None
    decoded = decode(body, headers)
    # The charset matters beyond the text: only a UTF-8 reading is checked for cp1252 mojibake.
    return decoded.text, decoded.charset
