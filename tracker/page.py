"""The fetch record handed from the crawler to the tracker: one response (or failure) of one URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class PageFetch:
    """What one fetch attempt produced. Errors are fetches too (``status`` None, ``error`` set).

    ``headers`` holds lower-cased header names mapped to their (last) decoded value.
    ``hint`` lets the fetch layer pass what it already knows about the response
    (``"blocked"`` for an anti-bot challenge it gave up on, ``"truncated"`` for data
    loss, ``"too_large"``, ``"offsite"`` ...); the tracker still decides the outcome.
    """

    source: str
    url: str
    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    error: str | None = None
    hint: str | None = None
    is_attachment: bool = False
    crawl_run_id: int | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")
