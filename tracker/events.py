"""Change kinds, defined once: each kind's group, Chinese label and terminal style.

Config filters, the diff, the digest, the one-line summaries, the CLI renderers, the feed and
the queries all read this table, so adding a kind is one edit here (plus its tests and
docs/change-events.md).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class ChangeKind(enum.StrEnum):
    TARGET_CHANGED = "target_changed"
    TARGET_ADDED = "target_added"
    TARGET_REMOVED = "target_removed"
    METADATA_CHANGED = "metadata_changed"
    CONTENT_CHANGED = "content_changed"
    DOCUMENT_ADDED = "document_added"
    DOCUMENT_REMOVED = "document_removed"
    DOCUMENT_RESTORED = "document_restored"
    DOCUMENT_FOUND = "document_found"  # first seen, but there before (tracker/late.py)


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One change between two versions, or of a document's presence, before it is stored."""

    kind: str  # a ChangeKind (a str, as stored and serialised)
    details: dict[str, Any] = field(default_factory=dict)


class KindGroup(enum.StrEnum):
    """Shorthands users reach for in filters ("only target and metadata changes")."""

    TARGETS = "targets"
    METADATA = "metadata"
    CONTENT = "content"
    DOCUMENTS = "documents"
    ARCHIVE = "archive"  # pages govwatch files without news: there before, only reached now


@dataclass(frozen=True, slots=True)
class KindInfo:
    group: KindGroup
    label: str  # what notifications, feeds and the web interface call it
    style: str  # rich style of the kind in terminal tables


KINDS: Mapping[ChangeKind, KindInfo] = {
    ChangeKind.TARGET_CHANGED: KindInfo(KindGroup.TARGETS, "目标调整", "bold yellow"),
    ChangeKind.TARGET_ADDED: KindInfo(KindGroup.TARGETS, "新增目标", "green"),
    ChangeKind.TARGET_REMOVED: KindInfo(KindGroup.TARGETS, "删除目标", "red"),
    ChangeKind.METADATA_CHANGED: KindInfo(KindGroup.METADATA, "信息变更", "cyan"),
    ChangeKind.CONTENT_CHANGED: KindInfo(KindGroup.CONTENT, "正文修改", "blue"),
    ChangeKind.DOCUMENT_ADDED: KindInfo(KindGroup.DOCUMENTS, "新增文件", "bold green"),
    ChangeKind.DOCUMENT_REMOVED: KindInfo(KindGroup.DOCUMENTS, "文件撤下", "bold red"),
    ChangeKind.DOCUMENT_RESTORED: KindInfo(KindGroup.DOCUMENTS, "文件恢复", "bold green"),
    ChangeKind.DOCUMENT_FOUND: KindInfo(KindGroup.ARCHIVE, "补录旧文件", "dim"),
}
# Kinds that are no news: kept and shown, but sent only to channels whose filter names them
# (the kind or its group, ``archive``), never to a channel that takes everything.
QUIET_KINDS = frozenset({ChangeKind.DOCUMENT_FOUND})

GROUPS: Mapping[KindGroup, frozenset[ChangeKind]] = {
    group: frozenset(kind for kind, info in KINDS.items() if info.group is group) for group in KindGroup
}
TARGET_KINDS = GROUPS[KindGroup.TARGETS]
# Every name a filter accepts: a kind or a group.
FILTER_NAMES: tuple[str, ...] = (*sorted(ChangeKind), *sorted(KindGroup))


def label(kind: str) -> str:
    """The Chinese label of a kind; an unknown (future) kind shows its own name."""
    info = KINDS.get(kind)  # type: ignore[call-overload]
    return info.label if info is not None else kind


def style(kind: str) -> str:
    info = KINDS.get(kind)  # type: ignore[call-overload]
    return info.style if info is not None else ""


def expand(names: Iterable[str]) -> frozenset[ChangeKind]:
    """Kinds named directly or through their group; ``ValueError`` names the first unknown one."""
    kinds: set[ChangeKind] = set()
    for name in names:
        if name in GROUPS:
            kinds |= GROUPS[KindGroup(name)]
        elif name in KINDS:
            kinds.add(ChangeKind(name))
        else:
            raise ValueError(f"unknown change kind {name!r} (allowed: {', '.join(FILTER_NAMES)})")
    return frozenset(kinds)
