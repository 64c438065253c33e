"""Appraisal precedence (SPEC §3.5) as a pure rule, and who may appraise when, through the CLI.

The province's word stands over a district's whenever each was written; the latest counts only
within one level. A compiler appraises its active units, until its own deadline unless the
province reopens it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from danvan.rules.appraisal import Recorded, acts_until, effective
from danvan.rules.domain import OrgUnit
from tests.helpers.province import issue_small_cycle, write_submission


def t(day: int, hour: int = 9) -> datetime:
    return datetime(2024, 11, day, hour, tzinfo=UTC)


PROVINCE, DISTRICT, OFFICE = 0, 1, 2


@pytest.mark.parametrize(
    ("records", "wins"),
    [
        # nothing but a district's: the latest of its own
        ([("a", DISTRICT, t(15)), ("b", DISTRICT, t(16))], "b"),
        # the province first, the district later: the province stands
        ([("p", PROVINCE, t(15)), ("d", DISTRICT, t(18))], "p"),
        # the district first, the province later: the province
        ([("d", DISTRICT, t(15)), ("p", PROVINCE, t(18))], "p"),
        # two by the province: the latest of them, whatever the district did in between
        ([("p1", PROVINCE, t(15)), ("d", DISTRICT, t(16)), ("p2", PROVINCE, t(17))], "p2"),
        # three levels: the highest wins, even when the lowest is latest
        ([("o", OFFICE, t(19)), ("d", DISTRICT, t(18))], "d"),
        # one instant, one level: the later recorded
        ([("x", DISTRICT, t(15)), ("y", DISTRICT, t(15))], "y"),
    ],
)
def test_the_highest_level_then_the_latest(records: list, wins: str) -> None:
    rows = [
        Recorded("1", float(i), reason, level, at, seq=i)
        for i, (reason, level, at) in enumerate(records)
    ]
    assert effective(reversed(rows))["1"].reason == wins  # the order given does not matter
    assert effective(rows)["1"].reason == wins


def test_each_target_on_its_own() -> None:
    rows = [
        Recorded("1", 10, "p", PROVINCE, t(15)),
        Recorded("bonus", 2, "d", DISTRICT, t(16)),
        Recorded("1", 20, "d", DISTRICT, t(17)),
    ]
    got = effective(rows)
    assert (got["1"].reason, got["bonus"].reason) == ("p", "d")
    assert effective([]) == {}


def _unit(kind: str) -> OrgUnit:
    return OrgUnit(code="X", name="X", kind=kind, parent=None, contacts=(), assessed=True,
                   compiles=True, active=True)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "reopened", "until"),
    [
        ("province", None, None),  # until publication
        ("province", date(2024, 12, 1), None),
        ("district", None, date(2024, 11, 20)),
        ("district", date(2024, 11, 25), date(2024, 11, 25)),
        ("district", date(2024, 11, 18), date(2024, 11, 20)),  # a reopening never shortens
    ],
)
def test_how_long_a_compiler_acts(kind: str, reopened: date | None, until: date | None) -> None:
    got = acts_until(_unit(kind), district_deadline=date(2024, 11, 20), reopened_until=reopened)
    assert got == until


# --- through the CLI --------------------------------------------------------------------------


def appraisal(folder: Path, name: str, by: str, *lines: dict) -> Path:
    path = folder / f"{name}.yaml"
    doc = {"year": 2024, "by": by, "adjustments": list(lines)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def final_total(cli, code: str) -> float:  # type: ignore[no-untyped-def]
    doc = cli("status", "--cycle", "2024", "--format", "json", "--at", "2024-11-29T10:00").json()
    return {u["code"]: u["final_total"] for u in doc["units"]}[code]


def test_precedence_authority_and_deadlines(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    issue_small_cycle(tmp_path)
    subs = [write_submission(tmp_path, c) for c in ("TST.H01.X01", "TST.H01.X02", "TST.SNV")]
    assert cli("submit", *subs, "--at", "2024-11-08T10:00").exit_code == 0
    assert final_total(cli, "TST.H01.X01") == 85

    def appraise(path: Path, at: str):  # type: ignore[no-untyped-def]
        r = cli("appraise", path, "--at", at)
        assert "Traceback" not in r.stdout + r.stderr
        return r

    line = {"unit": "TST.H01.X01", "criterion": "1", "reason": "Thiếu hồ sơ"}
    # the district, then the province, then the district again: the province's word stands
    assert appraise(appraisal(tmp_path, "d1", "TST.H01", {**line, "score": 30}), "2024-11-15T09:00").exit_code == 0  # fmt: skip
    assert final_total(cli, "TST.H01.X01") == 70
    assert appraise(appraisal(tmp_path, "p1", "TST", {**line, "score": 40}), "2024-11-16T09:00").exit_code == 0  # fmt: skip
    assert appraise(appraisal(tmp_path, "d2", "TST.H01", {**line, "score": 10}), "2024-11-18T09:00").exit_code == 0  # fmt: skip
    assert final_total(cli, "TST.H01.X01") == 80

    # the district's deadline (district_compilation, 20/11) has passed
    late = appraisal(tmp_path, "late", "TST.H01", {**line, "criterion": "2", "score": 5})
    r = appraise(late, "2024-11-21T09:00")
    assert r.exit_code == 1 and "[appraisal_closed]" in r.stderr and str(late) in r.stderr
    # only the province reopens; then the district may act until the new date
    r = cli("reopen", "--cycle", "2024", "--unit", "TST.H01", "--until", "2024-11-25", "--by", "TST.H01", "--at", "2024-11-21T10:00")  # fmt: skip
    assert r.exit_code == 1 and "[not_province]" in r.stderr
    r = cli("reopen", "--cycle", "2024", "--unit", "TST.SNV", "--until", "2024-11-25", "--by", "TST", "--at", "2024-11-21T10:00")  # fmt: skip
    assert r.exit_code == 1 and "[not_a_compiler]" in r.stderr
    r = cli("reopen", "--cycle", "2024", "--unit", "TST.H01", "--until", "2024-11-25", "--by", "TST", "--at", "2024-11-21T10:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert appraise(late, "2024-11-23T09:00").exit_code == 0
    assert final_total(cli, "TST.H01.X01") == 45  # criterion 1 by the province (40) + 5
    r = appraise(late, "2024-11-26T09:00")
    assert r.exit_code == 1 and "[appraisal_closed]" in r.stderr
    # the province acts until publication
    assert appraise(appraisal(tmp_path, "p2", "TST", {**line, "score": 50}), "2024-11-28T09:00").exit_code == 0  # fmt: skip
    assert final_total(cli, "TST.H01.X01") == 55

    # a district adjusts only its own subtree; nobody adjusts unknown or inactive units
    r = appraise(appraisal(tmp_path, "out", "TST.H01", {**line, "unit": "TST.SNV", "score": 1}), "2024-11-19T09:00")  # fmt: skip
    assert r.exit_code == 1 and "[outside_scope]" in r.stderr
    r = appraise(appraisal(tmp_path, "ghost", "TST", {**line, "unit": "TST.H09", "score": 1}), "2024-11-19T09:00")  # fmt: skip
    assert r.exit_code == 1 and "[unknown_unit]" in r.stderr
    org = yaml.safe_load((tmp_path / "org.yaml").read_text("utf-8"))
    for u in org["units"]:
        if u["code"] == "TST.H01.X02":
            u["active"] = False
    (tmp_path / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
    assert cli("org", "import", tmp_path / "org.yaml", "--at", "2024-11-19T08:00").exit_code == 0
    r = appraise(appraisal(tmp_path, "inactive", "TST", {**line, "unit": "TST.H01.X02", "score": 1}), "2024-11-19T09:00")  # fmt: skip
    assert r.exit_code == 1 and "[unit_inactive]" in r.stderr
    assert final_total(cli, "TST.H01.X01") == 55  # the rejected files changed nothing
