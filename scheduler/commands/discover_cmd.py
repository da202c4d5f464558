"""``govwatch sources --discover URL``: the column tree a crawl would walk from a URL.

A starting point for a sources file: each column's title, URL and how many documents it lists.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from scheduler.cli import EXIT_FAILURE, EXIT_USAGE, load_sources
from tracker.config import ConfigError, Settings, load_config


def run_discover(url: str, config_path: Path | None, as_json: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        click.echo(f"error: --discover needs an absolute http:// or https:// URL, got {url!r}", err=True)
        sys.exit(EXIT_USAGE)
    # The [settings] of an existing sources file (contact, delay), when there is one; a file
    # named but wrong is an error rather than an exploration with other settings.
    settings = Settings()
    if config_path:
        settings = load_sources(config_path).settings
    else:
        with contextlib.suppress(ConfigError):
            settings = load_config(None).settings
    from crawler.columns import discover, source_for

    source = source_for(url, settings)
    columns, errors = discover(source, settings)
    if as_json:
        for node in columns:
            record = {
                "title": node.title,
                "url": node.url,
                "parent": node.parent,
                "depth": node.depth,
                "documents": node.documents,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
    else:
        for node in columns:
            label = "起始页" if node.depth == 0 else node.title
            click.echo(f"{'  ' * node.depth}{label}  {node.url}  （{node.documents} 篇文件）")
        listed = [node.url for node in columns if node.documents and node.depth > 0]
        if listed:
            click.echo("\n# 可作为 govwatch.toml 的起点：")
            click.echo("[[source]]")
            host = parts.hostname or ""
            name = host.split(".")[1 if host.startswith("www.") else 0] if not host[-1:].isdigit() else "site"
            click.echo(f'name = "{name}"')
            click.echo("start_urls = [" + ", ".join(json.dumps(u) for u in listed) + "]")
            click.echo(f'allowed_hosts = ["{parts.hostname}"]')
    for error in errors:
        click.echo(f"warning: {error}", err=True)
    if not columns:
        click.echo(f"error: nothing could be read from {url}", err=True)
        sys.exit(EXIT_FAILURE)
