"""Many parties at once (SPEC §4.1), with real processes of the real CLI started together.

Every scenario runs on SQLite and on PostgreSQL. What must hold whatever the interleaving: every
process exits 0 or 1 with a message and never a traceback; every accepted file is recorded
exactly once, with versions 1..N per unit; a file accepted before ``publish`` commits is in the
published results; nothing is sent twice; concurrent compiles leave finished, identical files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from danvan.flows.compile import compile_reports
from danvan.models.db import get_engine
from danvan.rules.timing import parse_instant
from tests.helpers.province import issue_small_cycle
from tests.helpers.sinks import running_http_sink
from tests.helpers.together import child_env, run_together

pytestmark = pytest.mark.concurrency

N = 6  # submitters of one unit
BATCHES = 3  # concurrent batches, each with a file for every other unit


def submission(folder: Path, unit: str, score: float, report: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"unit": unit, "year": 2024, "submitted_by": "Người thử",
           "scores": {"1": score, "2": 40}, "figures": {}}  # fmt: skip
    if report is not None:
        (folder / "bao-cao.docx").write_bytes(report)
        doc["report_file"] = "bao-cao.docx"
    path = folder / f"{unit}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def clean(results) -> None:  # type: ignore[no-untyped-def]
    for r in results:
        assert "Traceback" not in r.stdout + r.stderr, r.stderr
        assert "[internal_error]" not in r.stderr and "[db_" not in r.stderr, r.stderr
        assert r.code in (0, 1), (r.argv, r.code, r.stderr)
        if r.code == 1:
            assert re.search(r"\[[a-z_]+\]", r.stderr), r.stderr  # a message with its code


def rows(sql: str) -> list[tuple]:
    with get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_everyone_at_once(db_url: str, tmp_path: Path) -> None:
    env = child_env(db_url)
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=sink.url("notify"))
        sink.requests.clear()

        # --- remind × remind at the same instant: every message once --------------------------
        results = run_together([["remind", "--cycle", "2024", "--at", "2024-11-07T08:00"]] * 2,
                               env=env, workdir=tmp_path)  # fmt: skip
        clean(results)
        assert all(r.code == 0 for r in results)
        sent = rows(
            "select count(*) from delivery where status = 'sent' and kind != 'announcement'"
        )[0][0]
        assert sent > 0 and len(sink.requests) == sent
        seen = Counter((q.path, q.body["title"]) for q in sink.requests)
        assert max(seen.values()) == 1, seen

    # --- N submitters of one unit, and batches of every other unit, together --------------
    # byte-identical report files attached by different units at once (content-addressed)
    others = ["TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X02"]
    commands = [
        ["submit", str(submission(tmp_path / f"one-{i}", "TST.H01.X01", 1 + i)), "--at",
         "2024-11-08T10:00"] for i in range(N)
    ]  # fmt: skip
    for b in range(BATCHES):
        files = [
            str(submission(tmp_path / f"batch-{b}-{u}", u, 10 + b, report=b"same report"))
            for u in others
        ]
        commands.append(["submit", *files, "--at", "2024-11-08T10:00"])
    results = run_together(commands, env=env, workdir=tmp_path)
    clean(results)
    assert all(r.code == 0 for r in results), [r.stderr for r in results if r.code]
    versions = rows(
        "select u.code, s.version from submission s join unit u on u.id = s.unit_id"
        " order by u.code, s.version"
    )
    per_unit: dict[str, list[int]] = {}
    for code, version in versions:
        per_unit.setdefault(code, []).append(version)
    assert per_unit["TST.H01.X01"] == list(range(1, N + 1))
    for u in others:
        assert per_unit[u] == list(range(1, BATCHES + 1)), u
    # each accepted file exactly once (distinct contents: distinct sha256)
    shas = [s for (s,) in rows("select file_sha256 from submission")]
    assert len(shas) == len(set(shas)) == N + BATCHES * len(others)
    assert rows("select count(*) from submission where report_sha256 is not null")[0][
        0
    ] == BATCHES * len(others)

    # --- compile × compile into one folder ------------------------------------------------
    out = tmp_path / "out"
    argv = ["compile", "--cycle", "2024", "--out", str(out), "--at", "2024-11-29T16:00"]
    results = run_together([argv] * 2, env=env, workdir=tmp_path)
    clean(results)
    assert all(r.code == 0 for r in results), [r.stderr for r in results]
    reference = tmp_path / "reference"  # the same compilation, alone
    compile_reports.fn(2024, parse_instant("2024-11-29T16:00"), str(reference))
    for folder in reference.iterdir():
        names = sorted(p.name for p in (out / folder.name).iterdir())
        assert names == sorted(p.name for p in folder.iterdir())  # no staging left behind
        for f in folder.iterdir():
            assert f.read_bytes() == (out / folder.name / f.name).read_bytes(), f

    # --- publish × publish × late submitters ------------------------------------------------
    approved = run_together(
        [["approve", "--cycle", "2024", "--by", "TST", "--at", "2024-11-30T08:30"]],
        env=env,
        workdir=tmp_path,
    )
    clean(approved)
    commands = [["publish", "--cycle", "2024", "--at", "2024-11-30T09:00"]] * 2
    commands += [
        ["submit", str(submission(tmp_path / f"late-{i}", "TST.H01.X01", 30 + i)), "--at",
         "2024-11-30T09:00"] for i in range(4)
    ]  # fmt: skip
    results = run_together(commands, env=env, workdir=tmp_path)
    clean(results)
    published = [r for r in results[:2]]
    assert all(r.code == 0 for r in published)
    assert sorted("trước đó" in r.stdout for r in published) == [False, True]  # once
    accepted = [r for r in results[2:] if r.code == 0]
    rejected = [r for r in results[2:] if r.code == 1]
    assert all("[cycle_closed]" in r.stderr for r in rejected), [r.stderr for r in rejected]
    (latest,) = rows(
        "select max(s.version) from submission s join unit u on u.id = s.unit_id"
        " where u.code = 'TST.H01.X01'"
    )
    assert latest[0] == N + len(accepted)  # every accepted file recorded, versions still 1..N
    (total,) = rows(
        "select r.total, s.self_total from result r join unit u on u.id = r.unit_id"
        " join submission s on s.unit_id = r.unit_id and s.version ="
        f" {latest[0]} where u.code = 'TST.H01.X01'"
    )
    assert total[0] == total[1]  # the last accepted version is the published one
    assert rows("select count(*) from result")[0][0] == 5  # frozen once


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    import json

    return json.loads(result.stdout)


def test_the_same_org_import_and_plan_issue_at_once(db_url: str, tmp_path: Path) -> None:
    """Two ``org import`` of one file, then two ``plan issue`` of one plan, started together:
    both exit 0, the second answering as if it came after the first (nothing new / already
    issued), and each thing is recorded once. Then two imports of one change: one makes it,
    the other finds it made."""
    from tests.helpers.province import ISSUE_AT, UNITS, write_province

    env = child_env(db_url)
    write_province(tmp_path)
    org = ["org", "import", str(tmp_path / "org.yaml"), "--at", ISSUE_AT, "--format", "json"]
    results = run_together([org] * 3, env=env, workdir=tmp_path)
    clean(results)
    assert all(r.code == 0 for r in results), [r.stderr for r in results]
    answers = sorted((a["created"], a["unchanged"]) for a in map(_json, results))
    assert answers == [(0, len(UNITS)), (0, len(UNITS)), (len(UNITS), 0)]
    assert rows("select count(*) from unit")[0][0] == len(UNITS)
    assert rows("select count(*) from unit_version")[0][0] == len(UNITS)

    for n, year in enumerate((2024, 2025), start=1):  # two rounds: the race is not every time
        plan = ["plan", "issue", str(_plan_of(tmp_path, year)), "--at", f"{year}-02-17T09:00",
                "--format", "json"]  # fmt: skip
        results = run_together([plan] * 3, env=env, workdir=tmp_path)
        clean(results)
        assert all(r.code == 0 for r in results), [r.stderr for r in results]
        assert sorted(_json(r)["created"] for r in results) == [False, False, True]
        assert rows("select count(*) from cycle")[0][0] == n
        assert rows("select count(*) from audit_log where action = 'plan_issue'")[0][0] == n
    assert rows("select count(*) from criteria_set")[0][0] == 1

    changed = yaml.safe_load((tmp_path / "org.yaml").read_text("utf-8"))
    changed["units"][-1]["name"] = "Ủy ban nhân dân xã Hai (mới)"
    (tmp_path / "org.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), "utf-8")
    results = run_together([org] * 2, env=env, workdir=tmp_path)
    clean(results)
    assert all(r.code == 0 for r in results), [r.stderr for r in results]
    assert sorted(_json(r)["updated"] for r in results) == [0, 1]
    assert rows("select count(*) from unit_version")[0][0] == len(UNITS)  # amended in place
    assert rows("select name from unit where code = 'TST.H01.X02'")[0][0].endswith("(mới)")


def _plan_of(folder: Path, year: int) -> Path:
    """The small province's plan moved to ``year`` (same criteria file, same days)."""
    doc = yaml.safe_load((folder / "plan.yaml").read_text("utf-8"))
    doc["year"] = year
    doc["issued_on"] = f"{year}-02-17"
    doc["deadlines"] = {k: f"{year}{v[4:]}" for k, v in doc["deadlines"].items()}
    path = folder / f"plan-{year}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def test_the_same_decision_twice_at_once(db_url: str, tmp_path: Path) -> None:
    """The other writers that can meet themselves, each pair started together: two ``return`` of
    one unit (one returns it, the other is told it already is), two ``appraise`` of one file, two
    ``approve``, two ``portal links``. Every process answers: 0, or 1 with a rule's code."""
    from danvan.flows.intake import submit

    env = child_env(db_url, DANVAN_PORTAL_URL="https://portal.example")
    issue_small_cycle(tmp_path)
    files = [str(submission(tmp_path / "sub", u, 40)) for u in ("TST.H01.X01", "TST.H01.X02")]
    submit.fn(files, parse_instant("2024-11-08T10:00"))

    back = ["return", "--cycle", "2024", "--unit", "TST.H01.X01", "--by", "TST.H01", "--reason",
            "Thiếu số liệu", "--at", "2024-11-12T09:00"]  # fmt: skip
    results = run_together([back] * 2, env=env, workdir=tmp_path)
    clean(results)
    assert sorted(r.code for r in results) == [0, 1], [r.stderr for r in results]
    assert "[already_returned]" in next(r.stderr for r in results if r.code == 1)
    assert rows("select count(*) from submission_return")[0][0] == 1

    appraisal = tmp_path / "tham-dinh.yaml"
    appraisal.write_text(yaml.safe_dump({"year": 2024, "by": "TST.H01", "adjustments": [
        {"unit": "TST.H01.X02", "criterion": "1", "score": 35, "reason": "Kế hoạch chậm"}]},
        allow_unicode=True), "utf-8")  # fmt: skip
    argv = ["appraise", str(appraisal), "--at", "2024-11-15T09:00"]
    for pair in (
        [argv] * 2,
        [["approve", "--cycle", "2024", "--by", "TST", "--at", "2024-11-30T08:00"]] * 2,
        [["portal", "links", "--cycle", "2024", "--at", "2024-11-30T08:00"]] * 2,
    ):
        results = run_together(pair, env=env, workdir=tmp_path)
        clean(results)
        assert all(r.code == 0 for r in results), [r.stderr for r in results]
    assert rows("select count(*) from sign_off")[0][0] == 2  # each decision is kept


