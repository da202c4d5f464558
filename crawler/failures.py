"""What a fetch that produced no response means: the hint the tracker classifies, and a readable message."""

from __future__ import annotations

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    StopDownload,
)
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from crawler.middlewares import Refused
from crawler.transfer import STOPPED


def original_url(request: scrapy.Request) -> str:
    """The URL the crawl asked for, before any redirect."""
    chain = request.meta.get("redirect_urls") or [request.url]
    return str(chain[0])


def describe_failure(failure: Failure) -> tuple[str, str]:
    """(hint for the tracker, readable message) for a download that produced no response."""
    hint, message = _describe(failure)
    if hint == "too_large":
        # Scrapy words it four ways (Content-Length, decompression, arriving bytes): one prefix.
        message = f"too large: {message}"
    return hint, message


def _describe(failure: Failure) -> tuple[str, str]:
    exc = failure.value
    text = str(exc) or type(exc).__name__
    if isinstance(exc, Refused):
        return exc.hint, text
    request = getattr(failure, "request", None)
    stopped = request.meta.get(STOPPED) if request is not None else None
    if isinstance(exc, StopDownload) and stopped:
        hint, message = stopped
        return str(hint), str(message)
    if isinstance(exc, scrapy.exceptions.IgnoreRequest):
        lowered = text.lower()
        if "robots.txt" in lowered:
            return "robots", text
        if "max size" in lowered or "maxsize" in lowered or "larger than" in lowered:
            return "too_large", text
        if "redirect" in lowered:
            return "too_many_redirects", text
        return "rejected", text
    if isinstance(exc, ResponseFailed):
        reasons = " ".join(repr(r.value) for r in getattr(exc, "reasons", []))
        if "_DataLoss" in reasons or "DataLoss" in reasons:
            return "truncated", f"response body truncated (data loss): {reasons}"
        if "max size" in reasons.lower() or "Cancelling download" in reasons:
            return "too_large", reasons
        return "connection", reasons or text
    if isinstance(exc, TimeoutError | TCPTimedOutError | DownloadTimeoutError):
        return "timeout", text
    if isinstance(exc, DNSLookupError | CannotResolveHostError):
        return "dns", text
    if isinstance(exc, ResponseDataLossError):
        return "truncated", f"response body truncated (data loss): {text}"
    if isinstance(exc, ConnectError | ConnectionLost | DownloadConnectionRefusedError | DownloadFailedError):
        return "connection", text
    if "max size" in text.lower() or "Cancelling download" in text:
        return "too_large", text
    return "error", f"{type(exc).__name__}: {text}"
