"""Accuracy on generated portals: crawl every state with the real CLI and score against the gold.

Usage: ``python bench/accuracy.py [--seeds 1,2,3] [--entry home|columns] [--docs-per-site 50]
[--normalize] [--json]``

Per seed: generate and serve the portal (``portal.generator``), write a ``govwatch.toml`` with one
source per site (start_urls = the site's home page, or with ``--entry columns`` its column list
pages; ``allowed_hosts = ["127.0.0.1"]``, ``download_delay = 0``, ``allow_private_addresses = true``)
and a fresh SQLite database, then for each state: switch the portal, ``govwatch crawl --config …
--json``, and read the new events of ``govwatch changes --json``. Scores:

- discovery: share of state 0's documents and attachments the first crawl announced (``document_added``);
- document-level change P/R/F1 over (document, transition) pairs: changed = at least one event;
- false alarms: noise-only document-transitions that got an event, by noise kind;
- false removals: ``document_removed`` of a document that was only faulty (500, 412) or noisy;
- target events P/R: matched on document, kind, indicator and quantity (see ``indicator_matches``
  and ``quantity_matches``); metadata events P/R: document and new value.

``--normalize`` also runs ``govwatch normalize --json`` over the generated plan pages and scores
the extracted quantitative targets (last year's results listed as targets are false positives).
Tune on seeds 1..29; report on held-out seeds 106..110 (101..105 have been looked at;
docs/benchmarks.md). Exit status 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import opencc  # noqa: E402

from portal.generator import GeneratedPortal, quantities, render, route_key  # noqa: E402  # noqa: E402
from portal.generator.model import GoldEvent, Portal  # noqa: E402

TARGET_KINDS = ("target_changed", "target_added", "target_removed")
DOC_KINDS = ("document_added", "document_removed", "document_restored")
PER_REQUEST = ("counter", "clock", "sidebar", "unchanged")
_T2S = opencc.OpenCC("t2s")
_PUNCT = str.maketrans("", "", " \u3000\t\n，,。：:；;、（）()“”\"'")


def norm(text: str | None) -> str:
    return _T2S.convert(text or "").translate(_PUNCT)


def indicator_matches(gold: str, event: dict[str, Any]) -> bool:
    """The rule: the gold indicator and the event's indicator contain one another, or the gold
    indicator occurs in the event's quoted target text (``new.text`` / ``old.text``)."""
    g = norm(gold)
    details = event.get("details") or {}
    e = norm(details.get("indicator"))
    if e and len(e) >= 2 and (g in e or e in g):
        return True
    for side in ("new", "old"):
        q = details.get(side) or {}
        if isinstance(q, dict) and g and g in norm(q.get("text")):
            return True
    return False


def event_base(q: dict[str, Any] | None) -> tuple[float, str] | None:
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    unit = str(q.get("unit") or "")
    return quantities.base(q["value"], unit)


def quantity_matches(gold: dict[str, Any] | None, q: dict[str, Any] | None, qualifier: bool) -> bool:
    """Same base unit and value within 1e-6 (relative); the qualifier too when that is what changed."""
    if gold is None or "base_value" not in gold:
        return False
    based = event_base(q)
    if based is None:
        return False
    value, unit = based
    if unit != gold["base_unit"] or abs(value - gold["base_value"]) > 1e-6 * max(
        1.0, abs(gold["base_value"])
    ):
        return False
    if qualifier:
        return (q or {}).get("qualifier") in (
            gold["qualifier"],
            None if not gold["qualifier"] else gold["qualifier"],
        )
    return True


def target_event_matches(g: GoldEvent, e: dict[str, Any]) -> bool:
    if e["kind"] != g.kind or not indicator_matches(g.indicator or "", e):
        return False
    details = e.get("details") or {}
    if g.kind == "target_removed":
        return quantity_matches(g.old, details.get("old"), False)
    qualifier_change = bool(g.old and g.new and g.old.get("base_value") == g.new.get("base_value"))
    return quantity_matches(g.new, details.get("new"), qualifier_change)


