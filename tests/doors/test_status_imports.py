"""``danvan status`` imports only what it uses (issue 20: the command ≤ 0.5 s, and imports were
nearly all of it): not SQLModel nor the table classes (pydantic builds a model per table), not
SQLAlchemy at all (the reads run on the DB-API, ``models/dbapi.py``), not Pydantic nor
Pydantic-settings (settings: ``config/light.py``; Typer's coercion: ``danvan/cli/coerce.py``),
not Prefect, Apprise, Jinja or YAML, not the other commands' modules, and not rich for JSON or
CSV. A contract on what is imported, not a timing: timings are measured by hand
(docs/development.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from danvan.demo.sample import sample_dir

#: Never imported by ``danvan status`` of a whole cycle, whatever the format.
NEVER = (
    "sqlmodel", "sqlalchemy", "pydantic", "pydantic_core", "pydantic_settings", "typer._adapters",
    "danvan.models.tables", "danvan.models.tables_assist", "danvan.models.store",
    "danvan.models.versions", "danvan.models.bulk", "prefect", "apprise", "jinja2", "yaml",
    "openpyxl", "httpx", "holidays", "danvan.notify", "danvan.flows", "danvan.cli.cycle",
    "danvan.cli.ops", "danvan.cli.portal", "danvan.cli.amend", "danvan.tasks.revision",
)  # fmt: skip

#: The console script's own start (``from danvan.cli import main; sys.exit(main())``), then
#: what it imported, as JSON on the last line.
SCRIPT = """
import json, sys
sys.argv = ["danvan", *sys.argv[1:]]
from danvan.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def sample_cycle(sqlite_url: str, cli: Callable) -> str:
    """The sample province's 2024 cycle with one submission (the configured SQLite database)."""
    sample = sample_dir()
    for argv in (
        ["org", "import", f"{sample}/org.yaml", "--at", "2024-02-17T08:00"],
        ["plan", "issue", f"{sample}/plan.yaml", "--at", "2024-02-17T09:00"],
        ["submit", f"{sample}/bao-cao/QNG.BSN.X07.yaml", "--at", "2024-11-08T10:00"],
    ):
        assert cli(*argv).exit_code == 0, argv
    return sqlite_url


def _status_modules(url: str, cwd: Path, *argv: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANVAN_", "PREFECT_"))}
    env["DANVAN_DATABASE_URL"] = url
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, "status", "--cycle", "2024", "--at", "2024-11-12T08:00",
         *argv],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    done = json.loads(r.stdout.strip().splitlines()[-1])
    assert done["code"] in (0, None), r.stderr[-2000:]
    return set(done["modules"])


@pytest.mark.parametrize("unit", [[], ["--unit", "QNG.BSN.X07"]], ids=["cycle", "unit"])
@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_status_imports_only_what_it_uses(
    sample_cycle: str, tmp_path: Path, fmt: str, unit: list[str]
) -> None:
    modules = _status_modules(sample_cycle, tmp_path, "--format", fmt, *unit)
    assert "danvan.tasks.views" in modules  # the read ran through the one core entry point
    found = sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in NEVER))
    assert found == []
    if fmt != "table" or unit:  # the table is printed by rich; JSON and CSV need none of it
        assert not any(m == "rich" or m.startswith("rich.") for m in modules)
