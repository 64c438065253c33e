"""Issue 3 acceptance: ``remind`` at chosen instants sends exactly what SPEC §4.1 says, through
Apprise, to real endpoints on 127.0.0.1 — and never twice.

Deadlines: self-assessment Fri 15/11/2024, district compilation Fri 22/11, province scoring
Sat 30/11; reminders 14/7/3/1 days before, overdue every 2 days, escalation from 3 days overdue,
at 08:00, working days only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers.cycle import write
from tests.helpers.hgi import CRITERIA, PLAN
from tests.helpers.sinks import free_port, running_http_sink, running_smtp_sink

pytestmark = pytest.mark.slow


def org(http: str, mail: str, down: str) -> dict:
    return {
        "units": [
            {
                "code": "HGI",
                "name": "Ủy ban nhân dân tỉnh Hậu Giang",
                "kind": "province",
                "contacts": [f"{http}/hgi"],
            },
            {
                "code": "HGI.STC",
                "name": "Sở Tài chính",
                "kind": "department",
                "parent": "HGI",
                "contacts": [f"{http}/stc"],
            },
            {
                "code": "HGI.VT",
                "name": "Ủy ban nhân dân thành phố Vị Thanh",
                "kind": "district",
                "parent": "HGI",
                "contacts": [f"{http}/vt"],
            },
            {
                "code": "HGI.VT.PNV",
                "name": "Phòng Nội vụ",
                "kind": "district_office",
                "parent": "HGI.VT",
                "contacts": [f"{http}/pnv"],
            },
            {
                "code": "HGI.VT.P1",
                "name": "Ủy ban nhân dân phường I",
                "kind": "commune",
                "parent": "HGI.VT",
                "contacts": [mail],
            },
            {
                "code": "HGI.X01",
                "name": "Ủy ban nhân dân xã Hỏa Lựu",
                "kind": "commune",
                "parent": "HGI",
                "contacts": [down],
            },
            {
                "code": "HGI.X02",
                "name": "Ủy ban nhân dân xã Tân Tiến",
                "kind": "commune",
                "parent": "HGI",
            },
        ]
    }


def kinds(doc: dict) -> set[tuple[str, str, str]]:
    return {(s["unit"], s["milestone"], s["kind"]) for s in doc["sent"]}


def test_reminder_days(sqlite_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    down_port = free_port()
    down = f"json://127.0.0.1:{down_port}/x01"
    with running_http_sink() as http, running_smtp_sink() as smtp:
        base = f"json://127.0.0.1:{http.port}"
        mail = smtp.url("phuong1@vithanh.example.gov.vn", auth="vanthu:s3cret-pw")
        write(tmp_path / "org.yaml", org(base, mail, down))
        write(tmp_path / "criteria.yaml", CRITERIA)
        write(tmp_path / "plan.yaml", PLAN)
        assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
        issued = cli(
            "plan", "issue", tmp_path / "plan.yaml", "--at", "2024-03-01T09:00", "--format", "json"
        )
        assert issued.exit_code == 0
        announced = {s["unit"] for s in issued.json()["sent"] if s["ok"]}
        assert announced == {"HGI.STC", "HGI.VT", "HGI.VT.PNV", "HGI.VT.P1"}
        http.wait_for(4)
        smtp.wait_for(1)
        assert "Kế hoạch" in smtp.mails[0].subject
        http.requests.clear()
        smtp.mails.clear()

        sub = {
            "unit": "HGI.STC",
            "year": 2024,
            "submitted_by": "VP",
            "scores": {"A1": 40, "A2": 30, "B1": 25},
            "bonus": 0,
            "penalty": 0,
            "figures": {},
        }
        (tmp_path / "stc.yaml").write_text(
            yaml.safe_dump(sub, allow_unicode=True), encoding="utf-8"
        )
        assert cli("submit", tmp_path / "stc.yaml", "--at", "2024-11-10T10:00").exit_code == 0
        (receipt,) = http.wait_for(1)  # every accepted file is acknowledged to its unit
        assert receipt.path == "/stc" and "[Đã nhận]" in receipt.body["title"]
        http.requests.clear()

        def remind(at: str) -> dict:
            r = cli("remind", "--cycle", "2024", "--at", at, "--format", "json")
            assert r.exit_code == 0, r.stderr
            return r.json()

        # before send_at: nothing
        assert remind("2024-11-12T07:59")["sent"] == []

        # a `before` day (3 days left): every unit that owes, and one digest per compiler
        doc = remind("2024-11-12T08:00")
        assert kinds(doc) == {
            ("HGI.X01", "plan", "announcement"),  # failed in March, retried by every run
            ("HGI.VT", "self_assessment", "before"),
            ("HGI.VT.PNV", "self_assessment", "before"),
            ("HGI.VT.P1", "self_assessment", "before"),
            ("HGI.X01", "self_assessment", "before"),
            ("HGI", "self_assessment", "digest"),
            ("HGI.VT", "self_assessment", "digest"),
        }
        assert all(not s["ok"] for s in doc["sent"] if s["unit"] == "HGI.X01")
        assert doc["skipped_no_contact"] == [
            {"unit": "HGI.X02", "milestone": "self_assessment", "kind": "before"}
        ]
        got = http.wait_for(4)
        assert sorted(r.path for r in got) == ["/hgi", "/pnv", "/vt", "/vt"]
        pnv = next(r.body for r in got if r.path == "/pnv")
        assert "còn 03 ngày" in pnv["title"] and "10/11/2024" not in pnv["title"]
        assert "15/11/2024" in pnv["title"] and "ngày 15 tháng 11 năm 2024" in pnv["message"]
        digest = next(r.body for r in got if r.path == "/hgi")
        assert "Ủy ban nhân dân xã Tân Tiến" in digest["message"]
        mails = smtp.wait_for(1)
        assert mails[0].recipients == ("phuong1@vithanh.example.gov.vn",)
        assert "Tự đánh giá" in mails[0].subject
        assert "Ủy ban nhân dân phường I" in mails[0].text
        assert all("s3cret-pw" not in t for s in doc["sent"] for t in s["to"])

        # the failure is shown in status
        status = cli(
            "status", "--cycle", "2024", "--at", "2024-11-12T09:00", "--format", "json"
        ).json()
        failed = status["deliveries"]["failed"]
        assert [(f["unit"], f["kind"]) for f in failed] == [
            ("HGI.X01", "announcement"),
            ("HGI.X01", "before"),
        ]

        # the same T again: nothing new goes out (only the failed one is retried, and fails)
        again = remind("2024-11-12T08:00")
        assert kinds(again) == {
            ("HGI.X01", "plan", "announcement"),
            ("HGI.X01", "self_assessment", "before"),
        }
        assert len(http.requests) == 4 and len(smtp.mails) == 1

        # the endpoint comes back: the next run (no reminder day) delivers it, once
        with running_http_sink(down_port) as back:
            doc = remind("2024-11-13T08:00")
            assert kinds(doc) == {
                ("HGI.X01", "plan", "announcement"),
                ("HGI.X01", "self_assessment", "before"),
            }
            assert [s["ok"] for s in doc["sent"]] == [True, True]
            assert [r.path for r in back.wait_for(2)] == ["/x01", "/x01"]
            assert remind("2024-11-13T09:00")["sent"] == []
            assert len(back.requests) == 2

            # Sunday 17/11 is the nominal overdue day: it moves to Monday 18/11
            assert remind("2024-11-17T08:00")["sent"] == []
            monday = remind("2024-11-18T08:00")
            assert {k for k in kinds(monday) if k[2] == "overdue"} == {
                ("HGI.VT", "self_assessment", "overdue"),
                ("HGI.VT.PNV", "self_assessment", "overdue"),
                ("HGI.VT.P1", "self_assessment", "overdue"),
                ("HGI.X01", "self_assessment", "overdue"),
            }
            assert not {k for k in kinds(monday) if k[2] == "escalation"}

            # 19/11: 4 days overdue, past escalate_after_days: each compiler is told once
            tuesday = remind("2024-11-19T08:00")
            assert {k for k in kinds(tuesday) if k[2] == "escalation"} == {
                ("HGI", "self_assessment", "escalation"),
                ("HGI.VT", "self_assessment", "escalation"),
            }
            esc = {s["unit"]: s["about"] for s in tuesday["sent"] if s["kind"] == "escalation"}
            assert esc == {
                "HGI": ["HGI.VT", "HGI.X01", "HGI.X02"],
                "HGI.VT": ["HGI.VT.P1", "HGI.VT.PNV"],
            }
            # and the district compilation is 3 days away for the district that has not compiled
            assert ("HGI.VT", "district_compilation", "before") in kinds(tuesday)
            assert remind("2024-11-19T08:00")["sent"] == []
