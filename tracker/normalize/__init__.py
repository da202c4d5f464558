"""Page normalisation: raw bytes of a disclosure page in, a comparable ``Snapshot`` dict out.

Public contract (used by tracker.record, the crawler and the CLI):

- ``normalize(body, url=None, headers=None) -> NormalizedPage``: pure, deterministic.
  Raises a ``NormalizeError`` subclass (``EmptyBody``, ``NotHtml``, ``TooLarge``,
  ``Undecodable``) for input that is not a page; never invents a document.
- ``NormalizedPage.snapshot``: the JSON-able dict of DESIGN.md
  (title, metadata, targets, paragraphs, normalizer); ``.fingerprint``: sha256 hex of
  exactly the content a reader would call content.
- ``fingerprint(snapshot) -> str`` recomputes it from a stored snapshot.
- ``NORMALIZER_VERSION``: bumped whenever the output for some input changes.
"""

from tracker.normalize.pipeline import (
    NORMALIZER_VERSION,
    EmptyBody,
    NormalizedPage,
    NormalizeError,
    NotHtml,
    TooLarge,
    Undecodable,
    fingerprint,
    normalize,
)

__all__ = [
    "NORMALIZER_VERSION",
    "EmptyBody",
    "NormalizeError",
    "NormalizedPage",
    "NotHtml",
    "TooLarge",
    "Undecodable",
    "fingerprint",
    "normalize",
]
