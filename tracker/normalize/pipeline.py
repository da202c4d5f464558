"""The normaliser's entry point: decode, clean, extract, and assemble the Snapshot with its fingerprint.

FIRST CUT: a minimal but honest implementation so the store and crawler can be built
against the contract; the full normaliser replaces the body of ``normalize``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.html

NORMALIZER_VERSION = "0.1"
MAX_BODY_BYTES = 32 * 1024 * 1024


class NormalizeError(ValueError):
    """The input is not a page that can be normalised; ``reason`` is a short machine word."""

    reason = "invalid"


class EmptyBody(NormalizeError):
    reason = "empty"


class NotHtml(NormalizeError):
    reason = "not_html"


class TooLarge(NormalizeError):
    reason = "too_large"


class Undecodable(NormalizeError):
    reason = "undecodable"


@dataclass(frozen=True, slots=True)
class NormalizedPage:
    snapshot: dict[str, Any]
    fingerprint: str
    charset: str
    warnings: list[str] = field(default_factory=list)


FINGERPRINT_KEYS = ("title", "metadata", "targets", "paragraphs")


def fingerprint(snapshot: Mapping[str, Any]) -> str:
    content = {key: snapshot.get(key) for key in FINGERPRINT_KEYS}
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def normalize(
    body: bytes, url: str | None = None, headers: Mapping[str, str] | None = None
) -> NormalizedPage:
    if not body.strip():
        raise EmptyBody("empty body")
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    if body.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise NotHtml("binary document")
    text = body.decode("utf-8", errors="replace")
    root = lxml.html.fromstring(text)
    title = (root.findtext(".//title") or "").strip()
    paragraphs = [" ".join(p.text_content().split()) for p in root.iter("p")]
    snapshot: dict[str, Any] = {
        "title": title,
        "metadata": {},
        "targets": {},
        "paragraphs": [p for p in paragraphs if p],
        "normalizer": NORMALIZER_VERSION,
    }
    return NormalizedPage(snapshot=snapshot, fingerprint=fingerprint(snapshot), charset="utf-8")
