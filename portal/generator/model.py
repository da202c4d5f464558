"""What a generated portal is: sites, documents per state, per-state noise and faults, and the gold.

Plain data (no I/O). A ``Portal`` is made by ``portal.generator.build.generate`` and rendered to
bytes by ``portal.generator.render``; every field is fixed by the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portal.generator import quantities

# Kinds of change event the gold lists (the same names govwatch uses).
EVENT_KINDS = (
    "document_added",
    "document_removed",
    "document_restored",
    "target_changed",
    "target_added",
    "target_removed",
    "metadata_changed",
    "content_changed",
)


@dataclass(frozen=True)
class Target:
    """One quantitative (``value`` set) or qualitative commitment of a plan."""

    key: str
    indicator: str
    template: str  # "{i}" = indicator, "{q}" = quantity + qualifier
    value: Decimal | None = None
    unit: str = ""
    qualifier: str = ""

    def text(self, variant: int = 0) -> str:
        if self.value is None:
            return self.template.format(i=self.indicator, q="")
        q = quantities.spelling(self.value, self.unit, variant) + self.qualifier
        return self.template.format(i=self.indicator, q=q)

    def gold(self) -> dict[str, Any]:
        """The quantity as the gold states it: written form and value in base units."""
        out: dict[str, Any] = {"indicator": self.indicator, "text": self.text(0), "qualifier": self.qualifier}
        if self.value is not None:
            based = quantities.base(self.value, self.unit)
            assert based is not None, self.unit
            out.update(value=float(self.value), unit=self.unit, base_value=based[0], base_unit=based[1])
        return out


@dataclass(frozen=True)
class Block:
    """A run of the body: ``heading``, ``prose``, ``targets`` (lead + targets + tail), ``review`` or ``sign``.

    A ``review`` block states last year's results: its figures are not targets.
    """

    kind: str
    text: str = ""
    targets: tuple[Target, ...] = ()
    tail: str = ""


@dataclass(frozen=True)
class Content:
    """One version of a detail page's content (what govwatch should see, noise aside)."""

    title: str
    metadata: tuple[tuple[str, str], ...]  # canonical field -> value ("" = empty)
    blocks: tuple[Block, ...]

    def meta(self) -> dict[str, str]:
        return dict(self.metadata)

    def targets(self) -> list[Target]:
        return [t for b in self.blocks if b.kind == "targets" for t in b.targets]


@dataclass(frozen=True)
class Attachment:
    path: str
    name: str
    ext: str  # pdf | doc | xls


@dataclass(frozen=True)
class DocNoise:
    """Between-state renderings of one document that are not changes."""

    spelling: int = 0  # which equal spelling of each quantity
    traditional: bool = False  # the site's 繁體 rendering
    whitespace: int = 0
    attrs: int = 0
    sidebar: int = 0  # which related-documents list is shown
    faults: tuple[str, ...] = ()  # "500" (whole state), "slow"


@dataclass
class Doc:
    site: int
    ident: int
    column: int
    kind: str  # plan | report | notice
    path: str  # canonical path (+ query) on the site, without volatile parameters
    date: str  # YYYY-MM-DD
    attachments: list[Attachment]
    contents: list[Content | None]  # per state; None when the page is not served
    status: list[int]  # per state: 200, 404 (never existed yet or removed), 410
    attachment_rev: list[int]  # per state: revision of the attachment bytes
    noise: list[DocNoise]

    def live(self, state: int) -> bool:
        return self.status[state] == 200


@dataclass(frozen=True)
class Column:
    ident: int
    code: str  # short path segment (zcwj, ghjh ...)
    name: str  # 政策文件, 规划计划 ...


@dataclass(frozen=True)
class SiteState:
    """Site-wide presentation and faults in one state."""

    chrome: int = 0  # header / nav / footer design
    encoding: str = "utf-8"  # utf-8 | gbk-labelled-utf8 | gbk-unlabelled | gbk
    challenge: bool = False  # 412 JS-cookie interstitial before detail pages
    list_fault: str = ""  # a list page answering 500 on its first request


@dataclass
class Site:
    index: int
    dialect: str  # hanweb | trs | govcn | news | cms-dede | cms-aspx | cms-jsp | cms-php | cms-jhtml | wuxi
    name: str  # the publishing government
    place: str
    columns: list[Column]
    docs: list[Doc]
    labels: dict[str, str]  # canonical metadata field -> this site's label
    meta_layout: str
    body_container: str
    token: str  # volatile parameter carried in links ("" for none)
    validators: bool  # ETag / Last-Modified and real 304s
    ext: str  # html | shtml | htm ...
    entry_code: int
    per_page: int
    states: list[SiteState]

    def doc_by_path(self) -> dict[str, Doc]:
        return {d.path: d for d in self.docs}


@dataclass(frozen=True)
class GoldEvent:
    site: int
    path: str
    kind: str
    indicator: str | None = None
    new: dict[str, Any] | None = None
    old: dict[str, Any] | None = None
    field: str | None = None
    value: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"site": self.site, "path": self.path, "kind": self.kind}
        for name in ("indicator", "new", "old", "field", "value"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass
class Transition:
    """Gold for the change from state ``state - 1`` to ``state``."""

    state: int
    events: list[GoldEvent] = field(default_factory=list)
    noise: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)  # noise-only documents
    faulted: set[tuple[int, str]] = field(default_factory=set)  # 500 for the whole state

    def changed(self) -> set[tuple[int, str]]:
        return {(e.site, e.path) for e in self.events}


@dataclass
class Portal:
    seed: int
    sites: list[Site]
    states: int
    transitions: list[Transition]  # transitions[k - 1] is state k - 1 -> k

    def documents(self, state: int) -> list[tuple[int, str]]:
        """Every detail page and attachment served (200) in ``state``, as (site, path)."""
        out: list[tuple[int, str]] = []
        for site in self.sites:
            for doc in site.docs:
                if doc.live(state):
                    out.append((site.index, doc.path))
                    out.extend((site.index, a.path) for a in doc.attachments)
        return out

    def find(self, site: int, path: str) -> tuple[Doc, Attachment | None] | None:
        """The document at ``path`` (with the attachment, when the path is one of its files)."""
        for doc in self.sites[site].docs:
            if doc.path == path:
                return doc, None
            for att in doc.attachments:
                if att.path == path:
                    return doc, att
        return None

    def gold_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "states": self.states,
            "sites": [{"index": s.index, "dialect": s.dialect, "name": s.name} for s in self.sites],
            "documents": {str(k): [list(d) for d in self.documents(k)] for k in range(self.states)},
            "transitions": [
                {
                    "state": t.state,
                    "events": [e.as_json() for e in t.events],
                    "noise_only": [[s, p, list(kinds)] for (s, p), kinds in sorted(t.noise.items())],
                    "faulted": sorted([s, p] for s, p in t.faulted),
                }
                for t in self.transitions
            ],
        }
