"""Link URLs (pure): absolute and fragment-free, http(s) only, on the source's allowed hosts."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit, urlunsplit

_SKIPPED_HREFS = ("javascript:", "#", "mailto:", "tel:", "data:")


def is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def host_allowed(url: str, allowed_hosts: Iterable[str]) -> bool:
    return is_http(url) and host_of(url) in set(allowed_hosts)


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def join(base_url: str, href: str) -> str | None:
    """The absolute URL of ``href`` (fragment dropped), None for script, mail and in-page links."""
    href = href.strip()
    if not href or href.lower().startswith(_SKIPPED_HREFS):
        return None
    return strip_fragment(urljoin(base_url, href))
