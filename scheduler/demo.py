"""``govwatch demo``: the whole loop on the built-in portal, offline, into a throw-away SQLite database.

Crawl state a, switch the portal to state b (revised targets, a repealed document, a
deleted page, a new notice, pure noise), crawl again, then show the notification
digest, one document's history and a target diff. The exit code says whether exactly
the expected change events were found.
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scheduler.interrupts import run_until_done
from scheduler.runner import CrawlRequest, CrawlResult, CrawlRunner
from tracker.models import Change, Document, Version

# The two dialects that hold every expected change; demo-generic (the fault cases) is left
# to `govwatch crawl demo-generic` with --keep, as its retries make it slow by design.
DEMO_SOURCES = ("demo-hanweb", "demo-trs")
CRAWL_TIMEOUT_SECONDS = 60  # a crawl of the demo portal takes a few seconds; a stuck one fails fast
EXIT_INTERRUPTED = 130  # the shell's convention for a Ctrl-C
CONSOLE_CHANNEL = '\n[[channel]]\nname = "console"\ntype = "console"\n'
OUTCOME_LABELS = {
    "ok": "成功",
    "partial": "部分成功",
    "failed": "失败",
    "timeout": "超时",
    "killed": "进程中止",
    "interrupted": "被中断",
}


@dataclass(frozen=True)
class Expected:
    path: str
    kind: str
    count: int
    what: str


def expected_events() -> list[Expected]:
    """What the portal's a → b edits must produce (see the ``portal`` package docstring)."""
    from portal import site

    return [
        Expected(site.ART_PRIORITIES, "target_changed", 2, "两项目标被修订"),
        Expected(site.ART_PLAN, "metadata_changed", 1, "文件被废止（有效 → 废止）"),
        Expected(site.ART_NEW, "document_added", 1, "新发布的通知"),
        Expected(site.TRS_DELETED, "document_removed", 1, "页面被删除（404）"),
        Expected(site.ART_PRINT, "*", 0, "只有噪声（浏览次数、时钟、令牌）"),
        Expected(site.TRS_PLAN_TC, "*", 0, "繁体页面换成简体：不是变化"),
    ]


def _crawl_all(
    runner: CrawlRunner, console: Console, label: str, sources: tuple[str, ...]
) -> list[CrawlResult]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks = {s: progress.add_task(f"{label}: {s}", total=None) for s in sources}

        def on_progress(source: str, event: dict[str, Any]) -> None:
            progress.update(
                tasks[source],
                description=(
                    f"{label}: {source} — {event.get('pages', 0)} 页，"
                    f"{event.get('new_versions', 0)} 个新版本，{event.get('changes', 0)} 项变化"
                ),
            )

        runner.on_progress = on_progress
        requests = [CrawlRequest(s, "demo", CRAWL_TIMEOUT_SECONDS) for s in sources]

        done, interrupted = run_until_done(
            lambda: runner.run_many(requests), runner.stop_event, name="demo-crawl"
        )
        results = [r for r in done or [] if r.outcome != "busy"]
    if interrupted:  # the crawls are stopped: the throw-away database can go now
        raise KeyboardInterrupt
    return sorted(results, key=lambda r: r.source)


