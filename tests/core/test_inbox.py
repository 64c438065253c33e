"""``submit --inbox``: every new file taken once, filed with its answer, the unit told."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlmodel import func, select

from danvan.models.db import get_engine, reading
from danvan.models.tables import Submission
from tests.helpers.province import YEAR, issue_small_cycle
from tests.helpers.sinks import running_http_sink


def _drop(inbox: Path, unit: str, score: float = 45, name: str | None = None) -> Path:
    doc = {
        "unit": unit,
        "year": YEAR,
        "submitted_by": "Người thử",
        "scores": {"1": score, "2": 40},
        "figures": {},
    }
    path = inbox / (name or f"{unit}.yaml")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def _versions() -> int:
    with reading(get_engine()) as session:
        return session.exec(select(func.count()).select_from(Submission)).one()


def test_inbox_files_answers_and_tells_the_unit(db_url, tmp_path, cli):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=f"json://127.0.0.1:{sink.port}")
        sink.requests.clear()
        _drop(inbox, "TST.H01.X01")
        _drop(inbox, "TST.H01.X02", score=51)  # over the maximum of 50
        (inbox / "bao-cao.docx").write_bytes(b"PK not a submission")
        (inbox / "~$TST.H01.X01.xlsx").write_bytes(b"office lock file")
        r = cli("submit", "--inbox", inbox, "--at", "2024-11-08T10:00", "--format", "json")
        assert r.exit_code == 0, r.stderr
        doc = r.json()
        assert sorted((f["file"], f["accepted"]) for f in doc["files"]) == [
            ("TST.H01.X01.yaml", True),
            ("TST.H01.X02.yaml", False),
        ]
        assert (inbox / "accepted" / "TST.H01.X01.yaml").exists()
        ok = (inbox / "accepted" / "TST.H01.X01.yaml.txt").read_text("utf-8")
        assert "ĐÃ NHẬN TST.H01.X01 phiên bản 1, đúng hạn" in ok
        why = (inbox / "rejected" / "TST.H01.X02.yaml.txt").read_text("utf-8")
        assert "scores.1: Điểm tiêu chí 1 là 51, vượt điểm tối đa 50. [score_out_of_range]" in why
        assert (inbox / "bao-cao.docx").exists() and (inbox / "~$TST.H01.X01.xlsx").exists()
        told = {req.path: req.body for req in sink.requests}
        assert "phiên bản 1" in told["/TST.H01.X01"]["title"]
        assert "vượt điểm tối đa 50" in told["/TST.H01.X02"]["message"]

        # Again: nothing new to take, nothing sent twice. The same name again: kept apart.
        sink.requests.clear()
        r = cli("submit", "--inbox", inbox, "--at", "2024-11-08T10:00", "--format", "json")
        assert r.json()["files"] == [] and sink.requests == []
        _drop(inbox, "TST.H01.X02")
        r = cli("submit", "--inbox", inbox, "--at", "2024-11-09T10:00", "--format", "json")
        assert [f["accepted"] for f in r.json()["files"]] == [True]
        assert (inbox / "accepted" / "TST.H01.X02.yaml").exists()
        assert (inbox / "rejected" / "TST.H01.X02.yaml").exists()
    assert _versions() == 2


def test_a_crashed_run_loses_no_file(sqlite_url, tmp_path, cli):
    """A claim left by a run that died (no lock held) goes back to the inbox and is taken."""
    issue_small_cycle(tmp_path)
    inbox = tmp_path / "inbox"
    dead = inbox / "processing" / "4242-deadbeef"
    dead.mkdir(parents=True)
    _drop(dead, "TST.H01.X01")
    (inbox / "processing" / "4242-deadbeef.lock").write_text("")
    r = cli("submit", "--inbox", inbox, "--at", "2024-11-08T10:00", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["recovered"] == ["TST.H01.X01.yaml"]
    assert [f["file"] for f in r.json()["files"]] == ["TST.H01.X01.yaml"]
    assert (inbox / "accepted" / "TST.H01.X01.yaml").exists()
    assert list((inbox / "processing").iterdir()) == []


_RUN = """
import sys
from danvan.cli import app
sys.argv = ["danvan", "submit", "--inbox", sys.argv[1], "--at", "2024-11-08T10:00",
            "--format", "json"]
