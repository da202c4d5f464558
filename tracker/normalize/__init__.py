"""Page normalisation: raw bytes of a disclosure page in, a comparable ``Snapshot`` dict out.

Public contract (used by tracker.record, the crawler and the CLI):

- ``normalize(body, url=None, headers=None) -> NormalizedPage``: pure, deterministic.
  Raises a ``NormalizeError`` subclass (``EmptyBody``, ``NotHtml``, ``TooLarge``,
  ``Undecodable``, ``NoContent``) for input that is not a page, and ``ExtractionFailed``
  when a later step has a defect on a real page; never invents a document.
- ``NormalizedPage.snapshot``: the JSON-able dict described in docs/architecture.md
  (title, metadata, targets, paragraphs, normalizer); ``.fingerprint``: sha256 hex of
  exactly the content a reader would call content.
- ``fingerprint(snapshot) -> str`` recomputes it from a stored snapshot.
- ``NORMALIZER_VERSION``: bumped whenever the output for some input changes.
- ``snapshot["damaged"]``: indexes of paragraphs kept as captured because their bytes were
  too garbled to repair (misdecoded GBK, replacement characters); not part of the fingerprint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.normalize.errors import (
        EmptyBody,
        ExtractionFailed,
        NoContent,
        NormalizeError,
        NotHtml,
        TooLarge,
        Undecodable,
    )
    from tracker.normalize.pipeline import (
        MAX_BODY_BYTES,
        NormalizedPage,
        fingerprint,
        normalize,
    )
    from tracker.normalize.version import NORMALIZER_VERSION

# Loaded on first use (PEP 562): a process that only decodes (the crawler's list pages) or
# compares raw bodies never imports the whole pipeline.
_HOMES = {
    "EmptyBody": "errors",
    "ExtractionFailed": "errors",
    "NoContent": "errors",
    "NormalizeError": "errors",
    "NotHtml": "errors",
    "TooLarge": "errors",
    "Undecodable": "errors",
    "MAX_BODY_BYTES": "pipeline",
    "NORMALIZER_VERSION": "version",
    "NormalizedPage": "pipeline",
    "fingerprint": "pipeline",
    "normalize": "pipeline",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_BODY_BYTES",
    "NORMALIZER_VERSION",
    "EmptyBody",
    "ExtractionFailed",
    "NoContent",
    "NormalizeError",
    "NormalizedPage",
    "NotHtml",
    "TooLarge",
    "Undecodable",
    "fingerprint",
    "normalize",
]