def _runs_table(title: str, results: list[CrawlResult]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("来源", "结果", "页面", "新版本", "变化", "用时"):
        table.add_column(column)
    colours = {"ok": "green", "partial": "yellow"}
    for r in results:
        table.add_row(
            r.source,
            f"[{colours.get(r.outcome, 'red')}]{OUTCOME_LABELS.get(r.outcome, r.outcome)}[/]",
            str(r.counts.get("pages", "—")),
            str(r.counts.get("new_versions", "—")),
            str(r.counts.get("changes", "—")),
            f"{r.seconds:.1f}s",
        )
    return table


def _notify(factory: sessionmaker[Session], channels: list[Any]) -> tuple[str, int]:
    from tracker.notify import deliver_pending

    buffer = io.StringIO()
    report = deliver_pending(factory, channels, stream=buffer)
    return buffer.getvalue(), report.sent


def _check(session: Session, base_url: str, run_ids: list[int]) -> list[tuple[Expected, int]]:
    """Each expected case with the number of matching events, then every other page's events."""
    rows = session.execute(
        select(Document.url, Change.kind)
        .join(Document, Change.document_id == Document.id)
        .where(Change.crawl_run_id.in_(run_ids))
    ).all()
    outcome = []
    expected = expected_events()
    for item in expected:
        url = base_url + item.path
        found = sum(1 for u, k in rows if u == url and item.kind in {"*", k})
        outcome.append((item, found))
    known = {base_url + item.path for item in expected}
    others = sum(1 for u, _k in rows if u not in known)
    outcome.append((Expected("其他页面", "*", 0, "没有其他变化"), others))
    return outcome


def _history(session: Session, url: str) -> Table:
    document = session.scalar(select(Document).where(Document.url == url))
    table = Table(
        title=f"⑤ 文件历史：{escape(document.title or url) if document else url}", title_justify="left"
    )
    for column in ("版本", "时间", "变化"):
        table.add_column(column)
    if document is None:
        return table
    versions = session.scalars(
        select(Version).where(Version.document_id == document.id).order_by(Version.seq)
    )
    from tracker.notify.digest import event_lines

    for version in versions:
        changes = session.scalars(
            select(Change).where(Change.new_version_id == version.id).order_by(Change.id)
        )
        described = [escape(event_lines(c.kind, c.details)[0]) for c in changes]
        table.add_row(
            f"v{version.seq}",
            f"{version.created_at.replace(tzinfo=version.created_at.tzinfo or UTC).astimezone():%H:%M:%S}",
            "\n".join(described) or "—",
        )
    return table


def _target_diff(session: Session, url: str) -> Table:
    from tracker.notify.digest import format_value

    table = Table(title="⑥ 目标对比（v1 → v2）", title_justify="left")
    for column in ("指标", "原目标", "新目标"):
        table.add_column(column)
    document = session.scalar(select(Document).where(Document.url == url))
    if document is None:
        return table
    changes = session.scalars(
        select(Change)
        .where(Change.document_id == document.id, Change.kind.like("target_%"))
        .order_by(Change.id)
    )
    for change in changes:
        details = change.details or {}
        table.add_row(
            escape(str(details.get("indicator") or details.get("key") or "")),
            f"[red]{escape(format_value(details.get('old')))}[/]",
            f"[green]{escape(format_value(details.get('new')))}[/]",
        )
    return table


def run_demo(keep: Path | None = None, console: Console | None = None) -> int:
    """Run the demo; returns the process exit code (0 only when the expected changes were found)."""
    console = console or Console()
    try:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            return _demo_in(keep.resolve(), console, kept=True)
        with tempfile.TemporaryDirectory(prefix="govwatch-demo-") as tmp:
            return _demo_in(Path(tmp), console, kept=False)
    except KeyboardInterrupt:
        console.print("[yellow]演示已中断[/]（Ctrl-C）。")
        return EXIT_INTERRUPTED


def _demo_in(workdir: Path, console: Console, *, kept: bool) -> int:
    from portal import PortalServer, demo_config
    from tracker.config import load_config
    from tracker.db import make_engine, upgrade

    started = time.monotonic()
    db_path = workdir / "govwatch-demo.db"
    db_url = f"sqlite:///{db_path}"
    engine = make_engine(db_url)
    upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    runner: CrawlRunner | None = None
    try:
        with PortalServer(state="a") as portal:
            config_path = workdir / "govwatch.toml"
            config_path.write_text(demo_config(portal.url) + CONSOLE_CHANNEL, encoding="utf-8")
            config = load_config(config_path)
            runner = CrawlRunner(factory, db_url, config_path)
            runner.warm()  # both crawls fork their processes from one zygote
            console.print(
                Panel.fit(
                    f"内置演示门户 [bold]{portal.url}[/]（离线，仅 127.0.0.1）\n"
                    f"数据库 {db_path}" + ("" if kept else "（演示结束后删除）"),
                    title="govwatch demo",
                )
            )
            first = _crawl_all(runner, console, "第一次抓取", DEMO_SOURCES)
            console.print(_runs_table("① 第一次抓取（状态 a）：建立基线", first))
            if not _completed(first):  # no baseline: a second crawl could not show anything
                return _verdict(console, [], first, time.monotonic() - started, workdir if kept else None)
            _text, baseline = _notify(factory, config.channels)
            console.print(f"   首次抓取的 {baseline} 个“新增文件”事件已作为基线通知发出（此处从略）。\n")
            portal.set_state("b")
            console.print(
                Panel.fit(
                    "· 修订两项目标（地区生产总值、社会消费品零售总额）\n"
                    "· 废止一份文件（有效 → 废止）\n"
                    "· 删除一个页面（404），发布一份新通知\n"
                    "· 其余页面只有噪声：浏览次数、时钟、令牌、繁简切换",
                    title="② 门户切换到状态 b",
                )
            )
            second = _crawl_all(runner, console, "第二次抓取", DEMO_SOURCES)
            console.print(_runs_table("③ 第二次抓取（状态 b）", second))
            digest, _sent = _notify(factory, config.channels)
            console.print(Panel(escape(digest.strip() or "（没有通知）"), title="④ 变更通知（console 渠道）"))
            from portal import site

            with factory() as session:
                console.print(_history(session, portal.url + site.ART_PRIORITIES))
                console.print(_target_diff(session, portal.url + site.ART_PRIORITIES))
                checks = _check(session, portal.url, [r.run_id for r in second if r.run_id is not None])
    finally:
        if runner is not None:
            runner.close()
        engine.dispose()
    return _verdict(console, checks, first + second, time.monotonic() - started, workdir if kept else None)


def _completed(results: list[CrawlResult]) -> bool:
    return bool(results) and all(r.outcome in {"ok", "partial"} for r in results)


def _verdict(
    console: Console,
    checks: list[tuple[Expected, int]],
    results: list[CrawlResult],
    seconds: float,
    kept: Path | None,
) -> int:
    table = Table(title="⑦ 核对预期", title_justify="left")
    table.add_column("结果", no_wrap=True)
    table.add_column("预期", no_wrap=True)
    table.add_column("页面", overflow="fold")
    good = True
    for item, found in checks:
        ok = found == item.count
        good &= ok
        table.add_row("[green]✓[/]" if ok else f"[red]✗ 找到 {found} 项[/]", item.what, escape(item.path))
    crawled = _completed(results)
    if checks:
        console.print(table)
    if kept is not None:
        console.print(
            Group(
                f"数据保存在 {kept}。接着看看：",
                f"  export GOVWATCH_DATABASE_URL=sqlite:///{kept / 'govwatch-demo.db'}",
                "  govwatch changes    govwatch status    govwatch feed > changes.xml",
            )
        )
    if good and crawled and checks:
        console.print(
            f"[bold green]演示成功[/]：所有预期变化都已发现，噪声没有产生变化（用时 {seconds:.1f} 秒）。"
        )
        return 0
    if not crawled:
        failed = "、".join(
            f"{r.source}（{OUTCOME_LABELS.get(r.outcome, r.outcome)}）"
            for r in results
            if r.outcome not in {"ok", "partial"}
        )
        console.print(f"[bold red]演示失败[/]：抓取没有完成：{escape(failed)}。")
    else:
        console.print("[bold red]演示失败[/]：变化与预期不符（见上表）。")
    return 1