app()
"""


def test_two_concurrent_runs_never_take_the_same_file(db_url, tmp_path):
    issue_small_cycle(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for unit in ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"):
        for i in range(4):  # versions sent as different files
            _drop(inbox, unit, score=40 + i, name=f"{unit}-{i}.yaml")
    env = {**os.environ}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUN, str(inbox)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in runs]
    import json

    assert all(p.returncode == 0 for p in runs), [e for _, e in outputs]
    taken = [f["file"] for out, _ in outputs for f in json.loads(out)["files"]]
    assert sorted(taken) == sorted(p.name for p in (inbox / "accepted").glob("*.yaml"))
    assert len(taken) == len(set(taken)) == 20
    assert _versions() == 20
    assert list((inbox / "processing").iterdir()) == []


def test_an_inbox_is_recorded_set_wise_through_the_batch(db_url, tmp_path, cli):
    """The inbox is a door around ``submit``'s batch: 14 files are recorded in chunks of 1, 2,
    4, … (a handful of ``INSERT INTO submission``, not one per file), each still answered and
    filed on its own; two files of one unit are versions 1 and 2 in name order; a report and
    evidence named by a file are read from the inbox, where they stay."""
    import sqlalchemy as sa

    issue_small_cycle(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    units = ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X02")
    for i in range(12):
        _drop(inbox, units[i % 4], score=30 + i, name=f"{i:02d}-{units[i % 4]}.yaml")
    doc = {"unit": "TST.H01.X01", "year": YEAR, "submitted_by": "Người thử",
           "scores": {"1": 45, "2": 40}, "figures": {},
           "report_file": "bao-cao-x01.docx", "evidence": {"1": ["ke-hoach.pdf"]}}  # fmt: skip
    (inbox / "12-x01.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    (inbox / "bao-cao-x01.docx").write_bytes(b"PK report")
    (inbox / "ke-hoach.pdf").write_bytes(b"%PDF plan")
    (inbox / "13-hong.json").write_text("{not json", "utf-8")

    inserts: list[object] = []

    def seen(conn, clause, *args):  # type: ignore[no-untyped-def]
        if isinstance(clause, sa.Insert) and clause.table.name == "submission":
            inserts.append(clause)

    engine = get_engine()
    sa.event.listen(engine, "before_execute", seen)
    try:
        r = cli("submit", "--inbox", inbox, "--at", "2024-11-08T10:00", "--format", "json")
    finally:
        sa.event.remove(engine, "before_execute", seen)
    assert r.exit_code == 0, r.stderr
    files = r.json()["files"]
    assert [(f["file"], f["accepted"]) for f in files] == [
        *[(f"{i:02d}-{units[i % 4]}.yaml", True) for i in range(12)],
        ("12-x01.yaml", True),
        ("13-hong.json", False),
    ]
    assert [f["version"] for f in files[:12]] == [1] * 4 + [2] * 4 + [3] * 4
    assert len(inserts) == 4  # chunks of 1, 2, 4, 7 files: one insert each
    for f in files:
        folder = inbox / ("accepted" if f["accepted"] else "rejected")
        assert (folder / f["file"]).exists() and (folder / f"{f['file']}.txt").exists()
    assert "[invalid_json]" in (inbox / "rejected" / "13-hong.json.txt").read_text("utf-8")
    assert (inbox / "bao-cao-x01.docx").exists() and (inbox / "ke-hoach.pdf").exists()
    assert list((inbox / "processing").iterdir()) == []
    st = cli("status", "--cycle", YEAR, "--unit", "TST.H01.X01", "--format", "json")
    (v1,) = st.json()["versions"]
    assert [(f["role"], f["file_name"]) for f in v1["files"]] == [
        ("report", "bao-cao-x01.docx"),
        ("evidence", "ke-hoach.pdf"),
    ]
    assert _versions() == 13


def test_a_file_whose_answer_cannot_be_written_is_answered_by_the_next_run(pg_url, tmp_path):
    """No room for the answers (``RLIMIT_FSIZE``: every write past 16 bytes fails, as on a full
    disk; PostgreSQL, so the database is not a file of the process): the first file is
    recorded, its answer cannot be written, the run stops ``[os_error]`` naming the files put
    back. No file sits in accepted/ without its answer, none is lost: the next run answers the
    first "received before" and takes the others."""
    import json
    import resource

    from tests.helpers.together import child_env

    issue_small_cycle(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = [_drop(inbox, u, name=f"{i}-{u}.yaml").name
             for i, u in enumerate(("TST.SNV", "TST.H01", "TST.H01.X01"))]  # fmt: skip

    def run(room: int | None) -> subprocess.CompletedProcess:
        def small_disk() -> None:
            if room is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

        return subprocess.run([sys.executable, "-c", _RUN, str(inbox)], env=child_env(pg_url),
                              cwd=tmp_path, preexec_fn=small_disk, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    cut = run(room=16)
    assert cut.returncode == 1 and "[os_error]" in cut.stderr, cut.stderr
    assert "Traceback" not in cut.stderr and "[not_reached]" in cut.stderr
    assert all(name in cut.stderr for name in names[1:])
    assert [p.name for p in (inbox / "accepted").iterdir()] == []
    assert sorted(p.name for p in inbox.glob("*.yaml")) == names[1:]
    assert _versions() == 1

    again = run(room=None)
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["recovered"] == names[:1]
    assert [(f["file"], f["accepted"], f["duplicate"]) for f in doc["files"]] == [
        (names[0], True, True), (names[1], True, False), (names[2], True, False),
    ]  # fmt: skip
    for name in names:
        assert (inbox / "accepted" / f"{name}.txt").read_text("utf-8").startswith(name)
    assert list((inbox / "processing").iterdir()) == [] and _versions() == 3
