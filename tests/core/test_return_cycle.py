"""SPEC §3.6 through the CLI: returned → reminded → escalated → revised → compiled.

Small province (tests/helpers/province.py): self-assessment deadline Sun 10/11/2024, revision
within 5 working days. TST.H01.X01 is returned on Tue 12/11 → revise_by Tue 19/11; reminded on
Mon 18/11 (1 day before); its district is told on Thu 21/11 (2 days over); it revises on Fri
22/11, 3 days late from revise_by. TST.H01.X02 is returned by a file and still revising when
the district compiles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers.province import YEAR, write_province, write_submission
from tests.helpers.sinks import running_http_sink

pytestmark = pytest.mark.slow


def test_a_returned_unit_goes_all_the_way(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    y = str(YEAR)
    with running_http_sink() as sink:
        write_province(tmp_path, contact=sink.url("u"))
        assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
        assert (
            cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-02-17T09:00").exit_code == 0
        )
        for unit in ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"):
            r = cli("submit", write_submission(tmp_path, unit), "--at", "2024-11-08T10:00")
            assert r.exit_code == 0, r.stderr

        # who may return what
        bad = [
            ("TST.SNV", "TST.H01.X01", "not_a_compiler"),  # a department compiles nobody
            ("TST.H01", "TST.SNV", "not_your_unit"),  # the district does not compile the province's
        ]
        for by, unit, code in bad:
            r = cli("return", "--cycle", y, "--unit", unit, "--by", by, "--reason", "x")
            assert r.exit_code == 1 and f"[{code}]" in r.stderr, r.stderr
        r = cli("return", "--cycle", y, "--unit", "TST.H01.X01")
        assert r.exit_code == 2  # usage: options missing

        r = cli(
            "return", "--cycle", y, "--unit", "TST.H01.X01", "--by", "TST.H01",
            "--reason", "Thiếu số liệu tiếp công dân", "--at", "2024-11-12T09:00", "--format", "json",
        )  # fmt: skip
        assert r.exit_code == 0, r.stderr
        doc = r.json()
        assert doc["revise_by"] == "2024-11-19"
        assert doc["returned"] == [
            {"unit": "TST.H01.X01", "version": 1, "reason": "Thiếu số liệu tiếp công dân"}
        ]
        [notice] = [s for s in doc["sent"] if s["kind"] == "returned"]
        assert notice["unit"] == "TST.H01.X01" and notice["milestone"] == "revision"
        told = [q for q in sink.requests if q.path.endswith("/TST.H01.X01")][-1].body
        assert "Thiếu số liệu tiếp công dân" in told["message"] and "19 tháng 11" in told["message"]

        # the same unit again while it is revising; the province may return any unit (above)
        r = cli("return", "--cycle", y, "--unit", "TST.H01.X01", "--by", "TST", "--reason", "y")
        assert r.exit_code == 1 and "[already_returned]" in r.stderr

        # the returned file sent again is not "received": it stays returned (issue 17)
        same = write_submission(tmp_path, "TST.H01.X01")
        r = cli("submit", same, "--at", "2024-11-12T09:30")
        assert r.exit_code == 1 and "[returned_same_file]" in r.stderr, r.stdout + r.stderr
        assert "phiên bản 1 đã bị trả lại" in r.stderr and "19/11/2024" in r.stderr
        assert "ĐÃ NHẬN" not in (r.stdout + r.stderr).upper()

        status = cli("status", "--cycle", y, "--at", "2024-11-12T10:00", "--format", "json").json()
        x01 = {u["code"]: u for u in status["units"]}["TST.H01.X01"]
        assert x01["status"] == "returned" and x01["revise_by"] == "2024-11-19"
        assert x01["return_reason"] == "Thiếu số liệu tiếp công dân"
        assert status["summary"]["returned"] == 1 and status["summary"]["submitted"] == 5
        table = cli("status", "--cycle", y, "--at", "2024-11-12T10:00")
        assert "1 đang bổ sung" in table.stdout
        csv = cli("status", "--cycle", y, "--at", "2024-11-12T10:00", "--format", "csv")
        assert "TST.H01.X01" in csv.stdout and ',"trả lại, đang bổ sung",' in csv.stdout

        # reminded the day before revise_by …
        r = cli("remind", "--cycle", y, "--at", "2024-11-18T08:00", "--format", "json").json()
        revision = [s for s in r["sent"] if s["milestone"] == "revision"]
        assert [(s["unit"], s["kind"], s["ok"]) for s in revision] == [
            ("TST.H01.X01", "revision", True)
        ]
        again = cli("remind", "--cycle", y, "--at", "2024-11-18T08:00", "--format", "json").json()
        assert [s for s in again["sent"] if s["milestone"] == "revision"] == []  # never twice

        # … its district is told once it is over
        r = cli("remind", "--cycle", y, "--at", "2024-11-21T08:00", "--format", "json").json()
        revision = [s for s in r["sent"] if s["milestone"] == "revision"]
        assert [(s["unit"], s["kind"], s["about"]) for s in revision] == [
            ("TST.H01", "escalation", ["TST.H01.X01"])
        ]

        # several at once, from a file; X02 will still be revising at compilation
        file = tmp_path / "tra-lai.yaml"
        file.write_text(
            yaml.safe_dump(
                {"year": YEAR, "by": "TST.H01", "returns": [
                    {"unit": "TST.H01.X02", "reason": "Chưa ký", "version": 1}]},
                allow_unicode=True,
            ),
            "utf-8",
        )  # fmt: skip
        assert cli("return", file, "--at", "2024-11-20T09:00").exit_code == 0

        # revised 3 days after revise_by: late, counted from revise_by
        r = cli("submit", write_submission(tmp_path, "TST.H01.X01", 48), "--at", "2024-11-22T10:00")
        assert r.exit_code == 0 and "phiên bản 2, trễ 3 ngày" in r.stdout
        status = cli("status", "--cycle", y, "--at", "2024-11-22T11:00", "--format", "json").json()
        units = {u["code"]: u for u in status["units"]}
        assert units["TST.H01.X01"]["status"] == "late" and units["TST.H01.X01"]["days_late"] == 3
        assert units["TST.H01.X01"]["revise_by"] is None
        assert units["TST.H01.X02"]["status"] == "returned"
        # no more revision reminders for X01 once revised
        r = cli("remind", "--cycle", y, "--at", "2024-11-25T08:00", "--format", "json").json()
        assert not [s for s in r["sent"] if s["kind"] == "revision" and s["unit"] == "TST.H01.X01"]

        out = tmp_path / "out"
        r = cli(
            "compile", "--cycle", y, "--unit", "TST.H01", "--out", out, "--at", "2024-11-22T16:00"
        )
        assert r.exit_code == 0, r.stderr
        summary = json.loads((out / "TST.H01" / "summary.json").read_text("utf-8"))
        assert summary["late"] == 1 and summary["on_time"] == 3  # X02 keeps its original on time
        assert summary["revising"] == [
            {"unit": "TST.H01.X02", "revise_by": "2024-11-27", "reason": "Chưa ký"}
        ]
        ranked = {x["unit"]: x for x in summary["ranking"]}
        assert ranked["TST.H01.X01"]["total"] == 88.0  # the latest version counts
        from docx import Document

        text = "\n".join(
            p.text
            for p in Document(
                str(out / "TST.H01" / "bao-cao-tong-hop-TST.H01-2024.docx")
            ).paragraphs
        )
        assert "đang bổ sung" in text and "Ủy ban nhân dân xã Hai" in text

        # not after publication
        assert (
            cli("approve", "--cycle", y, "--by", "TST", "--at", "2024-11-30T08:30").exit_code == 0
        )
        assert cli("publish", "--cycle", y, "--at", "2024-11-30T09:00").exit_code == 0
        r = cli("return", "--cycle", y, "--unit", "TST.H01.X01", "--by", "TST.H01", "--reason", "z")
        assert r.exit_code == 1 and "[cycle_closed]" in r.stderr
