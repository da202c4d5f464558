"""The normaliser's typed errors: input that is not a page it can turn into a document."""

from __future__ import annotations


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


class ExtractionFailed(NormalizeError):
    """The page parsed but a later extraction step failed on it (a defect to fix, not bad input)."""

    reason = "extraction_failed"


class NoContent(NormalizeError):
    """An HTML page without any body text (a bare frame, a redirect stub, an error shell)."""

    reason = "no_content"
