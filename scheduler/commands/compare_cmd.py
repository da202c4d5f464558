"""``govwatch compare A B``: two documents carrying the same text from different places."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scheduler.cli import EXIT_NOT_FOUND


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
@click.option("--all", "show_all", is_flag=True, help="List every target present in only one document.")
def compare(a: str, b: str, as_json: bool, show_all: bool) -> None:
    """Compare the latest versions of documents A and B (URLs or ids).

    \b
    Targets are matched by indicator and unit (the two may file them under different
    headings): targets whose values differ, targets found in only one, and the
    paragraphs that were reworded or appear in only one. Exit 3 when A or B does not
    exist or has no version.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tracker.compare import compare_snapshots
    from tracker.db import session_factory
    from tracker.query import get_document, version

    with session_factory()() as session:
        docs = []
        for ref in (a, b):
            doc = get_document(session, ref)
            latest = version(session, doc) if doc is not None else None
            if doc is None or latest is None:
                click.echo(
                    f"govwatch: no document {ref!r} with a stored version (give a URL or an id)", err=True
                )
                sys.exit(EXIT_NOT_FOUND)
            docs.append((doc.id, doc.url, doc.title, doc.source.name, latest.seq, latest.snapshot or {}))
    result = compare_snapshots(docs[0][5], docs[1][5])
    header = [{"id": d[0], "url": d[1], "title": d[2], "source": d[3], "version": d[4]} for d in docs]
    if as_json:
        click.echo(json.dumps({"a": header[0], "b": header[1], **result}, ensure_ascii=False, default=str))
        return
    console = Console(highlight=False)
    for name, item in zip(("A", "B"), header, strict=True):
        console.print(
            Text(f"{name}  {item['title'] or ''}  ({item['source']}, v{item['version']})  {item['url']}")
        )
    targets = result["targets"]
    console.print(
        f"相同的目标 {len(targets['same'])} 项，取值不同 {len(targets['differing'])} 项，"
        f"措辞不同 {len(targets['reworded'])} 项，"
        f"仅 A 有 {len(targets['only_a'])} 项，仅 B 有 {len(targets['only_b'])} 项"
    )
    table = Table(title="取值不同的目标", title_justify="left")
    for column in ("指标", "A", "B"):
        table.add_column(column)
    for row in targets["differing"]:
        table.add_row(
            Text(row["indicator"]), Text(row["a_value"], style="red"), Text(row["b_value"], style="green")
        )
    console.print(table)
    if targets["reworded"]:
        reworded = Table(title="措辞不同的目标", title_justify="left")
        for column in ("A 的指标", "A", "B 的指标", "B"):
            reworded.add_column(column)
        for row in targets["reworded"]:
            reworded.add_row(
                Text(row["indicator"]), Text(row["a_value"]), Text(row["indicator_b"]), Text(row["b_value"])
            )
        console.print(reworded)
    for key, title in (("only_a", "仅 A 有的目标"), ("only_b", "仅 B 有的目标")):
        rows: list[dict[str, Any]] = targets[key]
        shown = rows if show_all else rows[:10]
        if rows:
            names = "、".join(
                f"{r['indicator']} {r['a_value'] if key == 'only_a' else r['b_value']}" for r in shown
            )
            more = "" if len(shown) == len(rows) else f" …（另 {len(rows) - len(shown)} 项，--all 全部列出）"
            console.print(Text(f"{title}：{names}{more}"))
    paragraphs = result["paragraphs"]
    console.print(
        f"措辞：相同段落 {paragraphs['same']}，改写 {len(paragraphs['reworded'])}，"
        f"仅 A 有 {len(paragraphs['only_a'])}，仅 B 有 {len(paragraphs['only_b'])}"
    )
