"""The normaliser's entry point: decode, clean, extract, and assemble the Snapshot with its fingerprint."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.etree import _Element as HtmlElement

from tracker.normalize import chrome, metadata, numbers
from tracker.normalize.chinese import is_traditional, to_simplified_all
from tracker.normalize.decode import check_html, decode
from tracker.normalize.errors import (
    EmptyBody,
    ExtractionFailed,
    NoContent,
    NotHtml,
    TooLarge,
)
from tracker.normalize.numbers import canonical_text
from tracker.normalize.repair import damaged_heading, damaged_indexes, fix_cp1252_mojibake, repair_lines
from tracker.normalize.targets import comparable, extract
from tracker.normalize.text import clean, clean_visible_lines, drop_invisible_lines
from tracker.normalize.version import NORMALIZER_VERSION

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
_SCRIPT_SAMPLE = 4000  # body characters enough to tell a traditional page from a simplified one
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MARKUP = re.compile(r"<\s*[A-Za-z!]")
_WORDISH = re.compile(r"[^\W_]")
_CLOSED = re.compile(r"(?i)</(?:body|html)\s*>")
_PARTIAL_TAG = re.compile(r"<[^<>]*$")
_TITLE_SPLIT = re.compile(r"\s*(?:_|--|——|\s[-|–]\s|\|)\s*")
# Plain libxml2 elements: lxml.html's element classes cost a Python call per element touched.
# huge_tree: a page of one 10 MB text line is within MAX_BODY_BYTES, but over libxml2's default
# text-node limit, which silently dropped the text ("no body text"). The size check bounds it instead.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)
_ARTICLE_TITLE = etree.XPath("//meta[@name='ArticleTitle']/@content")


@dataclass(frozen=True, slots=True)
class NormalizedPage:
    snapshot: dict[str, Any]
    fingerprint: str
    charset: str
    warnings: list[str] = field(default_factory=list)


def fingerprint(snapshot: Mapping[str, Any]) -> str:
    """sha256 of what a reader calls content, blind to how equal quantities are spelled.

    Title and paragraphs enter with every quantity as its canonical token, targets as their
    comparable view; ``results`` are read from the paragraphs, so they are in it already.
    """
    targets = snapshot.get("targets") or {}
    content = {
        "title": canonical_text(snapshot.get("title") or ""),
        "metadata": snapshot.get("metadata"),
        "targets": {key: comparable(target) for key, target in targets.items()},
        "paragraphs": [canonical_text(p) for p in snapshot.get("paragraphs") or []],
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def prepare(texts: list[str], traditional: bool = False) -> list[str]:
    """Raw page strings -> repaired, cleaned, simplified strings, each rule run once over all."""
    if not texts:
        return []
    # Invisible characters go first: inside a misaligned GBK run or between a character and its
    # pinyin annotation they would hide the evidence a repair needs.
    lines = drop_invisible_lines([" ".join(t.split("\n")) for t in texts])
    joined = repair_lines([line.strip() for line in lines])
    return to_simplified_all(clean_visible_lines(joined), traditional)


def _parse(text: str) -> HtmlElement:
    text = _XML_DECL.sub("", text, count=1)
    if not _MARKUP.search(text[:65536]):
        raise NotHtml("no HTML markup")
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotHtml(f"unparseable HTML: {exc}") from exc
    if root is None:
        raise NotHtml("unparseable HTML")
    return root


def _damaged_headings(raw: list[str]) -> dict[int, tuple[str | None, str]]:
    """Index of a heading line kept as captured -> (numeral, raw title tail) its bytes tell."""
    return {i: hint for i, line in enumerate(raw) if line.startswith("?") and (hint := damaged_heading(line))}


def _title(root: HtmlElement, fields: Mapping[str, str], traditional: bool) -> str:
    candidates: list[str] = [str(t) for t in _ARTICLE_TITLE(root)]
    page_title = root.findtext(".//title") or ""
    squeezed = clean(page_title)
    # The article heading is the one the <title> starts with (site names come after it). The
    # candidate stays raw: prepare repairs before it normalises (NFKC would break mojibake).
    headings = [(clean(text), text) for text in ("".join(h.itertext()) for h in root.iter("h1", "h2", "h3"))]
    leading = [(cleaned, text) for cleaned, text in headings if cleaned and squeezed.startswith(cleaned)]
    if leading:
        candidates.append(max(leading, key=lambda pair: len(pair[0]))[1])
    elif not squeezed:
        candidates.extend(text for cleaned, text in headings if cleaned)
    first = _TITLE_SPLIT.split(page_title.strip(), maxsplit=1)[0] if page_title.strip() else ""
    candidates.append(first)
    raw = next((c for c in candidates if c.strip()), "")
    if not raw:
        return fields.get("title", "")
    return prepare([raw], traditional)[0]


def normalize(
    body: bytes, url: str | None = None, headers: Mapping[str, str] | None = None
) -> NormalizedPage:
    """Normalise one fetched page; raises a NormalizeError subclass for what is not a page."""
    numbers.forget()
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    if not body or body.isspace():
        raise EmptyBody("empty body")
    check_html(body, headers)
    decoded = decode(body, headers)
    warnings = list(decoded.warnings)
    # A page stored as UTF-8 after a trip through cp1252 is mojibake in labels and title too, and
    # the metadata block is found by its labels: repair the whole text before parsing.
    text = fix_cp1252_mojibake(decoded.text) if decoded.charset == "utf-8" else decoded.text
    if text != decoded.text:
        warnings.append("UTF-8 read as cp1252 repaired")
    truncated = _CLOSED.search(text[-4096:]) is None
    if truncated:
        warnings.append("truncated: no closing </body> or </html>")
        text = _PARTIAL_TAG.sub("", text)  # the parser would keep a cut-off `<di` as text
    root = _parse(text)

    container = chrome.marked_container(root)
    marked = container is not None
    if container is None:
        container = chrome.known_container(root)
    # Between markers the metadata block may share the body's parent: look for it everywhere.
    block = metadata.find_block(root, None if marked else container)
    if container is None:
        # Text density on a cut-off page would promote whatever came first (a metadata
        # cell, a menu) to the body: better no document than an invented one.
        container = None if truncated else chrome.densest(root, exclude=block)
        if container is None:
            raise NoContent("no body text")
        warnings.append("body found by text density")
    raw = chrome.body_lines(container, marked)
    # One script decision per page, from its body, so title, metadata and body convert alike.
    traditional = is_traditional("".join(raw)[:_SCRIPT_SAMPLE])
    hints = _damaged_headings(raw)
    # Recovered heading titles ride in the same batch as the lines (one conversion per page).
    prepared = prepare(raw + [title for _, title in hints.values()], traditional)
    titles, prepared = prepared[len(raw) :], prepared[: len(raw)]
    headings = {prepared[i]: (hint[0], title) for (i, hint), title in zip(hints.items(), titles, strict=True)}
    lines = [line for line in prepared if line]
    paragraphs = chrome.drop_repeats(line for line in lines if not chrome.is_chrome_line(line))
    if not any(_WORDISH.search(p) for p in paragraphs):
        if not chrome.has_attachments(container):
            raise NoContent("no body text")
        # An attachment-only or video page: a page whose content is its files.
        paragraphs = []
        warnings.append("no body text: attachments only")

    simplify = functools.partial(prepare, traditional=traditional)
    fields = metadata.to_fields(metadata.pairs(block, simplify)) if block is not None else {}
    damaged = damaged_indexes(paragraphs)
    if damaged:
        warnings.append(f"{len(damaged)} damaged paragraphs kept as captured")
    title = _title(root, fields, traditional)
    try:
        targets, results = extract(paragraphs, headings, title)
    except Exception as exc:
        # An empty target list would read as "every target removed" downstream: refuse the
        # page instead, typed, so the fetch is logged and the next normaliser can redo it.
        log.exception("target extraction failed for %s", url)
        raise ExtractionFailed(f"target extraction failed: {exc!r}") from exc

    snapshot: dict[str, Any] = {
        "title": title,
        "metadata": fields,
        "targets": targets,
        "results": results,
        "paragraphs": paragraphs,
        "damaged": damaged,
        "normalizer": NORMALIZER_VERSION,
    }
    return NormalizedPage(
        snapshot=snapshot, fingerprint=fingerprint(snapshot), charset=decoded.charset, warnings=warnings
    )
