"""Learning which query parameters of a source change per visit, and remembering them.

A list page whose document links carry a parameter the crawler knows nothing about (neither a
session/tracking name nor a document-selecting one) is fetched a second time. A parameter whose
value differs between the two fetches while the rest of the link stays the same is volatile: it
is left out of the source's canonical URLs from then on, and kept in the database
(``tracker.store``) so the next crawl knows it from the start. One that stays the same is kept
in the identity for this crawl.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from crawler import identity
from crawler.paging import PAGE_PARAMETERS

# A session id, a visitor hash or a clock: long hex, or a number of ten digits and more.
_TOKEN_VALUE_RE = re.compile(r"^(?=.*\d)[0-9a-fA-F]{12,}$|^\d{10,}$|^[A-Za-z0-9_\-]{24,}$")

log = logging.getLogger(__name__)


class Memory(Protocol):
    def load(self, source: str) -> set[str]: ...
    def save(self, source: str, learned: dict[str, str]) -> None: ...


class NoMemory:
    """Learning within one crawl only (dry runs, tests, ``sources --discover``)."""

    def load(self, source: str) -> set[str]:
        return set()

    def save(self, source: str, learned: dict[str, str]) -> None:
        return None


class DatabaseMemory:
    """The learned parameters of each source in the crawl's database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def load(self, source: str) -> set[str]:
        from tracker import store
        from tracker.db import session_factory, session_scope

        with session_scope(session_factory(self.db_url)) as session:
            return store.volatile_parameters(session, source)

    def save(self, source: str, learned: dict[str, str]) -> None:
        from tracker import store
        from tracker.db import session_factory, session_scope

        with session_scope(session_factory(self.db_url)) as session:
            store.learn_volatile_parameters(session, source, learned)


class VolatileParameters:
    """What one crawl of one source knows about its query parameters."""

    def __init__(self, learned: Iterable[str] = ()) -> None:
        self.volatile: set[str] = {name.lower() for name in learned}
        self.stable: set[str] = set()
        self.new: dict[str, str] = {}  # learned in this crawl: name -> list page that showed it

    def canonical(self, url: str) -> str:
        return identity.canonical_url(url, self.volatile)

    def list_key(self, url: str) -> str:
        """Which list page ``url`` is, before its parameters were compared.

        Menus on every page repeat the column links with a fresh token each time: a parameter
        whose value looks like a token (long hex, a clock) is left out of the key of a list page
        at once, so the column is not fetched once per token. Documents wait for the comparison.
        """
        tokens = {
            name
            for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)
            if _TOKEN_VALUE_RE.match(value)
            and not identity.is_document_parameter(name)
            and name.lower() not in PAGE_PARAMETERS
        }
        return identity.canonical_url(url, self.volatile | tokens)

    def undecided(self, urls: Iterable[str]) -> set[str]:
        """Parameters of ``urls`` that could be per-visit tokens and were never compared."""
        names: set[str] = set()
        for url in urls:
            for name in identity.query_names(url):
                lowered = name.lower()
                if (
                    identity.is_document_parameter(name)
                    or identity.is_session_parameter(name)
                    or lowered in self.volatile
                    or lowered in self.stable
                ):
                    continue
                names.add(lowered)
        return names

    def compare(
        self, first: Sequence[tuple[str, str]], second: Sequence[tuple[str, str]], names: set[str], page: str
    ) -> set[str]:
        """Learn from two fetches of one list page (``(url, anchor text)`` of each document link).

        Returns the parameters learned volatile; the other ``names`` are stable for this crawl.
        """
        again: dict[tuple[Any, str], list[str]] = defaultdict(list)
        for url, text in second:
            again[(identity.skeleton(url), text)].append(url)
        changed: set[str] = set()
        for url, text in first:
            matches = again.get((identity.skeleton(url), text))
            if matches:
                changed |= {n.lower() for n in identity.changed_parameters(url, matches.pop(0))}
        learned = {n for n in changed & names if not identity.is_document_parameter(n)}
        for name in sorted(learned):
            self.volatile.add(name)
            self.new.setdefault(name, page)
            log.info("query parameter %r changes per visit on %s: left out of document URLs", name, page)
        self.stable |= names - learned
        return learned
