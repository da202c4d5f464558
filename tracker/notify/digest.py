"""One readable (Chinese) message per crawl run and channel: change events grouped by document."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker import events
from tracker.events import ChangeKind
from tracker.summary import quantity

FIELD_LABELS: dict[str, str] = {
    "title": "标题",
    "index_no": "索引号",
    "publisher": "发布机构",
    "doc_number": "文号",
    "issued_date": "发文日期",
    "published_date": "发布日期",
    "category": "主题分类",
    "keywords": "关键词",
    "validity": "有效性",
    "disclosure_mode": "公开方式",
    "disclosure_scope": "公开范围",
    "disclosure_term": "公开时限",
    "summary": "内容概述",
}

# C0/C1 controls (but tab and newline) and bidi overrides: page text holding them would
# drive a terminal (ESC sequences), break XML, or show text in a misleading order.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

EXCERPT_CHARS = 80
MAX_EVENTS_PER_DOCUMENT = 20
MAX_DOCUMENTS = 30
EMPTY = "（无）"


@dataclass(frozen=True)
class Digest:
    """What a channel sends: a subject line, the plain text, and the change rows behind it."""

    source: str
    crawl_run_id: int | None
    subject: str
    text: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Names this message across resends (tracker.notify.outbox.idempotency_key); None when unsent.
    key: str | None = None

    def payload(self) -> dict[str, Any]:
        """The JSON body for machine channels (webhook, JSON Lines)."""
        return {
            "idempotency_key": self.key,
            "source": self.source,
            "crawl_run_id": self.crawl_run_id,
            "subject": self.subject,
            "text": self.text,
            "changes": [_jsonable(row) for row in self.changes],
        }


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    detected = out.get("detected_at")
    if detected is not None and not isinstance(detected, str):
        out["detected_at"] = detected.isoformat()
    return out


def printable(text: str) -> str:
    """Page text without control characters, safe for terminals, mail, chat and XML."""
    return _UNSAFE.sub("", text)


def format_value(value: Mapping[str, Any] | None) -> str:
    """``{value: 5.5, unit: "%", qualifier: "左右"}`` → ``5.5%左右``; qualitative targets show their text."""
    return quantity(value, empty=EMPTY, limit=EXCERPT_CHARS)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or EMPTY
    return excerpt(str(value))


def _content_lines(details: Mapping[str, Any]) -> list[str]:
    counts = [
        f"{label}{details[key]}段"
        for key, label in (("added", "新增"), ("removed", "删除"), ("edited", "修改"))
        if isinstance(details.get(key), int) and details[key]
    ]
    if details.get("attachment"):
        head = "附件内容已更新"
    else:
        head = "正文修改" + ("：" + "，".join(counts) if counts else "")
    lines = [head]
    for item in list(details.get("excerpts") or [])[:3]:
        if isinstance(item, Mapping):
            old, new = item.get("old"), item.get("new")
            if old and new:
                lines.append(f"  「{excerpt(str(old), 40)}」→「{excerpt(str(new), 40)}」")
            elif new or old:
                lines.append(f"  {'+' if new else '-'}「{excerpt(str(new or old))}」")
        elif item:
            lines.append(f"  「{excerpt(str(item))}」")
    return lines


def event_lines(kind: str, details: Mapping[str, Any] | None) -> list[str]:
    """The line(s) describing one change event, without the document header."""
    details = details or {}
    lines = _describe(kind, details)
    if details.get("revert_of") is not None:
        lines[0] += f"（恢复为第 {details['revert_of']} 版的内容）"
    return lines


def _describe(kind: str, details: Mapping[str, Any]) -> list[str]:
    label = events.label(kind)
    if kind in events.TARGET_KINDS:
        indicator = details.get("indicator") or details.get("key") or "目标"
        old = format_value(details.get("old"))
        new = format_value(details.get("new"))
        return [f"{label} {indicator}：{old} → {new}"]
    if kind == ChangeKind.METADATA_CHANGED:
        name = details.get("field", "")
        field_label = FIELD_LABELS.get(str(name), str(name))
        return [f"{label} {field_label}：{_plain(details.get('old'))} → {_plain(details.get('new'))}"]
    if kind == ChangeKind.CONTENT_CHANGED:
        return _content_lines(details)
    if kind in {ChangeKind.DOCUMENT_REMOVED, ChangeKind.DOCUMENT_RESTORED} and details.get("status_code"):
        return [f"{label}（HTTP {details['status_code']}）"]
    if kind == ChangeKind.DOCUMENT_ADDED and details.get("attachment"):
        return ["新增附件"]
    return [label]


def _group_by_document(rows: Iterable[Mapping[str, Any]]) -> dict[Any, list[Mapping[str, Any]]]:
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r.get("document_id") or 0, r.get("id") or 0)):
        groups.setdefault(row.get("document_id"), []).append(row)
    return groups


def build_digest(rows: Sequence[Mapping[str, Any]], crawl_run_id: int | None = None) -> Digest:
    """One message for the given change rows (``tracker.query.changes`` shape), grouped by document."""
    sources = sorted({str(r.get("source") or "") for r in rows}) or [""]
    source = "、".join(sources)
    groups = _group_by_document(rows)
    run = f"（抓取 #{crawl_run_id}）" if crawl_run_id is not None else ""
    subject = f"govwatch：{source} 有 {len(groups)} 份文件发生变化"
    # A full-width bracket needs no space before 的; a bare Latin source name does.
    lines = [f"govwatch 监测到 {source}{run or ' '}的 {len(rows)} 项变化，涉及 {len(groups)} 份文件。"]
    for index, document_events in enumerate(groups.values()):
        if index == MAX_DOCUMENTS:
            lines += ["", f"……另有 {len(groups) - MAX_DOCUMENTS} 份文件有变化，请用 govwatch changes 查看。"]
            break
        first = document_events[0]
        lines += ["", f"【{first.get('title') or '（无标题）'}】", str(first.get("url") or "")]
        for n, event in enumerate(document_events):
            if n == MAX_EVENTS_PER_DOCUMENT:
                lines.append(f"  ……另有 {len(document_events) - n} 项变化")
                break
            described = event_lines(str(event.get("kind")), event.get("details"))
            lines.append(f"  • {described[0]}")
            lines += [f"    {extra.strip()}" for extra in described[1:]]
    return Digest(
        source=source,
        crawl_run_id=crawl_run_id,
        subject=printable(subject),
        text=printable("\n".join(lines)),
        changes=[dict(r) for r in rows],
    )
