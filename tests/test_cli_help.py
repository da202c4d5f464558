"""Every command answers --help, and the README's command table names every command."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scheduler.cli import COMMANDS, cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _paths() -> list[list[str]]:
    """Every command and subcommand, as the words that reach it."""
    ctx = click.Context(cli)
    paths: list[list[str]] = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in command.list_commands(ctx)]
    return paths


def test_every_registered_command_is_reachable() -> None:
    assert {p[0] for p in _paths()} == set(COMMANDS)


@pytest.mark.parametrize("words", _paths(), ids=" ".join)
def test_every_command_has_help(words: list[str]) -> None:
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage:")
    # A one-line description, not just the usage line.
    assert len([line for line in result.output.splitlines() if line.strip()]) >= 3


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name: str) -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"^\| `govwatch {re.escape(name)}\b", table, re.M), f"README lacks govwatch {name}"