def metadata_event_matches(g: GoldEvent, e: dict[str, Any]) -> bool:
    if e["kind"] != "metadata_changed":
        return False
    new = norm(str((e.get("details") or {}).get("new") or ""))
    return bool(new) and norm(g.value) == new


@dataclass
class PR:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: PR) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    def json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class Score:
    discovery_found: int = 0
    discovery_total: int = 0
    discovery_attachments_found: int = 0
    discovery_attachments_total: int = 0
    extra_pages: int = 0  # documents recorded that are not gold documents (lists, home pages ...)
    documents: PR = field(default_factory=PR)
    targets: PR = field(default_factory=PR)
    metadata: PR = field(default_factory=PR)
    doc_events: PR = field(default_factory=PR)
    noise_total: Counter[str] = field(default_factory=Counter)
    false_alarms: Counter[str] = field(default_factory=Counter)
    # the only between-state noise of the document-transition ("per-request only" when none)
    sole_total: Counter[str] = field(default_factory=Counter)
    sole_alarms: Counter[str] = field(default_factory=Counter)
    false_alarm_docs: int = 0
    noise_docs: int = 0
    false_removals: int = 0
    false_removals_faulted: int = 0
    faulted_docs: int = 0
    events_on_other_pages: int = 0
    crawl_seconds: float = 0.0
    crawl_exit_codes: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, o: Score) -> None:
        for name in (
            "discovery_found",
            "discovery_total",
            "discovery_attachments_found",
            "discovery_attachments_total",
            "extra_pages",
            "false_alarm_docs",
            "noise_docs",
            "false_removals",
            "false_removals_faulted",
            "faulted_docs",
            "events_on_other_pages",
            "crawl_seconds",
        ):
            setattr(self, name, getattr(self, name) + getattr(o, name))
        for name in ("documents", "targets", "metadata", "doc_events"):
            getattr(self, name).add(getattr(o, name))
        self.noise_total.update(o.noise_total)
        self.false_alarms.update(o.false_alarms)
        self.sole_total.update(o.sole_total)
        self.sole_alarms.update(o.sole_alarms)
        self.crawl_exit_codes += o.crawl_exit_codes
        self.examples += o.examples[: max(0, 12 - len(self.examples))]

    def json(self) -> dict[str, Any]:
        return {
            "discovery": _ratio(self.discovery_found, self.discovery_total),
            "discovery_found": self.discovery_found,
            "discovery_total": self.discovery_total,
            "discovery_attachments": _ratio(
                self.discovery_attachments_found, self.discovery_attachments_total
            ),
            "extra_pages_recorded": self.extra_pages,
            "documents": self.documents.json(),
            "false_alarm_documents": self.false_alarm_docs,
            "noise_only_documents": self.noise_docs,
            "false_alarms_by_noise_kind": {
                k: [self.false_alarms[k], self.noise_total[k]] for k in sorted(self.noise_total)
            },
            "false_alarms_by_sole_noise_kind": {
                k: [self.sole_alarms[k], self.sole_total[k]] for k in sorted(self.sole_total)
            },
            "false_removals": self.false_removals,
            "false_removals_under_faults": self.false_removals_faulted,
            "faulted_documents": self.faulted_docs,
            "events_on_other_pages": self.events_on_other_pages,
            "target_events": self.targets.json(),
            "metadata_events": self.metadata.json(),
            "document_events": self.doc_events.json(),
            "crawl_seconds": round(self.crawl_seconds, 1),
            "crawl_exit_codes": self.crawl_exit_codes,
            "examples": self.examples,
        }


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def config_text(gp: GeneratedPortal, entry: str) -> str:
    out = ['[settings]\ncontact = "mailto:bench@govwatch.invalid"\n']
    for server in gp.servers:
        site = server.site
        urls = [gp.home_urls()[site.index]] if entry == "home" else gp.column_urls(site.index)
        out.append(
            f"""[[source]]
name = "site{site.index}-{site.dialect}"
start_urls = {json.dumps(urls)}
allowed_hosts = ["127.0.0.1"]
download_delay = 0
allow_private_addresses = true
"""
        )
    return "\n".join(out)


