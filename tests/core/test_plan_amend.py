"""``danvan plan amend`` (SPEC §3.3): a deadline extended by an official letter, on both
databases, through the real CLI, with the announcements delivered to a real local endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers.province import at, issue_small_cycle, write_submission
from tests.helpers.sinks import running_http_sink

REASON = "Công văn số 123/UBND-NC ngày 08/11/2024 gia hạn tự đánh giá"


def amended_plan(folder: Path, **deadlines: str) -> Path:
    plan = yaml.safe_load((folder / "plan.yaml").read_text("utf-8"))
    plan["deadlines"] |= deadlines
    path = folder / "plan-dieu-chinh.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    return path


def status_of(cli, when: str) -> dict:  # type: ignore[no-untyped-def]
    r = cli("status", "--cycle", "2024", "--at", when, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return {u["code"]: u["status"] for u in r.json()["units"]}


def audit_rows(action: str) -> list:
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry

    with reading(get_engine()) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_an_extension_is_recorded_announced_once_and_judges_timeliness(db_url, tmp_path, cli):  # type: ignore[no-untyped-def]
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, sink.url("u"))
        sink.wait_for(5)
        sink.requests.clear()
        early = write_submission(tmp_path, "TST.H01.X01")
        assert cli("submit", early, "--at", "2024-11-09T10:00").exit_code == 0
        sink.wait_for(1)  # its receipt
        sink.requests.clear()

        path = amended_plan(tmp_path, self_assessment="2024-11-15")
        r = cli("plan", "amend", path, "--reason", REASON, "--at", "2024-11-11T09:00",
                "--format", "json")  # fmt: skip
        assert r.exit_code == 0, r.stderr
        doc = r.json()
        assert doc["amended"] is True
        assert doc["changes"]["deadlines"] == {
            "self_assessment": {"old": "2024-11-10", "new": "2024-11-15"}
        }
        told = sink.wait_for(5)
        assert {m.path for m in told} == {
            f"/u/{c}" for c in ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01", "TST.H01.X02")
        }
        body = told[0].body["message"]
        assert "[Điều chỉnh kế hoạch]" in told[0].body["title"]
        assert "15/11/2024" in body and "thay cho hạn 10/11/2024" in body and REASON in body
        assert "ngày 15 tháng 11 năm 2024" in body

        # the same file again: nothing changes, nothing is sent
        sink.requests.clear()
        again = cli("plan", "amend", path, "--reason", REASON, "--at", "2024-11-11T10:00",
                    "--format", "json")  # fmt: skip
        assert again.exit_code == 0 and again.json()["amended"] is False
        assert again.json()["sent"] == []
        [entry] = audit_rows("plan_amend")
        assert entry.detail["note"] == REASON and entry.actor == "cli"
        assert entry.detail["changes"]["deadlines"]["self_assessment"]["new"] == "2024-11-15"

        # timeliness against the deadline in force: sent on the 12th, before the new deadline
        late_before = write_submission(tmp_path, "TST.H01.X02")
        assert cli("submit", late_before, "--at", "2024-11-12T10:00").exit_code == 0
        got = status_of(cli, "2024-11-16T09:00")
        assert got["TST.H01.X01"] == "on_time" and got["TST.H01.X02"] == "on_time"
        assert got["TST.SNV"] == "missing"


@pytest.mark.parametrize(
    ("change", "when", "code"),
    [
        ({"deadlines": {"self_assessment": "2024-11-05"}}, "2024-11-11T09:00", "deadline_past"),
        ({"criteria": "criteria-2.yaml"}, "2024-11-11T09:00", "criteria_locked"),
        ({"issued_on": "2024-02-20"}, "2024-11-11T09:00", "plan_fixed_field"),
    ],
)
def test_a_refused_amendment_changes_nothing(sqlite_url, tmp_path, cli, change, when, code):  # type: ignore[no-untyped-def]
    issue_small_cycle(tmp_path)
    assert cli("submit", write_submission(tmp_path, "TST.H01.X01"), "--at",
               "2024-11-09T10:00").exit_code == 0  # fmt: skip
    criteria = yaml.safe_load((tmp_path / "criteria.yaml").read_text("utf-8"))
    criteria["code"] = "TST-2"
    (tmp_path / "criteria-2.yaml").write_text(yaml.safe_dump(criteria), "utf-8")
    plan = yaml.safe_load((tmp_path / "plan.yaml").read_text("utf-8"))
    for key, value in change.items():
        plan[key] = plan[key] | value if isinstance(value, dict) else value
    path = tmp_path / "plan-2.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    before = cli("status", "--cycle", "2024", "--at", when, "--format", "json").json()
    r = cli("plan", "amend", path, "--reason", REASON, "--at", when)
    assert r.exit_code == 1 and f"[{code}]" in r.stderr and str(path) in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    after = cli("status", "--cycle", "2024", "--at", when, "--format", "json").json()
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)
    assert audit_rows("plan_amend") == []


def test_reissuing_a_changed_plan_names_plan_amend_and_a_reason_is_required(
    sqlite_url, tmp_path, cli
):  # type: ignore[no-untyped-def]
    issue_small_cycle(tmp_path)
    path = amended_plan(tmp_path, self_assessment="2024-11-15")
    r = cli("plan", "issue", path, "--at", "2024-03-01T09:00")
    assert r.exit_code == 1 and "[cycle_exists]" in r.stderr and "plan amend" in r.stderr
    r = cli("plan", "amend", path, "--reason", "  ", "--at", "2024-03-01T09:00")
    assert r.exit_code == 1 and "[reason_required]" in r.stderr
    assert at("2024-03-01T09:00")  # the helper parses local instants
