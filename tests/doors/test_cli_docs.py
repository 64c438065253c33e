"""Every command is documented: help text with an ``Example:`` line, and a mention in README.md.

As sqlite-utils does (tests/test_docs.py): the CLI and its docs cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

import pytest
import typer

from danvan.cli import app
from tests.helpers import README


def _is_group(command: Any) -> bool:
    # Typer vendors its own click: recognise groups by what they have, not by class.
    return hasattr(command, "commands")


def _walk(group: Any, prefix: str) -> list[tuple[str, Any]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if _is_group(command):
            found += _walk(command, path)
    return found


COMMANDS = _walk(typer.main.get_command(app), "danvan")
LEAVES = [(path, c) for path, c in COMMANDS if not _is_group(c)]


def test_the_cli_has_its_commands():
    names = {path for path, _ in COMMANDS}
    assert {"danvan submit", "danvan plan issue", "danvan serve", "danvan bench"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help(path, command):
    assert (command.help or "").strip(), f"{path} has no help text"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[p for p, _ in LEAVES])
def test_every_command_has_an_example(path, command):
    lines = (command.help or "").splitlines()
    examples = [line for line in lines if "Ví dụ:" in line or "Example:" in line]
    assert examples, f"{path}: no 'Ví dụ:' line in its help"
    assert any(path in line for line in examples), f"{path}: the example does not run {path}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_is_in_the_readme(path, command):
    if not README.exists():
        pytest.skip("README.md not written yet")
    assert path in README.read_text(encoding="utf-8"), f"README.md does not mention '{path}'"
