"""What an official reads when a file is wrong, and the status an official reads (issue #11):
Vietnamese labels beside the keys, how to fix it, every problem of a file at once, the close
unit code; status at 80 columns; CSV that Excel opens.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from danvan.cli.common import csv_text
from danvan.rules.labels import describe_field
from danvan.rules.submission import close_codes
from danvan.rules.submission_checks import count_hint, score_hint
from tests.helpers.cycle import write
from tests.helpers.hgi import VALID, setup_province


def _submit(tmp: Path, cli, **changes):  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(VALID)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = doc
        for key in parents:
            target = target[key]
        target[last] = value
    path = write(tmp / "bad.yaml", doc)
    return cli("submit", path, "--at", "2024-11-08T10:00")


def test_field_labels_keep_the_key() -> None:
    assert describe_field("figures.admin_procedures.received") == (
        "Thủ tục hành chính: Số hồ sơ tiếp nhận (figures.admin_procedures.received)"
    )
    assert describe_field("scores.3") == "Điểm tiêu chí 3 (scores.3)"
    assert describe_field("bonus") == "Điểm thưởng (bonus)"


@pytest.mark.parametrize(
    ("value", "hint"),
    [("4,5", "Viết 4.5"), ("9,25", "Viết 9.25"), (9.5, "")],
)
def test_score_hint(value: object, hint: str) -> None:
    assert score_hint(value).strip().startswith(hint) if hint else score_hint(value) == ""


@pytest.mark.parametrize(
    ("value", "hint"),
    [(2.473, "viết 2473"), ("29.264", "viết 29264"), (29.26, "viết 29260"), (3.14159, "")],
)
def test_count_hint(value: object, hint: str) -> None:
    assert hint in count_hint(value) if hint else count_hint(value) == ""


def test_close_codes() -> None:
    known = ["HGI.STC", "HGI.VT.P1", "HGI.X01"]
    assert close_codes("hgi.stc", known) == ["HGI.STC"]
    assert close_codes("HGI.VT.P1 ", known) == ["HGI.VT.P1"]
    assert close_codes("HGİ.X0I", known) == ["HGI.X01"]
    assert close_codes("ZZZ", known) == []


def test_every_problem_of_a_file_at_once(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    r = _submit(
        tmp_path, cli, report_file="khong-co.docx", scores={"A1": "bốn", "A2": 99, "B1": 24},
        figures__admin_procedures__received=2.473,
    )  # fmt: skip
    assert r.exit_code == 1
    err = r.stderr
    assert "Tệp báo cáo (report_file): Không tìm thấy tệp báo cáo" in err  # did not hide the rest
    assert "Điểm tiêu chí A1 (scores.A1)" in err  # "4,5" would be read as 4.5, as in a workbook
    assert "Điểm tiêu chí A2 (scores.A2)" in err
    assert "Thủ tục hành chính: Số hồ sơ tiếp nhận (figures.admin_procedures.received)" in err
    assert "viết 2473" in err


def test_a_mistyped_unit_gets_the_close_code(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    r = _submit(tmp_path, cli, unit="hgi.stc")
    assert r.exit_code == 1 and "Có phải là “HGI.STC”?" in r.stderr


def test_status_fits_80_columns(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    r = cli("status", "--cycle", "2024", "--at", "2024-11-20T08:00")
    assert r.exit_code == 0
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "HGI.VT.P1" in r.stdout  # codes are never cut
    assert "Phiên" in r.stdout and "Xếp loại" in r.stdout and "PB" not in r.stdout.split()


def test_csv_has_a_bom_and_no_formulas() -> None:
    text = csv_text(
        [{"code": "X", "name": "=HYPERLINK(\"http://x\")"}, {"code": "Y", "name": "+84"},
         {"code": "Z", "name": "-1"}, {"code": "W", "name": "@SUM(A1)"}, {"code": "V", "name": "xã"}],
        ["code", "name"],
    )  # fmt: skip
    lines = text.splitlines()
    assert text.startswith("\ufeff") and lines[0] == "\ufeffcode,name"
    assert lines[1] == 'X,"\'=HYPERLINK(""http://x"")"'
    assert lines[2:] == ["Y,'+84", "Z,'-1", "W,'@SUM(A1)", "V,xã"]


def test_plan_issue_names_units_without_contact(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "dummy", {})
    setup_province(tmp_path, cli)
    r = cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-03-01T09:00")
    assert r.exit_code == 0
    assert (
        "Chưa có địa chỉ liên hệ:" in r.stdout or "Mọi đơn vị đều có địa chỉ liên hệ." in r.stdout
    )
