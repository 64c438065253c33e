"""The console script loads only the asked command's module (``COMMAND_MODULES``): each
command must be defined by the modules it is mapped to, and every command must be mapped (an
unmapped one still works, by loading every module, but loses the fast start)."""

from __future__ import annotations

import json
import subprocess
import sys

import typer

import danvan.cli as cli

#: Loads only the given command modules in a fresh interpreter, prints the commands defined.
SCRIPT = """
import json, sys, typer
import danvan.cli as cli
app = cli.load_commands(tuple(sys.argv[1:]))
print(json.dumps(sorted(typer.main.get_command(app).commands)))
"""


def test_every_command_is_mapped_to_a_module() -> None:
    names = set(typer.main.get_command(cli.app).commands)
    assert names == set(cli.COMMAND_MODULES)


def test_each_command_is_defined_by_the_modules_it_is_mapped_to() -> None:
    for modules in set(cli.COMMAND_MODULES.values()):
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, *modules], capture_output=True, text=True, check=True
        )
        defined = set(json.loads(out.stdout.splitlines()[-1]))
        mapped = {name for name, mods in cli.COMMAND_MODULES.items() if mods == modules}
        assert mapped <= defined, (modules, mapped - defined)
