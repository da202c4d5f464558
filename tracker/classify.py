"""Fetch classification: what one response means before any content is compared (pure)."""

from __future__ import annotations

from tracker.models import FetchOutcome
from tracker.page import PageFetch

BLOCKED_HINTS = frozenset({"blocked", "challenge", "captcha"})
REJECTED_HINTS = frozenset(
    {"too_large", "offsite", "rejected", "bad_scheme", "redirect_loop", "too_many_redirects"}
)
TRANSIENT_HINTS = frozenset({"truncated", "timeout", "dns", "connection", "error"})
# Anti-bot interstitials: 412 and 521 are the JS-challenge statuses of the common Chinese WAFs.
BLOCKED_STATUSES = frozenset({403, 412, 521})
GONE_STATUSES = frozenset({404, 410})


def classify(page: PageFetch) -> FetchOutcome | None:
    """The outcome decided by status and hint alone, or None for a 2xx body whose content decides.

    Only 404 and 410 mean gone: a 5xx, a timeout or an anti-bot page never removes a document.
    """
    hint = (page.hint or "").lower()
    if hint in BLOCKED_HINTS:
        return FetchOutcome.BLOCKED
    if hint in REJECTED_HINTS:
        return FetchOutcome.REJECTED
    if hint in TRANSIENT_HINTS or page.status is None:
        return FetchOutcome.TRANSIENT_ERROR
    status = page.status
    if status == 304:
        return FetchOutcome.NOT_MODIFIED
    if status in GONE_STATUSES:
        return FetchOutcome.GONE
    if status in BLOCKED_STATUSES:
        return FetchOutcome.BLOCKED
    if 300 <= status < 400:
        return FetchOutcome.REJECTED  # a redirect the fetch layer chose not to follow
    if not 200 <= status < 300:
        return FetchOutcome.TRANSIENT_ERROR  # 5xx, 429 and other 4xx: try again next time
    if page.is_attachment:
        return FetchOutcome.NOT_A_PAGE
    return None
