"""Real OS processes started together: the concurrency and kill tests' only harness.

Each child imports danvan (the slow part), says it is ready, waits for a shared start file, then
runs the real console entry point with its argv. Starting them at one instant is what makes the
races real: without the barrier, the import time alone would serialise them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: What each command needs imported before the start (the slow part, done before the barrier).
PRELOAD = {
    "init": "danvan.models.schema alembic.command",
    "org": "danvan.tasks.org",
    "plan": "danvan.flows.plan danvan.tasks.views",
    "submit": "danvan.flows.intake",
    "remind": "danvan.flows.remind",
    "publish": "danvan.flows.publish",
    "resend": "danvan.flows.resend",
    "appraise": "danvan.flows.appraise",
    "compile": "danvan.flows.compile danvan.reports.chart danvan.reports.docx danvan.reports.xlsx",
}

_CHILD = r"""
import importlib, os, sys, time
start, ready = sys.argv[1], sys.argv[2]
import danvan.cli
for name in os.environ.get("TOGETHER_PRELOAD", "").split():
    importlib.import_module(name)
open(ready, "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(start) and time.monotonic() < deadline:
    time.sleep(0.002)
sys.argv = ["danvan", *sys.argv[3:]]
danvan.cli.main()
"""


@dataclass
class Finished:
    argv: list[str]
    code: int
    stdout: str
    stderr: str


def start(
    commands: list[list[str]], *, env: dict[str, str], workdir: Path
) -> list[subprocess.Popen[str]]:
    """Start one process per argv, all waiting at the barrier; returns once every one is released."""
    barrier = workdir / f"go-{time.monotonic_ns()}"
    procs = []
    for i, argv in enumerate(commands):
        ready = workdir / f"{barrier.name}-ready-{i}"
        preload = {**env, "TOGETHER_PRELOAD": PRELOAD.get(argv[0], "")}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(barrier), str(ready), *argv],
                env=preload,
                cwd=workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    pending = [workdir / f"{barrier.name}-ready-{i}" for i in range(len(commands))]
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if not p.exists()]
        time.sleep(0.01)
    barrier.touch()
    return procs


def run_together(
    commands: list[list[str]], *, env: dict[str, str], workdir: Path, timeout: float = 120
) -> list[Finished]:
    """Start them together and wait for all; every child's exit code and outputs."""
    procs = start(commands, env=env, workdir=workdir)
    out = []
    for argv, proc in zip(commands, procs, strict=True):
        stdout, stderr = proc.communicate(timeout=timeout)
        out.append(Finished(argv, proc.returncode, stdout, stderr))
    return out


def child_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "PYTEST"))}
    env["DANVAN_DATABASE_URL"] = db_url
    env.update(extra)
    return env
