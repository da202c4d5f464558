"""One-line plain-text descriptions of change events and target values, for tables and logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.events import ChangeKind

EXCERPT_CHARS = 60


def quantity(side: Mapping[str, Any] | None, *, empty: str = "—", limit: int | None = None) -> str:
    """``5.5%左右``, ``4-5家``, or the target's text when it has no number; ``empty`` when absent.

    The one way a target's value is written for people: tables, digests, feeds and the demo.
    ``limit`` shortens a qualitative target's text (whitespace folded) to that many characters.
    """
    if not side:
        return empty
    value = side.get("value")
    if value is None:
        text = side.get("text")
        if not text:
            return empty
        if limit is None:
            return str(text)
        folded = " ".join(str(text).split())
        return folded if len(folded) <= limit else folded[: limit - 1] + "…"
    number = _number(value)
    if side.get("value_max") is not None:
        number = f"{number}-{_number(side['value_max'])}"
    return f"{number}{side.get('unit') or ''}{side.get('qualifier') or ''}"


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def describe(kind: str, details: Mapping[str, Any] | None) -> str:
    """What changed, in one line: ``地区生产总值: 5.5%左右 → 6%左右``."""
    d = details or {}
    text = _describe(kind, d)
    if d.get("revert_of") is not None:
        text += f" (reverts to version {d['revert_of']})"
    return text


def _describe(kind: str, d: Mapping[str, Any]) -> str:
    if kind == ChangeKind.TARGET_CHANGED:
        name = d.get("indicator") or d.get("key") or "?"
        if d.get("old_indicator") and d.get("old_indicator") != d.get("indicator"):
            name = f"{d['old_indicator']} → {name}"
        return f"{name}: {quantity(d.get('old'))} → {quantity(d.get('new'))}"
    if kind == ChangeKind.TARGET_ADDED:
        return f"+ {d.get('indicator') or d.get('key')}: {quantity(d.get('new'))}"
    if kind == ChangeKind.TARGET_REMOVED:
        return f"- {d.get('indicator') or d.get('key')}: {quantity(d.get('old'))}"
    if kind == ChangeKind.METADATA_CHANGED:
        return f"{d.get('field')}: {_short(d.get('old')) or '—'} → {_short(d.get('new')) or '—'}"
    if kind == ChangeKind.CONTENT_CHANGED:
        if d.get("attachment"):
            old, new = str(d.get("old_sha256"))[:12], str(d.get("new_sha256"))[:12]
            return f"attachment changed: sha256 {old} → {new}"
        counts = f"paragraphs +{d.get('added', 0)} -{d.get('removed', 0)} ~{d.get('edited', 0)}"
        excerpts = d.get("excerpts") or []
        if excerpts:
            first = excerpts[0]
            counts += f": {_short(first.get('new') or first.get('old'))}"
        return counts
    if kind == ChangeKind.DOCUMENT_ADDED:
        return ("attachment " if d.get("attachment") else "") + _short(d.get("title") or "new document")
    if kind == ChangeKind.DOCUMENT_FOUND:
        return f"first seen, dated {d.get('published')}: " + _short(d.get("title") or "document")
    if kind == ChangeKind.DOCUMENT_REMOVED:
        return f"gone (HTTP {d.get('status_code')})"
    if kind == ChangeKind.DOCUMENT_RESTORED:
        return f"back (HTTP {d.get('status_code')})"
    return _short(d)
