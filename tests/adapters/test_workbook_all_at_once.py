"""Intake lists every problem of a workbook at once, each by its cell, once (issue 17)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.helpers.workbooks import YEAR, figures_for, fill, issue_sample

UNIT = "QNG.BSN.X07"
GOOD = {str(c): 5 for c in range(1, 13)}


def _row_of(path: Path, code: str) -> int:
    ws = load_workbook(path)["Chấm điểm"]
    return next(r[0].row for r in ws.iter_rows() if str(r[0].value) == code)


def test_a_word_in_one_cell_hides_no_other_problem(sqlite_url, tmp_path, cli):
    issue_sample(tmp_path)
    mau = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", UNIT, "--out", mau).exit_code == 0
    blank = mau / f"{UNIT}-tu-danh-gia-{YEAR}.xlsx"
    rows = {c: _row_of(blank, c) for c in ("3", "4", "5")}
    bad = fill(blank, out=tmp_path / "bad.xlsx", figures=figures_for(1),
               scores=GOOD | {"3": "tám", "4": 27, "5": "4,3"})  # fmt: skip
    r = cli("submit", bad, "--at", "2024-11-08T10:00", "--format", "json")
    got = [(p["field"], p["code"]) for p in r.json()["files"][0]["problems"]]
    assert (f"Chấm điểm!D{rows['3']}", "score_not_number") in got
    assert (f"Chấm điểm!D{rows['4']}", "score_out_of_range") in got
    assert (f"Chấm điểm!D{rows['5']}", "score_off_step") in got
    assert len(got) == len(set(got))


def test_a_deleted_row_and_a_wrong_na_mark_are_said_once_by_cell(sqlite_url, tmp_path, cli):
    issue_sample(tmp_path)
    mau = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", UNIT, "--out", mau).exit_code == 0
    blank = mau / f"{UNIT}-tu-danh-gia-{YEAR}.xlsx"
    filled = fill(blank, out=tmp_path / "filled.xlsx", figures=figures_for(1),
                  scores=GOOD | {"7": None})  # fmt: skip
    wb = load_workbook(filled)
    ws = wb["Chấm điểm"]
    header = next(r for r in ws.iter_rows() if any(c.value == "Không áp dụng" for c in r))
    na_col = next(c.column_letter for c in header if c.value == "Không áp dụng")
    r6, r7 = _row_of(filled, "6"), _row_of(filled, "7")
    ws[f"{na_col}{r7}"] = "x"
    ws.delete_rows(r6)
    wb.save(tmp_path / "bad.xlsx")
    r = cli("submit", tmp_path / "bad.xlsx", "--at", "2024-11-08T10:00", "--format", "json")
    problems = r.json()["files"][0]["problems"]
    got = [(p["field"], p["code"]) for p in problems]
    na_cell = f"Chấm điểm!{na_col}{r7 - 1}"  # row 6 deleted: criterion 7 moved up one row
    assert got == [
        ("Chấm điểm", "criterion_missing"),  # the deleted row: its sheet, once
        (f"Chấm điểm!D{r7 - 1}", "criterion_missing"),  # the N/A mark and the missing score at once
        (na_cell, "not_applicable_not_allowed"),
    ]
    deleted = problems[0]["message"]
    assert deleted.count("Không có dòng tiêu chí mã “6”") == 1 and "chép lại dòng" in deleted
