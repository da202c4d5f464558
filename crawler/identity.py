"""One identity per document: the canonical URL a document is keyed, deduplicated and revisited by.

Pure functions. A link is requested as the page wrote it (some servers want their token back), but
the document it leads to is known by its canonical URL: w3lib's canonical form (scheme and host
case, percent-encoding, sorted query, no fragment), no default port, and without the parameters
that say who is visiting rather than what is shown: session ids (also ``;jsessionid=`` in the
path), visitor and tracking tokens, cache-busting clocks, plus whatever a source was seen to
change between two fetches of the same list page (``volatile``, learned per source). A parameter
that selects the document (``id``, ``docid``, ``catid`` ...) is never removed, whatever was learned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that carry a session, a visitor or a tracking campaign, or defeat caches: never content.
SESSION_PARAMETERS = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "aspsessionid",
        "sessionid",
        "session_id",
        "sid",
        "uid",
        "token",
        "_t",
        "t",
        "ts",
        "timestamp",
        "_",
        "rand",
        "random",
        "rnd",
        "r",
        "nocache",
        "spm",
        "fbclid",
        "gclid",
        "from_uid",
    }
)
TRACKING_PREFIXES = ("utm_",)
# Parameters that choose which document a dynamic page shows: removing one merges documents.
DOCUMENT_PARAMETERS = frozenset(
    {
        "id",
        "aid",
        "cid",
        "nid",
        "pid",
        "tid",
        "wid",
        "articleid",
        "catid",
        "classid",
        "channelid",
        "columnid",
        "contentid",
        "docid",
        "fileid",
        "infoid",
        "itemid",
        "newsid",
        "guid",
        "uuid",
        "m",
        "c",
        "a",
        "code",
        "xxid",
        "p",
    }
)
_PATH_SESSION_RE = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#;]*", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_document_parameter(name: str) -> bool:
    """A parameter that selects the document: ``id`` and every ``…id`` that is not a session id."""
    lowered = name.lower()
    if lowered in SESSION_PARAMETERS:
        return False
    return lowered in DOCUMENT_PARAMETERS or lowered.endswith("id")


def is_session_parameter(name: str) -> bool:
    """A parameter that never changes what a page shows (session, visitor, tracking, cache-buster)."""
    lowered = name.lower()
    return lowered in SESSION_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def query_names(url: str) -> list[str]:
    """The query parameter names of ``url``, in order, with repeats."""
    return [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


def canonical_url(url: str, volatile: Iterable[str] = ()) -> str:
    """The document identity of ``url``; ``volatile`` names parameters learned to change per visit.

    Idempotent: ``canonical_url(canonical_url(u, v), v) == canonical_url(u, v)``.
    """
    learned = {name.lower() for name in volatile}
    drop = sorted(
        {
            name
            for name in query_names(url)
            if not is_document_parameter(name) and (is_session_parameter(name) or name.lower() in learned)
        }
    )
    parts = urlsplit(url)
    path = _PATH_SESSION_RE.sub("", parts.path)
    netloc = parts.netloc
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme.lower()) == parts.port:
        netloc = netloc.rsplit(":", 1)[0]
    cleaned = urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    if drop:
        cleaned = url_query_cleaner(cleaned, drop, remove=True, unique=False, keep_fragments=False)
    return canonicalize_url(cleaned, keep_fragments=False)


def skeleton(url: str) -> tuple[str, tuple[str, ...]]:
    """(the URL without its query values, the parameter names): what stays when only values change."""
    parts = urlsplit(canonicalize_url(url))
    names = tuple(sorted(set(query_names(url))))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), names


def changed_parameters(before: str, after: str) -> set[str]:
    """Names of the parameters whose value differs between two links with the same skeleton.

    Empty when the links differ in anything else (path, host, which parameters they carry).
    """
    if skeleton(before) != skeleton(after):
        return set()
    old = dict(parse_qsl(urlsplit(before).query, keep_blank_values=True))
    new = dict(parse_qsl(urlsplit(after).query, keep_blank_values=True))
    return {name for name in old if old[name] != new.get(name)}
