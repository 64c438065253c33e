"""Killed at random points (SIGKILL: no cleanup runs), then run again (SPEC §4.1, §4.4).

``compile``: after the kill, every file under its final name is whole (byte-identical to an
undisturbed compilation), and the re-run leaves the folder byte-identical to it, staging gone.
``remind``: whatever the kill interrupted, the re-run sends nothing twice (counted at a real HTTP
sink) and leaves no message "sending": each is sent, or ``unknown`` when it was on the wire.
The kill points are drawn from fixed seeds, so a failure can be replayed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from danvan.flows.compile import compile_reports
from danvan.flows.remind import remind
from danvan.models.db import get_engine
from danvan.reports.outputs import is_complete
from danvan.rules.timing import parse_instant
from tests.helpers.province import issue_small_cycle, write_submission
from tests.helpers.sinks import running_http_sink
from tests.helpers.together import child_env, start

pytestmark = pytest.mark.concurrency
SEEDS = (1, 2, 3)


def killed(
    argv: list[str], env: dict[str, str], workdir: Path, after: float, once=lambda: True
) -> None:  # type: ignore[no-untyped-def]
    """Run ``argv`` and SIGKILL it ``after`` seconds once ``once()`` holds (polled)."""
    (proc,) = start([argv], env=env, workdir=workdir)
    deadline = time.monotonic() + 30
    while not once() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(after)
    proc.kill()
    proc.communicate(timeout=30)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_compile_killed_then_rerun(db_url: str, tmp_path: Path) -> None:
    issue_small_cycle(tmp_path)
    from danvan.flows.intake import submit

    paths = [str(write_submission(tmp_path, c, 40 + i)) for i, c in enumerate(["TST.SNV", "TST.H01.X01", "TST.H01.X02"])]  # fmt: skip
    submit.fn(paths, parse_instant("2024-11-08T10:00"))
    at = "2024-11-29T16:00"
    reference = tmp_path / "reference"
    compile_reports.fn(2024, parse_instant(at), str(reference))
    want = files(reference)
    out = tmp_path / "out"
    argv = ["compile", "--cycle", "2024", "--out", str(out), "--at", at]
    for seed in SEEDS:
        killed(argv, child_env(db_url), tmp_path, random.Random(seed).uniform(0.0, 2.0))
        if out.exists():  # whatever carries a final name is whole
            for name, data in files(out).items():
                if "/." not in f"/{name}":
                    assert data == want[name], (seed, name)
        compile_reports.fn(2024, parse_instant(at), str(out))
        assert files(out) == want, seed  # same names (no staging left), same bytes
        assert all(is_complete(out / c) for c in ("TST", "TST.H01"))


def test_remind_killed_then_rerun(db_url: str, tmp_path: Path) -> None:
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=sink.url("notify"))
        sink.requests.clear()
        sink.delay = 0.3  # slow answers: the kill lands while messages are on the wire
        env = child_env(db_url, DANVAN_NOTIFY_CONCURRENCY="2")
        days = ("2024-11-01T08:00", "2024-11-07T08:00", "2024-11-08T08:00")
        arrived: Counter = Counter()
        for seed, day in zip(SEEDS, days, strict=True):
            sink.requests.clear()
            # the first at any moment; the others while messages are on the wire
            after = random.Random(seed).uniform(0.0, 1.5 if seed == 1 else 0.6)
            on_wire = (lambda: True) if seed == 1 else (lambda: bool(sink.requests))
            killed(["remind", "--cycle", "2024", "--at", day], env, tmp_path, after, on_wire)
            remind.fn(2024, parse_instant(day))  # the next run
            time.sleep(sink.delay)  # let the last answer of the killed run's requests land
            today = Counter((q.path, q.body["title"]) for q in sink.requests)
            assert today and max(today.values()) == 1, (seed, today)  # nothing twice
            arrived += today
        sink.delay = 0
        sink.requests.clear()
        for day in days:  # and once more: nothing is left to send
            remind.fn(2024, parse_instant(day))
        assert sink.requests == []
        with get_engine().connect() as conn:
            states = dict(
                conn.execute(
                    sa.text(
                        "select status, count(*) from delivery where kind != 'announcement'"
                        " group by status"
                    )
                ).all()
            )
        assert set(states) <= {"sent", "unknown"}, states  # none left "sending" or pending
        assert "unknown" in states  # a kill did land while a chunk was on the wire
        assert states.get("sent", 0) <= sum(arrived.values()) <= sum(states.values())
