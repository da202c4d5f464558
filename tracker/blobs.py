"""Raw response bodies: content-addressed by sha256, stored zstd-compressed, written once."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tracker.models import Blob
from tracker.upsert import insert_ignore

if TYPE_CHECKING:
    import zstandard

# zstd's default level: 0.2 ms for a 37 KB page; level 6 takes 3x as long to save another 5%.
ZSTD_LEVEL = 3


@cache
def _compressor() -> zstandard.ZstdCompressor:
    # Imported on first use (70 ms): a crawl whose pages are all unchanged stores no body.
    import zstandard

    return zstandard.ZstdCompressor(level=ZSTD_LEVEL)


@cache
def _decompressor() -> zstandard.ZstdDecompressor:
    import zstandard

    return zstandard.ZstdDecompressor()


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put_blob(session: Session, body: bytes, content_type: str | None = None) -> str:
    """Store ``body`` unless an identical one is stored already; return its sha256."""
    digest = sha256_hex(body)
    # A concurrent writer may store the same body: insert-or-ignore keeps both transactions alive.
    insert_ignore(
        session,
        Blob,
        {
            "sha256": digest,
            "size": len(body),
            "content_type": (content_type or "")[:200] or None,
            "compression": "zstd",
            "data": _compressor().compress(body),
        },
        index_elements=["sha256"],
    )
    return digest


def decompress(blob: Blob) -> bytes:
    if blob.compression == "zstd":
        return _decompressor().decompress(blob.data, max_output_size=max(blob.size, 1))
    return bytes(blob.data)


def get_blob(session: Session, digest: str) -> bytes | None:
    """The uncompressed body with this sha256, or None when it is not stored."""
    blob = session.get(Blob, digest)
    return None if blob is None else decompress(blob)