def test_two_inits_of_an_empty_database_at_once(db_url: str, tmp_path: Path) -> None:
    """``danvan init`` twice at once on an empty database: both exit 0, one schema."""
    from tests.helpers.db import make_pg_database

    if db_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp_path / 'empty.db'}", (lambda: None)
    else:
        url, drop = make_pg_database()
    try:
        results = run_together([["init"]] * 2, env=child_env(url), workdir=tmp_path)
        clean(results)
        assert all(r.code == 0 for r in results), [r.stderr for r in results]
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from alembic_version")).scalar() == 1
        engine.dispose()
    finally:
        drop()


def test_the_sqlite_busy_ceiling_is_a_setting(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``DANVAN_SQLITE_BUSY_SECONDS`` (default 30) is how long a writer waits in line for the
    write lock of the writers ahead of it; past it the writer gives up as ``[db_busy]``."""
    import time

    from sqlalchemy.exc import OperationalError

    from danvan.config.settings import get_settings
    from danvan.models.db import describe_failure, make_engine, transaction

    assert get_settings().sqlite_busy_seconds == 30
    monkeypatch.setenv("DANVAN_SQLITE_BUSY_SECONDS", "0.4")
    get_settings.cache_clear()
    holder, waiter = make_engine(sqlite_url), make_engine(sqlite_url)
    try:
        with waiter.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 400
        with transaction(holder) as ahead:
            ahead.execute(sa.text("select 1"))  # BEGIN IMMEDIATE: holds the write lock
            start = time.monotonic()
            with pytest.raises(OperationalError) as caught, transaction(waiter) as behind:
                behind.execute(sa.text("select 1"))
            waited = time.monotonic() - start
        assert 0.3 <= waited < 10, waited
        assert describe_failure(caught.value)[1] == "db_busy"
    finally:
        holder.dispose()
        waiter.dispose()
        get_settings.cache_clear()


@pytest.mark.slow
def test_sqlite_writers_wait_in_line_under_a_cpu_hog(sqlite_url: str, tmp_path: Path) -> None:
    """30 submits of one unit started together while every core spins: all are recorded
    (versions 1..30), none gives up ``[db_busy]``, although the whole line takes far longer than
    the busy ceiling (2 s here): a writer fails only when the line stops moving
    (``models.db.WriterLine``)."""
    import os
    import subprocess
    import sys

    issue_small_cycle(tmp_path)
    env = child_env(sqlite_url, DANVAN_SQLITE_BUSY_SECONDS="2")
    commands = [
        ["submit", str(submission(tmp_path / f"w-{i}", "TST.H01.X01", 1 + i % 30)), "--at",
         "2024-11-08T10:00"] for i in range(30)
    ]  # fmt: skip
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(2 * (os.cpu_count() or 2))
    ]
    try:
        results = run_together(commands, env=env, workdir=tmp_path, timeout=900)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    clean(results)
    assert all(r.code == 0 for r in results), [r.stderr for r in results if r.code]
    versions = [v for (v,) in rows("select version from submission order by version")]
    assert versions == list(range(1, 31))


def test_sqlite_commits_sync_at_checkpoints_unless_told_otherwise(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WAL with ``synchronous=NORMAL`` by default (a commit is not an ``fsync``: a power cut may
    lose the last commits, never corrupts); ``DANVAN_SQLITE_SYNCHRONOUS=full`` syncs each."""
    from danvan.config.settings import get_settings
    from danvan.models.db import make_engine

    def pragmas() -> tuple[str, int]:
        engine = make_engine(sqlite_url)
        try:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                return mode, conn.exec_driver_sql("PRAGMA synchronous").scalar()
        finally:
            engine.dispose()

    get_settings.cache_clear()
    try:
        assert pragmas() == ("wal", 1)  # NORMAL
        monkeypatch.setenv("DANVAN_SQLITE_SYNCHRONOUS", "full")
        get_settings.cache_clear()
        assert pragmas() == ("wal", 2)  # FULL
    finally:
        get_settings.cache_clear()
