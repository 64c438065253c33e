"""A user's own script that calls the CLI or the ``compile`` flow at its top level, with no
``if __name__ == "__main__":`` guard: the compile's writer processes (a forkserver's) must not
run that script again. They used to (multiprocessing prepares every new process by re-running
the main module), each writer then started a compile of its own, and the script's compile ended
``[internal_error]`` with no word of why. Real scripts, run by a real interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import portal as h

#: Each run of the script adds a line to ``ran.txt``; at exit it prints how many folders the
#: writer processes wrote (``WORKER_CPU`` grows by one per folder a worker wrote).
PROLOGUE = """\
import atexit, os, sys
from pathlib import Path
with open("ran.txt", "a", encoding="utf-8") as f:
    f.write(f"{os.getpid()}\\n")
import danvan.tasks.compile as pool
pool.COMPILERS_PER_WORKER = 1  # the sample's three compilers: two writer processes
atexit.register(lambda: print("by-workers", len(pool.WORKER_CPU), flush=True))
"""

CLI_SCRIPT = (
    PROLOGUE
    + """\
from danvan.cli import main
sys.argv = ["danvan", "compile", "--cycle", "2024", "--out", "out-cli",
            "--at", "2024-11-29T16:00", "--format", "json"]
main()
"""
)

FLOW_SCRIPT = (
    PROLOGUE
    + """\
import json
from danvan.flows.compile import compile_reports
from danvan.rules.timing import parse_instant
doc = compile_reports(2024, parse_instant("2024-11-29T16:00", "Asia/Ho_Chi_Minh"), "out-flow")
print(json.dumps([c["compiler"] for c in doc["compiled"]]))
"""
)


def _run(folder: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    (folder / name).write_text(text, encoding="utf-8")
    (folder / "ran.txt").unlink(missing_ok=True)
    env = {**os.environ, "DANVAN_COMPILE_WORKERS": "2"}
    env.pop("DANVAN_USE_PREFECT", None)
    return subprocess.run(
        [sys.executable, name], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def _submitted(folder: Path) -> None:
    from danvan.flows.intake import submit

    sent = [h.write_json(folder / f"{c}.json", h.submission(c)) for c in (h.UNIT, h.OTHER)]
    submit.fn([str(p) for p in sent], h.at("2024-11-08T09:00"))


def test_a_script_without_a_main_guard_compiles_with_writer_processes(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The CLI's ``main()`` and the flow, each called at a script's top level: the compile is
    written by two writer processes, the script ran once (never again in a writer), exit 0."""
    h.set_up_province(tmp_path / "p")
    _submitted(tmp_path)
    expected = ["QNG.BSN", "QNG.STH", "QNG"]

    r = _run(tmp_path, "tong_hop_cli.py", CLI_SCRIPT)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "[internal_error]" not in r.stderr and "Traceback" not in r.stderr
    assert len((tmp_path / "ran.txt").read_text("utf-8").splitlines()) == 1
    doc, workers = r.stdout.rsplit("\nby-workers ", 1)
    assert sorted(c["compiler"] for c in json.loads(doc)["compiled"]) == sorted(expected)
    assert int(workers) == 2  # the two districts by the workers, the province by a thread
    for code in expected:
        assert (tmp_path / "out-cli" / code / f"bao-cao-tong-hop-{code}-2024.docx").is_file()

    r = _run(tmp_path, "tong_hop_flow.py", FLOW_SCRIPT)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len((tmp_path / "ran.txt").read_text("utf-8").splitlines()) == 1
    compiled, workers = r.stdout.splitlines()[-2:]
    assert sorted(json.loads(compiled)) == sorted(expected) and workers == "by-workers 2"
    for code in expected:
        one = f"{code}/bao-cao-tong-hop-{code}-2024.docx"
        assert (tmp_path / "out-flow" / one).read_bytes() == (
            tmp_path / "out-cli" / one
        ).read_bytes()


def test_a_writer_killed_is_said_plainly() -> None:
    """A writer process that dies (the kernel's out-of-memory killer, a signal) breaks the pool:
    the compile answers with what happened and what to do, and its own code, not
    ``[internal_error]``."""
    from concurrent.futures.process import BrokenProcessPool

    from danvan.models.db import describe_failure

    sentence, code = describe_failure(BrokenProcessPool("A child process terminated abruptly"))
    assert code == "compile_worker_died"
    assert "tiến trình ghi báo cáo đã dừng đột ngột" in sentence
    assert "DANVAN_COMPILE_WORKERS=1" in sentence and "child process" not in sentence
