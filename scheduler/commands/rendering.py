"""How the store's commands print: JSON text for scripts, rich tables for people.

Page text is untrusted: it only ever reaches the terminal as rich ``Text`` (never parsed as markup).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker import events

if TYPE_CHECKING:
    from tracker.events import ChangeEvent


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def dumps(obj: Any, *, indent: int | None = None) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default, indent=indent)


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "—"


def kind_text(kind: str) -> Text:
    return Text(kind, style=events.style(kind))


def print_changes(rows: list[dict[str, Any]]) -> None:
    from tracker.summary import describe

    out = console()
    if not rows:
        out.print("No change events.")
        return
    table = Table(show_lines=False)
    for name in ("id", "detected (UTC)", "source", "document", "kind", "what changed"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            when(row["detected_at"]),
            Text(row["source"] or ""),
            Text(f"{row['title'] or row['url']}\n{row['url']}" if row["title"] else row["url"]),
            kind_text(row["kind"]),
            Text(describe(row["kind"], row["details"])),
        )
    out.print(table)


def print_history(header: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    from tracker.summary import describe

    out = console()
    out.print(Text(f"{header['title'] or ''}  {header['url']}  [{header['status']}]"))
    table = Table()
    for name in ("version", "date (UTC)", "changes"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        lines = Text()
        for i, change in enumerate(entry["changes"]):
            if i:
                lines.append("\n")
            lines.append(change["kind"], style=events.style(change["kind"]))
            lines.append("  " + describe(change["kind"], change["details"]))
        table.add_row(str(entry["seq"]) if entry["seq"] is not None else "", when(entry["at"]), lines)
    out.print(table)


def print_version(header: Mapping[str, Any], version: Mapping[str, Any]) -> None:
    """One stored version: title, where and when, metadata, targets, paragraphs, attachment."""
    snap = version["snapshot"]
    out = console()
    out.print(Text(f"{snap.get('title') or header['title'] or ''}", style="bold"))
    stamp = f"version {version['seq']} of {when(version['created_at'])}"
    out.print(Text(f"{header['url']}  {stamp}  [{header['status']}]"))
    meta = Table(show_header=False, box=None)
    for name, value in (snap.get("metadata") or {}).items():
        meta.add_row(Text(str(name), style="cyan"), Text(str(value)))
    if meta.row_count:
        out.print(meta)
    print_targets(out, snap.get("targets") or {})
    for paragraph in snap.get("paragraphs") or []:
        out.print(Text(paragraph))
    if snap.get("attachment"):
        out.print(Text(dumps(snap["attachment"])))


def print_targets(out: Console, targets: Mapping[str, Any]) -> None:
    from tracker.summary import quantity

    if not targets:
        return
    table = Table(title="targets")
    for name in ("section", "indicator", "target", "text"):
        table.add_column(name, overflow="fold")
    for target in targets.values():
        table.add_row(
            Text(target.get("section") or ""),
            Text(target.get("indicator") or ""),
            Text(quantity(target)),
            Text(target.get("text") or ""),
        )
    out.print(table)


def print_target_history(series: list[dict[str, Any]]) -> None:
    """Each target's value per version; a value that differs from the one before is highlighted."""
    from tracker.summary import quantity

    seqs = sorted({p["seq"] for s in series for p in s["points"]})
    table = Table(title="targets over versions")
    table.add_column("section", overflow="fold")
    table.add_column("indicator", overflow="fold")
    for s_ in seqs:
        table.add_column(f"v{s_}", overflow="fold")
    for entry in series:
        by_seq = {p["seq"]: p for p in entry["points"]}
        cells: list[Text] = []
        previous: str | None = None
        for s_ in seqs:
            point = by_seq.get(s_)
            shown = "" if point is None else ("—" if point.get("absent") else quantity(point))
            cells.append(
                Text(shown, style="bold yellow" if previous is not None and shown != previous else "")
            )
            previous = shown if point is not None else previous
        table.add_row(Text(entry.get("section") or ""), Text(entry.get("indicator") or ""), *cells)
    console().print(table)


def print_diff(
    header: Mapping[str, Any],
    old_seq: int,
    new_seq: int,
    changes: Iterable[ChangeEvent],
    edits: list[tuple[str, str | None, str | None]],
) -> None:
    from tracker.summary import describe

    out = console()
    out.print(Text(f"{header['title'] or ''}  {header['url']}", style="bold"))
    out.print(Text(f"version {old_seq} → version {new_seq}"))
    found = list(changes)
    if not found and not edits:
        out.print("No differences.")
        return
    for event in found:
        line = Text("  ")
        line.append(event.kind, style=events.style(event.kind))
        line.append("  " + describe(event.kind, event.details))
        out.print(line)
    if edits:
        out.print()
    for op, before, after in edits:
        out.print(highlight(op, before, after))


def highlight(op: str, before: str | None, after: str | None) -> Text:
    """One paragraph edit as Text: deletions red and struck through, insertions green, by character."""
    from tracker.textdiff import opcodes

    if op == "added":
        return Text("+", style="bold green").append(after or "", style="green")
    if op == "removed":
        return Text("-", style="bold red").append(before or "", style="red strike")
    old, new = before or "", after or ""
    # No space after the marker: rich wraps at spaces, and a CJK paragraph is one long "word".
    text = Text("~", style="bold yellow")
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            text.append(old[i1:i2])
            continue
        if i2 > i1:
            text.append(old[i1:i2], style="bold red strike")
        if j2 > j1:
            text.append(new[j1:j2], style="bold green underline")
    return text
