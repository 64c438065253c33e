"""`import prefect` costs about a second: the officials' everyday commands never pay it, whether
or not a Prefect server is configured (they record first and report over plain HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from danvan.demo.sample import sample_dir

SCRIPT = """
import sys
from typer.testing import CliRunner
from danvan.cli import app

run = lambda *a: CliRunner().invoke(app, list(a))
sample = sys.argv[1]
for argv in (
    ["init"],
    ["org", "import", f"{sample}/org.yaml", "--at", "2024-02-17T08:00"],
    ["plan", "issue", f"{sample}/plan.yaml", "--at", "2024-02-17T09:00"],
    ["submit", f"{sample}/bao-cao/QNG.BSN.X07.yaml", "--at", "2024-11-08T10:00"],
    ["status", "--cycle", "2024", "--at", "2024-11-12T08:00", "--format", "json"],
    ["remind", "--cycle", "2024", "--at", "2024-11-12T08:00", "--dry-run"],
):
    r = run(*argv)
    assert r.exit_code == 0, (argv, r.output)
print("prefect" in sys.modules)
"""


@pytest.mark.parametrize("api", [None, "http://127.0.0.1:1/api"], ids=["no-api", "api-down"])
def test_everyday_commands_never_import_prefect(tmp_path: Path, api: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANVAN_", "PREFECT_"))}
    env["DANVAN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'danvan.db'}"
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # no profile of this machine's
    if api:
        env["PREFECT_API_URL"] = api
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(sample_dir())],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "False"
