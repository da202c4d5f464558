"""A stored raw page made safe to show in the version view's sandboxed frame (pure).

The frame is ``sandbox=""`` (no scripts, an opaque origin) and inherits the page's strict
Content-Security-Policy, but Chromium was seen fetching a captured page's stylesheet and image
under load before the inherited policy applied. So the markup is also cleaned by an allowlist
sanitizer (nh3, Ammonia) first: text and structure stay, anything that could load or run —
scripts, styles, images, frames, forms, URLs in any attribute — does not.
"""

from __future__ import annotations

from collections.abc import Mapping

import nh3

from tracker.normalize.decode import decode

# Structure and text only: no img/area/map (they load or link), no attributes that hold URLs.
TAGS = frozenset(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
ATTRIBUTES = {"*": {"class", "id", "colspan", "rowspan", "align", "title", "lang"}}


def safe_capture(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """The page's markup without anything active or remote, for ``<iframe sandbox srcdoc>``."""
    text = decode(body, headers).text
    return nh3.clean(
        text, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(), link_rel=None, strip_comments=True
    )
