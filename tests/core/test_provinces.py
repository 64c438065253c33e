"""Several provinces in one database (SPEC §4, issue 20): two provinces with a 2024 cycle each.

``--province`` picks one wherever ``--cycle`` is taken; without it the command is a usage error
naming ``--province``; a file names its unit, which names its province, so ``submit`` needs no
option; and every read sees only its own province's units. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers.hgi import setup_province, submission
from tests.helpers.province import ISSUE_AT, write_province, write_submission

TST_UNITS = {"TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"}


def _two_provinces(tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp / "hgi").mkdir()
    setup_province(tmp / "hgi", cli)
    (tmp / "tst").mkdir()
    write_province(tmp / "tst")
    assert cli("org", "import", tmp / "tst" / "org.yaml").exit_code == 0
    r = cli("plan", "issue", tmp / "tst" / "plan.yaml", "--at", ISSUE_AT)
    assert r.exit_code == 0, r.stderr


def test_each_province_is_named_and_sees_only_its_own(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _two_provinces(tmp_path, cli)
    status = ("status", "--cycle", "2024", "--at", "2024-11-12T08:00", "--format", "json")

    r = cli(*status)
    assert r.exit_code == 2, r.stdout
    assert "--province" in r.stderr and "[ambiguous_cycle]" in r.stderr
    assert "Traceback" not in r.stderr

    tst = cli(*status, "--province", "TST").json()
    assert {u["code"] for u in tst["units"]} == TST_UNITS
    hgi = cli(*status, "--province", "HGI").json()
    assert {u["code"] for u in hgi["units"]} and all(
        u["code"].startswith("HGI.") for u in hgi["units"]
    )

    # a file's unit names its province: no option needed, each file lands in its own cycle
    files = [write_submission(tmp_path / "tst", "TST.H01.X01"), submission(
        tmp_path / "hgi", "HGI.STC", {"A1": 40, "A2": 30, "B1": 25})]  # fmt: skip
    r = cli("submit", *files, "--at", "2024-11-09T10:00")
    assert r.exit_code == 0, r.stderr
    tst = {u["code"]: u for u in cli(*status, "--province", "TST").json()["units"]}
    hgi = {u["code"]: u for u in cli(*status, "--province", "HGI").json()["units"]}
    assert tst["TST.H01.X01"]["status"] == "on_time" and hgi["HGI.STC"]["status"] == "on_time"
    assert tst["TST.H01.X02"]["status"] == "missing"

    # an appraisal file names its appraiser, whose province decides the cycle
    appraisal = {"year": 2024, "by": "TST.H01", "adjustments": [
        {"unit": "TST.H01.X01", "criterion": "1", "score": 40, "reason": "Thiếu minh chứng"}]}  # fmt: skip
    path = tmp_path / "tst" / "appraisal.yaml"
    path.write_text(yaml.safe_dump(appraisal, allow_unicode=True), "utf-8")
    r = cli("appraise", path, "--at", "2024-11-15T09:00")
    assert r.exit_code == 0, r.stderr
    later = ("status", "--cycle", "2024", "--at", "2024-11-16T08:00", "--format", "json")
    tst = {u["code"]: u for u in cli(*later, "--province", "TST").json()["units"]}
    assert tst["TST.H01.X01"]["final_total"] == 80

    # the option is put back when the command ends: the next one is ambiguous again
    assert cli(*status).exit_code == 2
    # a province without that year's cycle is named in the refusal
    r = cli("status", "--cycle", "2023", "--province", "TST")
    assert r.exit_code == 1 and "[unknown_cycle]" in r.stderr and "TST" in r.stderr


def test_compile_and_remind_take_the_province(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _two_provinces(tmp_path, cli)
    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2024", "--out", out, "--at", "2024-11-15T08:00")
    assert r.exit_code == 2 and "--province" in r.stderr
    r = cli("compile", "--cycle", "2024", "--province", "TST", "--out", out,
            "--at", "2024-11-15T08:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["TST", "TST.H01"]
    r = cli("remind", "--cycle", "2024", "--province", "HGI", "--at", "2024-11-07T08:30",
            "--format", "json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
