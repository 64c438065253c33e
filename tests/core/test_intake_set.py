"""Intake set-wise (issue 20): a batch is recorded a chunk of files per transaction, yet each
file is answered on its own terms — a refused file writes nothing, two files of one unit in one
chunk are versions N+1 and N+2 (or "received before"), and the receipts of the accepted files
are queued with them, once per version, and sent."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from sqlmodel import select

from danvan.models.db import get_engine, reading
from danvan.models.tables import AuditEntry, Delivery, Submission
from tests.helpers.province import YEAR, at, issue_small_cycle
from tests.helpers.sinks import running_http_sink

AT = "2024-11-08T10:00"


def _file(folder: Path, name: str, unit: str, score: float) -> str:
    doc = {"unit": unit, "year": YEAR, "submitted_by": "Người thử",
           "scores": {"1": score, "2": 40}, "figures": {}}  # fmt: skip
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return str(path)


def _recorded() -> list[tuple[str, int]]:
    with reading(get_engine()) as session:
        rows = session.exec(select(Submission.file_name, Submission.version)).all()
        audit = session.exec(select(AuditEntry.entity_key).where(AuditEntry.action == "submit"))
        keys = sorted(audit.all())
    assert len(keys) == len(rows)  # one audit entry per version, none for a refused file
    return sorted(rows)


def test_a_batch_answers_each_file_on_its_own_terms(db_url: str, tmp_path: Path) -> None:
    from danvan.flows.intake import submit
    from danvan.tasks import intake

    files = tmp_path / "tep"
    files.mkdir()
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=f"json://127.0.0.1:{sink.port}")
        sink.requests.clear()
        a1 = _file(files, "a1.yaml", "TST.H01.X01", 45)
        bad = _file(files, "bad.yaml", "TST.H01.X02", 51)  # over the maximum of 50
        a2 = _file(files, "a2.yaml", "TST.H01.X01", 44)
        again = str(files / "a2-again.yaml")
        shutil.copy(a2, again)  # the very bytes of a2: "received before", version 2
        b1 = _file(files, "b1.yaml", "TST.H01.X02", 40)
        paths = [a1, bad, a2, again, b1]
        heard: list[dict] = []
        answers = submit.fn(paths, at(AT), on_answer=heard.append)
        assert heard == answers
        assert [(a["accepted"], a["version"], a["duplicate"]) for a in answers] == [
            (True, 1, False),
            (False, None, False),
            (True, 2, False),
            (True, 2, True),
            (True, 1, False),
        ]
        assert answers[1]["problems"][0]["code"] == "score_out_of_range"
        assert _recorded() == [("a1.yaml", 1), ("a2.yaml", 2), ("b1.yaml", 1)]
        assert intake.CHUNK > 1  # a chunk of several files: the set was recorded together

        # each accepted version told once, and sent (only those messages)
        with reading(get_engine()) as session:
            told = session.exec(select(Delivery.kind, Delivery.status)).all()
        receipts = sorted((k, s) for k, s in told if k.startswith("receipt"))
        assert receipts == [("receipt-v1", "sent"), ("receipt-v1", "sent"), ("receipt-v2", "sent")]
        assert len(sink.wait_for(3)) == 3

        # the whole batch again, in order: a1 differs from the latest (a2) and is version 3,
        # a2 then version 4, its copy "received before" (4), b1 "received before" (1)
        second = submit.fn(paths, at(AT))
        assert [(a["accepted"], a["version"], a["duplicate"]) for a in second] == [
            (True, 3, False),
            (False, None, False),
            (True, 4, False),
            (True, 4, True),
            (True, 1, True),
        ]
        assert _recorded() == [
            ("a1.yaml", 1), ("a1.yaml", 3), ("a2.yaml", 2), ("a2.yaml", 4), ("b1.yaml", 1),
        ]  # fmt: skip
