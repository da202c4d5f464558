"""``generate(seed)``: a deterministic portal of several sites, its states and the gold events.

State 0 is the initial portal; each next state applies scripted and seeded-random edits
(target values and qualifiers, targets added and removed, metadata, body text, documents
added / removed / restored, attachments replaced), mixed with noise (number rewrites, 繁體
renderings, whitespace and attribute churn, rotating sidebars, chrome redesigns, charset
changes) and faults (500 for a whole state, slow answers, 412 challenges). The gold of each
transition lists the events govwatch should report, and the documents that had noise only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace

from portal.generator import content as corpus
from portal.generator import dialects
from portal.generator.dialects import DIALECTS
from portal.generator.model import (
    Attachment,
    Column,
    Content,
    Doc,
    DocNoise,
    GoldEvent,
    Portal,
    Site,
    SiteState,
    Target,
    Transition,
)

DEFAULT_SITES = 4
DEFAULT_DOCS_PER_SITE = 50
DEFAULT_STATES = 6

FAMILIES = ("hanweb", "trs", "govcn", "news", "cms", "wuxi")
CMS = ("cms-dede", "cms-aspx", "cms-jsp", "cms-php", "cms-jhtml")

LABELS = {
    "index_no": ("索引号", "信息索引号", "索 引 号", "索　引　号"),
    "category": ("主题分类", "主题", "分类"),
    "publisher": ("发文机关", "制发机关", "发布单位", "发布机构"),
    "issued_date": ("成文日期", "发文日期"),
    "doc_number": ("发文字号", "文号", "文件编号"),
    "published_date": ("发布日期", "公开日期"),
    "validity": ("效力状况", "有效性"),
}
META_LAYOUTS = ("td_alt", "th_td", "td_b", "dl", "li_span", "pipe", "wuxi_comment", "lines")
CONTAINERS = (
    "#zoom",
    ".zoom",
    ".bt-content.zoom",
    ".TRS_Editor",
    ".TRS_UEDITOR",
    ".trs_editor_view",
    "#UCAP-CONTENT",
    ".article-con",
    ".wip_art_con",
    ".txt_txt",
    ".ivs_content",
    ".Article_content",
    ".main-txt",
    "markers",
)
TYPICAL = {
    "hanweb": ("markers", "#zoom", ".bt-content.zoom", ".main-txt"),
    "trs": (".TRS_Editor", ".TRS_UEDITOR", ".trs_editor_view"),
    "govcn": ("#UCAP-CONTENT", ".pages_content"),
    "wuxi": ("#zoom", ".zoom", ".txt_txt"),
}
TYPICAL_META = {"govcn": ("td_b",), "wuxi": ("wuxi_comment", "lines"), "hanweb": ("td_alt", "pipe", "th_td")}
VALIDITY_DEAD = ("废止", "失效")

EDIT_KINDS = (
    "target_value",
    "add",
    "validity",
    "qualifier",
    "body",
    "remove",
    "target_add",
    "doc_number",
    "target_remove",
    "restore",
    "title",
    "attachment",
)


def _metadata(
    rng: random.Random, site_code: int, ident: int, publisher: str, date: str, *, prefix: str
) -> tuple[tuple[str, str], ...]:
    y = date[:4]
    number = f"{prefix}〔{y}〕{rng.randint(1, 120)}号" if rng.random() < 0.75 else ""
    return (
        ("index_no", f"{site_code:09d}/{y}-{ident % 100000:05d}"),
        (
            "category",
            rng.choice(("国民经济管理", "城乡建设、环境保护", "综合政务", "科技、教育", "劳动、人事")),
        ),
        ("publisher", publisher),
        ("issued_date", date),
        ("doc_number", number),
        ("published_date", date),
        ("validity", "有效"),
    )


def _date(rng: random.Random, year: int) -> str:
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


class _Builder:
    def __init__(self, seed: int, n_sites: int, docs_per_site: int, n_states: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_states = n_states
        self.docs_per_site = docs_per_site
        self.sites: list[Site] = []
        self.next_ident: dict[int, int] = {}
        self.prefix: dict[int, str] = {}

    # -- state 0 ---------------------------------------------------------------------------------------

    def site(self, index: int, dialect: str) -> Site:
        rng = self.rng
        place = rng.choice(corpus.PLACES)
        name = rng.choice((f"{place}人民政府", f"{place}发展和改革委员会", f"{place}人民政府办公室"))
        n_cols = rng.randint(3, 5)
        others = [c for c in corpus.COLUMN_NAMES if c != corpus.COLUMN_NAMES[1]]
        cols = [corpus.COLUMN_NAMES[1], *rng.sample(others, n_cols - 1)]
        if ("zfgzbg", "政府工作报告") not in cols and rng.random() < 0.5:
            cols[-1] = ("zfgzbg", "政府工作报告")
        base = rng.randint(1000, 9000) * 10
        columns = [Column(base + i, code, cname) for i, (code, cname) in enumerate(dict.fromkeys(cols))]
        labels = {k: rng.choice(v) for k, v in LABELS.items()}
        layout = (
            rng.choice(TYPICAL_META.get(dialect, META_LAYOUTS))
            if rng.random() < 0.6
            else rng.choice(META_LAYOUTS)
        )
        container = (
            rng.choice(TYPICAL.get(dialect, CONTAINERS)) if rng.random() < 0.6 else rng.choice(CONTAINERS)
        )
        if container == "markers" and dialect != "hanweb" and rng.random() < 0.5:
            container = "#zoom"
        ext = dialects.EXTENSIONS[dialect]
        if dialect == "trs":
            ext = rng.choice(("html", "shtml"))
        site = Site(
            index=index,
            dialect=dialect,
            name=name,
            place=place,
            columns=columns,
            docs=[],
            labels=labels,
            meta_layout=layout,
            body_container=container,
            token=dialects.TOKENS[dialect],
            validators=rng.random() < 0.5,
            ext=ext,
            entry_code=base - 1,
            per_page=rng.choice((10, 12, 15, 20)),
            states=[SiteState() for _ in range(self.n_states)],
            date_style=rng.choice(("iso", "iso", "cn", "slash", "short")),
            title_width=rng.choice((0, 0, 18, 24)),
            catalogue=rng.random() < 0.5,
        )
        self.next_ident[index] = (
            rng.randint(100000, 900000) if dialect not in ("wuxi", "govcn") else rng.randint(4000000, 5500000)
        )
        self.prefix[index] = rng.choice(("锡", "常", "钟", "梁", "惠")) + rng.choice(
            ("政发", "政办发", "发改发", "政规")
        )
        return site

    def new_doc(
        self, site: Site, year: int, state: int, kind: str | None = None, column: Column | None = None
    ) -> Doc:
        rng = self.rng
        col = column or rng.choice(site.columns)
        if kind is None:
            plan_share = 0.9 if col.code in ("ghjh", "zfgzbg") else 0.25
            kind = "plan" if rng.random() < plan_share else "notice"
            if kind == "plan" and col.code == "zfgzbg":
                kind = "report"
        self.next_ident[site.index] += rng.randint(1, 40)
        ident = self.next_ident[site.index]
        date = _date(rng, year)
        if state > 0:
            # A page added between two crawls goes up then: it is dated after every page posted
            # before it (two months a state, the drawn day kept), as portals date a posting.
            date = f"{year}-{min(12, 2 * state):02d}-{date[8:]}"
        meta = _metadata(
            rng, 14000000 + site.entry_code, ident, site.name, date, prefix=self.prefix[site.index]
        )
        if kind in ("plan", "report"):
            title = corpus.plan_title(rng, site.place, int(date[:4]), kind)
            body = corpus.plan_content(
                rng, title, meta, place=site.place, year=int(date[:4]), n_targets=rng.randint(6, 14)
            )
        else:
            title = corpus.notice_title(rng, site.place, int(date[:4]))
            body = corpus.notice_content(rng, title, meta, site.name, date)
        path = dialects.detail(site, col, ident, date)
        attachments = []
        n_att = rng.choices((0, 1, 2), (0.55, 0.35, 0.10))[0]
        for n in range(n_att):
            ext = rng.choice(("pdf", "pdf", "doc", "xls"))
            label = {"pdf": title, "doc": f"{title}（政策解读）", "xls": "项目清单"}[ext]
            attachments.append(
                Attachment(dialects.attachment(site, ident, n + 1, ext, date), f"{label}.{ext}", ext)
            )
        k = self.n_states
        doc = Doc(
            site=site.index,
            ident=ident,
            column=col.ident,
            kind=kind,
            path=path,
            date=date,
            attachments=attachments,
            contents=[None] * k,
            status=[404] * k,
            attachment_rev=[0] * k,
            noise=[DocNoise()] * k,
        )
        for s in range(state, k):
            doc.contents[s] = body
            doc.status[s] = 200
        return doc

    def initial(self, n_sites: int, chosen: Sequence[str] | None = None) -> None:
        rng = self.rng
        families = rng.sample(FAMILIES, min(n_sites, len(FAMILIES)))
        while len(families) < n_sites:
            families.append(rng.choice(FAMILIES))
        picked = [rng.choice(CMS) if f == "cms" else f for f in families]
        for i, dialect in enumerate(chosen or picked):
            site = self.site(i, dialect)
            for _ in range(self.docs_per_site):
                site.docs.append(self.new_doc(site, rng.choice((2023, 2024, 2024, 2025)), 0))
            self.sites.append(site)
        # Site-wide presentation over the states: one mislabelled-GBK site throughout, one
        # switching charset midway, chrome redesigns, a 412 challenge in one state.
        gbk = rng.randrange(n_sites)
        switch = rng.randrange(n_sites)
        for site in self.sites:
            redesign = (
                rng.randint(min(2, self.n_states - 1), self.n_states - 1)
                if rng.random() < 0.6
                else self.n_states
            )
            switch_at = rng.randint(1, self.n_states - 1)
            challenge_at = rng.randint(1, self.n_states - 1) if rng.random() < 0.5 else -1
            for s in range(self.n_states):
                encoding = "utf-8"
                if site.index == gbk:
                    encoding = (
                        rng.choice(("gbk-labelled-utf8", "gbk-unlabelled"))
                        if s == 0
                        else site.states[0].encoding
                    )
                elif site.index == switch and s >= switch_at:
                    encoding = "gbk"
                site.states[s] = SiteState(
                    chrome=1 if s >= redesign else 0,
                    encoding=encoding,
                    challenge=s == challenge_at,
                    list_fault="first500" if s > 0 and rng.random() < 0.3 else "",
                )

    # -- transitions -----------------------------------------------------------------------------------

    def transitions(self) -> list[Transition]:
        out = []
        locked: set[tuple[int, str]] = set()  # 500 in the previous state: no edits now
        for k in range(1, self.n_states):
            trans = Transition(k)
            now_locked: set[tuple[int, str]] = set()
            for site in self.sites:
                for doc in site.docs:
                    doc.contents[k] = doc.contents[k - 1]
                    doc.status[k] = doc.status[k - 1]
                    doc.attachment_rev[k] = doc.attachment_rev[k - 1]
                    doc.noise[k] = self._noise(doc, k)
                touched: set[str] = set()
                faults = self._faults(site, k, locked)
                for path, fault in faults.items():
                    d = site.doc_by_path()[path]
                    d.noise[k] = replace(d.noise[k], faults=(fault,))
                    if fault == "500":
                        now_locked.add((site.index, path))
                        trans.faulted.add((site.index, path))
                touched |= set(faults)
                touched |= {p for (s, p) in locked if s == site.index}
                kinds = [EDIT_KINDS[(k * 5 + site.index * 3 + j) % len(EDIT_KINDS)] for j in range(5)]
                kinds += self.rng.choices(EDIT_KINDS, k=self.rng.randint(0, 3))
                for kind in kinds:
                    self._edit(site, k, kind, touched, trans)
            locked = now_locked
            self._traditional_safe(k)
            self._noise_gold(trans, k)
            out.append(trans)
        return out

    def _noise(self, doc: Doc, k: int) -> DocNoise:
        rng = self.rng
        prev = doc.noise[k - 1]
        spelling = prev.spelling
        if rng.random() < 0.3:
            spelling = rng.choice([v for v in range(5) if v != spelling])
        traditional = prev.traditional
        if rng.random() < 0.12:
            traditional = not traditional
        return DocNoise(
            spelling=spelling,
            traditional=traditional,
            whitespace=rng.randrange(4) if rng.random() < 0.25 else prev.whitespace,
            attrs=rng.randrange(4) if rng.random() < 0.25 else prev.attrs,
            sidebar=k,
        )

    def _traditional_safe(self, k: int) -> None:
        """Drop a 繁體 rendering where simplified → traditional → simplified would not give the text back.

        OpenCC's s2t is not always reversible (增长发展 → 增長髮展); a 繁體 switch that mangles
        words is an edit to a reader, not noise.
        """
        from portal.generator.render import roundtrips

        for site in self.sites:
            for doc in site.docs:
                c = doc.contents[k]
                if doc.noise[k].traditional and (c is None or not roundtrips(c)):
                    doc.noise[k] = replace(doc.noise[k], traditional=False)

    def _faults(self, site: Site, k: int, locked: set[tuple[int, str]]) -> dict[str, str]:
        """Documents answering 500 for the whole state ``k`` (never a removal), once, or slowly."""
        rng = self.rng
        live = [d for d in site.docs if d.live(k - 1) and (site.index, d.path) not in locked]
        out: dict[str, str] = {}
        if live and rng.random() < 0.8:
            out[rng.choice(live).path] = "500"
        if live and rng.random() < 0.6:
            slow = rng.choice(live)
            out.setdefault(slow.path, "slow")
        if live and rng.random() < 0.5:
            # 500 on the first request of the state only: a retry gets the page
            out.setdefault(rng.choice(live).path, "first500")
        return out

    def _pick(
        self, site: Site, k: int, touched: set[str], want: Callable[[Doc], bool] | None = None
    ) -> Doc | None:
        candidates = [
            d
            for d in site.docs
            if d.live(k) and d.live(k - 1) and d.path not in touched and (want is None or want(d))
        ]
        if not candidates:
            return None
        doc = self.rng.choice(candidates)
        touched.add(doc.path)
        return doc

    def _edit(self, site: Site, k: int, kind: str, touched: set[str], trans: Transition) -> None:
        rng = self.rng
        ev = trans.events
        s = site.index

        def has_value_targets(d: Doc) -> bool:
            c = d.contents[k]
            return c is not None and any(t.value is not None for t in c.targets())

        if kind in ("target_value", "qualifier", "target_add", "target_remove"):
            doc = self._pick(site, k, touched, has_value_targets)
            if doc is None:
                return
            c = doc.contents[k]
            assert c is not None
            variant = doc.noise[k].spelling
            blocks = list(c.blocks)
            spots = [
                (bi, ti)
                for bi, b in enumerate(blocks)
                if b.kind == "targets"
                for ti, t in enumerate(b.targets)
                if t.value is not None
            ]
            bi, ti = rng.choice(spots)
            block = blocks[bi]
            old = block.targets[ti]
            if kind == "target_value":
                new = replace(old, value=corpus.other_value(rng, old))
                tlist = list(block.targets)
                tlist[ti] = new
                ev.append(
                    GoldEvent(
                        s,
                        doc.path,
                        "target_changed",
                        old.indicator,
                        new=_written(new, variant),
                        old=_written(old, doc.noise[k - 1].spelling),
                    )
                )
            elif kind == "qualifier":
                new = replace(old, qualifier=corpus.other_qualifier(old))
                tlist = list(block.targets)
                tlist[ti] = new
                ev.append(
                    GoldEvent(
                        s,
                        doc.path,
                        "target_changed",
                        old.indicator,
                        new=_written(new, variant),
                        old=_written(old, doc.noise[k - 1].spelling),
                    )
                )
            elif kind == "target_add":
                used = {t.indicator for t in c.targets()}
                unused = [
                    e for e in corpus.VOCABULARY if e[0] not in used and not any(e[0][:4] in u for u in used)
                ]
                key = f"t{len(c.targets()) + 10 * k}"
                new = corpus.make_target(rng, key, rng.choice(unused))
                tlist = list(block.targets)
                tlist.insert(ti + 1, new)
                ev.append(GoldEvent(s, doc.path, "target_added", new.indicator, new=_written(new, variant)))
            else:
                if sum(1 for t in block.targets if t.value is not None) < 2:
                    touched.discard(doc.path)
                    return
                tlist = [t for j, t in enumerate(block.targets) if j != ti]
                ev.append(
                    GoldEvent(
                        s,
                        doc.path,
                        "target_removed",
                        old.indicator,
                        old=_written(old, doc.noise[k - 1].spelling),
                    )
                )
            blocks[bi] = replace(block, targets=tuple(tlist))
            self._set(doc, k, replace(c, blocks=tuple(blocks)))
        elif kind in ("validity", "doc_number", "title"):
            doc = self._pick(
                site,
                k,
                touched,
                lambda d: kind != "validity" or _validity(d.contents[k]) == "有效",
            )
            if doc is None:
                return
            c = doc.contents[k]
            assert c is not None
            meta = c.meta()
            if kind == "validity":
                meta["validity"] = rng.choice(VALIDITY_DEAD)
                ev.append(
                    GoldEvent(s, doc.path, "metadata_changed", field="validity", value=meta["validity"])
                )
                self._set(doc, k, replace(c, metadata=tuple(meta.items())))
            elif kind == "doc_number":
                meta["doc_number"] = f"{self.prefix[s]}〔{doc.date[:4]}〕{rng.randint(121, 199)}号"
                ev.append(
                    GoldEvent(s, doc.path, "metadata_changed", field="doc_number", value=meta["doc_number"])
                )
                self._set(doc, k, replace(c, metadata=tuple(meta.items())))
            else:
                title = (
                    c.title.replace("的通知", "的补充通知") if "的通知" in c.title else c.title + "（修订）"
                )
                ev.append(GoldEvent(s, doc.path, "metadata_changed", field="title", value=title))
                self._set(doc, k, replace(c, title=title))
        elif kind == "body":
            doc = self._pick(site, k, touched)
            current = doc.contents[k] if doc else None
            if doc is None or current is None:
                return
            self._set(doc, k, corpus.edit_prose(rng, current))
            ev.append(GoldEvent(s, doc.path, "content_changed"))
        elif kind == "attachment":
            doc = self._pick(site, k, touched, lambda d: bool(d.attachments))
            if doc is None:
                return
            att = rng.choice(doc.attachments)
            for st in range(k, self.n_states):
                doc.attachment_rev[st] = doc.attachment_rev[k - 1] + 1
            # one revision counter per document: every attachment of it gets new bytes
            for a in doc.attachments:
                ev.append(GoldEvent(s, a.path, "content_changed"))
            del att
        elif kind == "add":
            doc = self.new_doc(site, 2026, k)
            doc.noise = [DocNoise(sidebar=st) for st in range(self.n_states)]
            site.docs.append(doc)
            touched.add(doc.path)
            ev.append(GoldEvent(s, doc.path, "document_added"))
            ev.extend(GoldEvent(s, a.path, "document_added") for a in doc.attachments)
        elif kind == "remove":
            doc = self._pick(site, k, touched)
            if doc is None:
                return
            code = rng.choice((404, 410))
            for st in range(k, self.n_states):
                doc.status[st] = code
                doc.contents[st] = None
            ev.append(GoldEvent(s, doc.path, "document_removed"))
            ev.extend(GoldEvent(s, a.path, "document_removed") for a in doc.attachments)
        elif kind == "restore":
            gone = [
                d
                for d in site.docs
                if d.status[k - 1] in (404, 410)
                and d.path not in touched
                and any(c is not None for c in d.contents[:k])
            ]
            if not gone:
                self._edit(site, k, "remove", touched, trans)
                return
            doc = rng.choice(gone)
            touched.add(doc.path)
            before = next(c for c in reversed(doc.contents[:k]) if c is not None)
            for st in range(k, self.n_states):
                doc.status[st] = 200
                doc.contents[st] = before
            ev.append(GoldEvent(s, doc.path, "document_restored"))
            ev.extend(GoldEvent(s, a.path, "document_restored") for a in doc.attachments)

    def _set(self, doc: Doc, k: int, content: Content) -> None:
        for st in range(k, self.n_states):
            if doc.status[st] == 200:
                doc.contents[st] = content

    def _noise_gold(self, trans: Transition, k: int) -> None:
        changed = trans.changed()
        for site in self.sites:
            prev_site, cur_site = site.states[k - 1], site.states[k]
            for doc in site.docs:
                if not (doc.live(k - 1) and doc.live(k)) or (site.index, doc.path) in changed:
                    continue
                a, b = doc.noise[k - 1], doc.noise[k]
                kinds = ["counter", "clock", "sidebar"]
                if site.token:
                    kinds.append(f"token_{site.token}")
                c = doc.contents[k]
                if c is not None and [t.text(a.spelling) for t in c.targets()] != [
                    t.text(b.spelling) for t in c.targets()
                ]:
                    kinds.append("number_rewrite")
                if a.traditional != b.traditional:
                    kinds.append("traditional")
                if a.whitespace != b.whitespace:
                    kinds.append("whitespace")
                if a.attrs != b.attrs:
                    kinds.append("attributes")
                if prev_site.chrome != cur_site.chrome:
                    kinds.append("chrome")
                if prev_site.encoding != cur_site.encoding:
                    kinds.append("encoding")
                if cur_site.challenge:
                    kinds.append("challenge_412")
                if "500" in b.faults or "500" in a.faults:
                    kinds.append("transient_500")
                if "slow" in b.faults:
                    kinds.append("slow")
                if "first500" in b.faults:
                    kinds.append("retried_500")
                trans.noise[(site.index, doc.path)] = tuple(kinds)
                faults = ["transient_500"] if "500" in b.faults else []
                if cur_site.challenge:
                    faults.append("challenge_412")
                for att in doc.attachments:
                    if (site.index, att.path) not in changed:
                        trans.noise[(site.index, att.path)] = ("unchanged", *faults)


def _validity(content: Content | None) -> str:
    return content.meta()["validity"] if content is not None else ""


def _written(target: Target, variant: int) -> dict[str, object]:
    out = target.gold()
    out["as_written"] = target.text(variant)
    return out


def generate(
    seed: int,
    sites: int = DEFAULT_SITES,
    docs_per_site: int = DEFAULT_DOCS_PER_SITE,
    states: int = DEFAULT_STATES,
    dialects: Sequence[str] | None = None,
) -> Portal:
    """The portal of ``seed``: the same seed always gives the same sites, states and gold.

    ``dialects`` fixes the sites' platforms (one site each, names from ``dialects.DIALECTS``);
    by default the seed draws ``sites`` different platform families.
    """
    if dialects is not None:
        unknown = [d for d in dialects if d not in DIALECTS]
        if unknown or not dialects:
            raise ValueError(f"unknown dialects {unknown}; known: {', '.join(DIALECTS)}")
        sites = len(dialects)
    if sites < 1 or docs_per_site < 1 or states < 2:
        raise ValueError("a portal needs at least one site, one document and two states")
    builder = _Builder(seed, sites, docs_per_site, states)
    builder.initial(sites, dialects)
    trans = builder.transitions()
    return Portal(seed=seed, sites=builder.sites, states=states, transitions=trans)