def _govwatch(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the real CLI; a hung command counts as exit code -1 (the measurement goes on)."""
    try:
        return subprocess.run(
            ["govwatch", *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return subprocess.CompletedProcess(["govwatch", *args], -1, out, "timed out")


def _events(env: dict[str, str]) -> list[dict[str, Any]]:
    done = _govwatch("changes", "--json", env=env)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]


def doc_key(gp: GeneratedPortal, url: str) -> tuple[int, str] | None:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
        return None
    site = gp.site_of_port(parts.port)
    if site is None:
        return None
    return site, route_key(parts.path + ("?" + parts.query if parts.query else ""))


def gold_key(site: int, path: str) -> tuple[int, str]:
    """A gold document as crawled documents are keyed (``doc_key``): the query sorted, as in
    every canonical URL (``index.php?m=content&c=index&a=show&id=1`` is ``?a=show&c=index…``)."""
    return site, route_key(path)


def score_transition(
    portal: Portal,
    k: int,
    events: list[dict[str, Any]],
    gp: GeneratedPortal,
    score: Score,
    only_site: int | None = None,
) -> None:
    """Add transition ``k``'s figures to ``score`` (only one site's documents with ``only_site``)."""
    trans = portal.transitions[k - 1]
    by_doc: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        key = doc_key(gp, e.get("url", ""))
        if key is not None and only_site in (None, key[0]):
            by_doc[key].append(e)
    gold_by_doc: dict[tuple[int, str], list[GoldEvent]] = defaultdict(list)
    for g in trans.events:
        if only_site in (None, g.site):
            gold_by_doc[gold_key(g.site, g.path)].append(g)
    noise = {gold_key(*key): kinds for key, kinds in trans.noise.items() if only_site in (None, key[0])}
    changed = set(gold_by_doc)
    for key, evs in by_doc.items():
        if key not in changed and key not in noise:
            score.events_on_other_pages += len(evs)
            if len(score.examples) < 12:
                score.examples.append(
                    f"state {k} {evs[0]['kind']} {evs[0]['url']} (not a document of both states)"
                )
    universe = changed | set(noise) | set(by_doc)
    for key in universe:
        got = bool(by_doc.get(key))
        want = key in changed
        if got and want:
            score.documents.tp += 1
        elif got:
            score.documents.fp += 1
        elif want:
            score.documents.fn += 1
    for key, kinds in noise.items():
        score.noise_docs += 1
        score.noise_total.update(kinds)
        evs = by_doc.get(key, [])
        between = [k_ for k_ in kinds if k_ not in PER_REQUEST and not k_.startswith("token_")]
        sole = between[0] if len(between) == 1 else ("per-request only" if not between else "")
        if sole:
            score.sole_total[sole] += 1
            score.sole_alarms[sole] += bool(evs)
        faulty = any(k_ in kinds for k_ in ("transient_500", "retried_500", "challenge_412"))
        if faulty:
            score.faulted_docs += 1
        if evs:
            score.false_alarm_docs += 1
            score.false_alarms.update(kinds)
            if len(score.examples) < 12:
                e = evs[0]
                score.examples.append(
                    f"state {k} {e['kind']} {e['url']} noise={','.join(kinds)} "
                    + json.dumps(e.get("details"), ensure_ascii=False)[:160]
                )
        removals = sum(1 for e in evs if e["kind"] == "document_removed")
        score.false_removals += removals
        if faulty:
            score.false_removals_faulted += removals
    # events matched one to one, per document
    for key in universe:
        gold = gold_by_doc.get(key, [])
        evs = list(by_doc.get(key, []))
        for kinds, pr, match in (
            (TARGET_KINDS, score.targets, target_event_matches),
            (("metadata_changed",), score.metadata, metadata_event_matches),
            (DOC_KINDS, score.doc_events, lambda g, e: e["kind"] == g.kind),
        ):
            pool = [e for e in evs if e["kind"] in kinds]
            for g in (g for g in gold if g.kind in kinds):
                hit = next((e for e in pool if match(g, e)), None)
                if hit is None:
                    pr.fn += 1
                else:
                    pr.tp += 1
                    pool.remove(hit)
            pr.fp += len(pool)


def run_seed(
    seed: int, entry: str, docs_per_site: int, sites: int, verbose: bool, keep: Path | None = None
) -> tuple[Score, dict[str, Score]]:
    """Crawl every state of seed's portal; the figures overall and per site (by dialect).

    With ``keep``, the sources file, the database and the gold stay in ``keep/seed-N/``."""
    score = Score()
    per_site: dict[int, Score] = defaultdict(Score)
    with (
        tempfile.TemporaryDirectory(prefix=f"govwatch-accuracy-{seed}-") as scratch,
        GeneratedPortal(seed=seed, sites=sites, docs_per_site=docs_per_site) as gp,
    ):
        tmp = str(keep / f"seed-{seed}") if keep else scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        for stale in Path(tmp).glob("govwatch.db*"):
            stale.unlink()
        if keep:
            gold = json.dumps(gp.portal.gold_json(), ensure_ascii=False, indent=1)
            (Path(tmp) / "gold.json").write_text(gold, encoding="utf-8")
        cfg = Path(tmp) / "govwatch.toml"
        cfg.write_text(config_text(gp, entry), encoding="utf-8")
        env = {
            **os.environ,
            "GOVWATCH_DATABASE_URL": f"sqlite:///{Path(tmp) / 'govwatch.db'}",
            "GOVWATCH_CONFIG": str(cfg),
        }
        portal = gp.portal
        seen = 0
        for k in range(portal.states):
            gp.set_state(k)
            started = time.monotonic()
            done = _govwatch("crawl", "--config", str(cfg), "--json", env=env)
            score.crawl_seconds += time.monotonic() - started
            score.crawl_exit_codes.append(done.returncode)
            if verbose:
                print(
                    f"  seed {seed} state {k}: crawl exit {done.returncode}"
                    f" in {time.monotonic() - started:.1f}s",
                    file=sys.stderr,
                )
                if done.returncode not in (0, 4):
                    print(done.stderr[-2000:], file=sys.stderr)
            events = _events(env)
            new = [e for e in events if int(e.get("id", 0)) > seen]
            seen = max([seen, *(int(e.get("id", 0)) for e in events)])
            if k == 0:
                found = {doc_key(gp, e["url"]) for e in new if e["kind"] == "document_added"}
                for target, only in ((score, None), *((per_site[s.index], s.index) for s in portal.sites)):
                    _discovery(portal, found, target, only)
            else:
                score_transition(portal, k, new, gp, score)
                for site in portal.sites:
                    score_transition(portal, k, new, gp, per_site[site.index], only_site=site.index)
    return score, {f"{s.index}:{s.dialect}": per_site[s.index] for s in portal.sites}


def _discovery(
    portal: Portal, found: set[tuple[int, str] | None], score: Score, only_site: int | None
) -> None:
    gold = {gold_key(*d) for d in portal.documents(0) if only_site in (None, d[0])}
    attachments = {
        gold_key(s.index, a.path)
        for s in portal.sites
        if only_site in (None, s.index)
        for d in s.docs
        if d.live(0)
        for a in d.attachments
    }
    mine = {f for f in found if f is not None and only_site in (None, f[0])}
    score.discovery_total += len(gold)
    score.discovery_found += len(gold & mine)
    score.discovery_attachments_total += len(attachments)
    score.discovery_attachments_found += len(attachments & mine)
    score.extra_pages += len(mine - gold)


# -- the normaliser on plan pages --------------------------------------------------------------------------


def run_normalize(seeds: list[int], docs_per_site: int, sites: int) -> dict[str, Any]:
    from portal.generator import generate

    tp = fp = fn = results_as_targets = 0
    missed: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="govwatch-normalize-") as tmp:
        files: list[tuple[Path, list[dict[str, Any]], list[str]]] = []
        for seed in seeds:
            portal = generate(seed, sites=sites, docs_per_site=docs_per_site)
            for site in portal.sites:
                for doc in site.docs:
                    for k in sorted({0, portal.states - 1}):
                        c = doc.contents[k]
                        if c is None or doc.kind == "notice":
                            continue
                        page = render.detail_page(portal, site, doc, k)
                        path = Path(tmp) / f"{seed}-{site.index}-{doc.ident}-{k}.html"
                        path.write_bytes(render.stripped(page.body))
                        gold = [t.gold() for t in c.targets() if t.value is not None]
                        reviews = [norm(b.text) for b in c.blocks if b.kind == "review"]
                        files.append((path, gold, reviews))
        outputs: dict[str, dict[str, Any]] = {}
        for i in range(0, len(files), 100):
            batch = [str(p) for p, _, _ in files[i : i + 100]]
            done = subprocess.run(
                ["govwatch", "normalize", "--json", *batch], capture_output=True, text=True, check=False
            )
            for line in done.stdout.splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
                    outputs[rec.get("source", "")] = rec
        for path, gold, reviews in files:
            rec = outputs.get(str(path)) or {}
            targets = (rec.get("snapshot") or {}).get("targets") or {}
            extracted = [
                t
                for t in (targets.values() if isinstance(targets, dict) else targets)
                if t.get("value") is not None
            ]
            unmatched = list(extracted)
            for g in gold:
                hit = next(
                    (
                        e
                        for e in unmatched
                        if indicator_matches(
                            g["indicator"], {"details": {"indicator": e.get("indicator"), "new": e}}
                        )
                        and quantity_matches(g, e, False)
                    ),
                    None,
                )
                if hit is None:
                    fn += 1
                    missed[g["text"]] += 1
                else:
                    tp += 1
                    unmatched.remove(hit)
            fp += len(unmatched)
            results_as_targets += sum(
                1 for e in unmatched if any(norm(e.get("text")) and norm(e.get("text")) in r for r in reviews)
            )
    return {
        "pages": len(files),
        "targets": PR(tp, fp, fn).json(),
        "results_listed_as_targets": results_as_targets,
        "missed_examples": [t for t, _ in missed.most_common(8)],
    }


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _counts(pr: PR) -> str:
    return f"(tp {pr.tp}, fp {pr.fp}, fn {pr.fn})"


def print_table(label: str, s: Score) -> None:
    j = s.json()
    print(f"\n{label}")
    rows = [
        (
            "discovery (documents + attachments of state 0)",
            f"{_fmt(j['discovery'])} ({s.discovery_found}/{s.discovery_total}); "
            f"attachments {_fmt(j['discovery_attachments'])}; other pages recorded {s.extra_pages}",
        ),
        (
            "document-level change P / R / F1",
            f"{_fmt(s.documents.precision)} / {_fmt(s.documents.recall)} / {_fmt(s.documents.f1)}  "
            + _counts(s.documents),
        ),
        ("false alarms on noise-only document-transitions", f"{s.false_alarm_docs} of {s.noise_docs}"),
        (
            "false removals (under 500 / 412 faults)",
            f"{s.false_removals} ({s.false_removals_faulted} of {s.faulted_docs} faulted)",
        ),
        (
            "target events P / R",
            f"{_fmt(s.targets.precision)} / {_fmt(s.targets.recall)}  " + _counts(s.targets),
        ),
        (
            "metadata events P / R",
            f"{_fmt(s.metadata.precision)} / {_fmt(s.metadata.recall)}  " + _counts(s.metadata),
        ),
        (
            "document added/removed/restored P / R",
            f"{_fmt(s.doc_events.precision)} / {_fmt(s.doc_events.recall)}",
        ),
        ("events on pages that are not documents", str(s.events_on_other_pages)),
        ("crawl time (all states)", f"{s.crawl_seconds:.0f} s, exit codes {s.crawl_exit_codes}"),
    ]
    for name, value in rows:
        print(f"  {name:50} {value}")
    kinds = j["false_alarms_by_noise_kind"]
    if kinds:
        print("  false alarms by noise kind (alarms / document-transitions with that noise):")
        print("    " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in kinds.items()))
    sole = j["false_alarms_by_sole_noise_kind"]
    if sole:
        print("  ... where it was the only noise between the states besides per-request noise and tokens:")
        print("    " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in sole.items()))


def print_sites(by_site: dict[str, Score]) -> None:
    print("  per site: discovery | document P / R / F1 | false alarms / noise-only | target events P / R")
    for name, s in by_site.items():
        print(
            f"    {name:14} {_fmt(_ratio(s.discovery_found, s.discovery_total))} | "
            f"{_fmt(s.documents.precision)} / {_fmt(s.documents.recall)} / {_fmt(s.documents.f1)} | "
            f"{s.false_alarm_docs} / {s.noise_docs} | {_fmt(s.targets.precision)} / {_fmt(s.targets.recall)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds", default="1,2,3", help="comma-separated generator seeds (tuning: 1..29; held out: 106..110)"
    )
    parser.add_argument(
        "--entry",
        choices=("home", "columns"),
        default="home",
        help="start_urls: home pages or column list pages",
    )
    parser.add_argument("--docs-per-site", type=int, default=50)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument(
        "--normalize", action="store_true", help="also score `govwatch normalize` on the plan pages"
    )
    parser.add_argument("--no-crawl", action="store_true", help="only the --normalize part")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep each seed's sources file, database and gold in DIR/seed-N",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="progress of each crawl on stderr")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.replace(" ", "").split(",") if s]
    except ValueError:
        parser.error("--seeds takes comma-separated integers, e.g. 1,2,3")
    result: dict[str, Any] = {
        "seeds": seeds,
        "entry": args.entry,
        "docs_per_site": args.docs_per_site,
        "per_seed": {},
    }
    total = Score()
    dialect_totals: dict[str, Score] = {}
    if not args.no_crawl:
        for seed in seeds:
            s, by_site = run_seed(seed, args.entry, args.docs_per_site, args.sites, args.verbose, args.keep)
            total.add(s)
            result["per_seed"][str(seed)] = {**s.json(), "by_site": {k: v.json() for k, v in by_site.items()}}
            for name, site_score in by_site.items():
                dialect_totals.setdefault(name.split(":", 1)[1], Score()).add(site_score)
            if not args.json:
                print_table(f"seed {seed} (entry: {args.entry})", s)
                print_sites(by_site)
        result["total"] = total.json()
        result["by_dialect"] = {k: v.json() for k, v in sorted(dialect_totals.items())}
        if not args.json and len(seeds) > 1:
            print_table(f"all seeds {args.seeds} (entry: {args.entry})", total)
    if args.normalize:
        result["normalize"] = run_normalize(seeds, args.docs_per_site, args.sites)
        if not args.json:
            n = result["normalize"]
            t = n["targets"]
            print(
                f"\nnormalize on {n['pages']} plan pages: "
                f"targets P {_fmt(t['precision'])} / R {_fmt(t['recall'])}"
                f" (tp {t['tp']}, fp {t['fp']}, fn {t['fn']}); "
                f"results listed as targets {n['results_listed_as_targets']}"
            )
            if n["missed_examples"]:
                print("  missed: " + "; ".join(n["missed_examples"]))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
