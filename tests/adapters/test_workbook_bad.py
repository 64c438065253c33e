"""Workbooks a person got wrong: refused, every problem named by file, sheet!cell and rule."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import func, select

from danvan.models.db import get_engine, reading
from danvan.models.tables import StoredFile, Submission
from danvan.workbook.layout import SHEET_IDENTITY
from tests.helpers.workbooks import YEAR, figures_for, fill, issue_sample

UNIT = "QNG.BSN.X07"
GOOD = {str(c): 5 for c in range(1, 13)}


def _counts() -> tuple[int, int]:
    with reading(get_engine()) as session:
        subs = session.exec(select(func.count()).select_from(Submission)).one()
        files = session.exec(select(func.count()).select_from(StoredFile)).one()
        return subs, files


def _edit(path: Path, out: Path, sheet: str, cell: str, value: object) -> Path:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(out)
    return out


def _row_of(path: Path, code: str) -> int:
    ws = load_workbook(path)["Chấm điểm"]
    return next(r[0].row for r in ws.iter_rows() if str(r[0].value) == code)


def _figure_row(path: Path, group: str, name: str) -> int:
    ws = load_workbook(path)["Số liệu"]
    return next(r[0].row for r in ws.iter_rows() if (r[0].value, r[1].value) == (group, name))


def test_bad_workbooks_are_refused_by_cell_and_change_nothing(sqlite_url, tmp_path, cli):
    issue_sample(tmp_path)
    mau = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", UNIT, "--out", mau).exit_code == 0
    blank = mau / f"{UNIT}-tu-danh-gia-{YEAR}.xlsx"
    bad = tmp_path / "bad"
    bad.mkdir()
    r4, r5 = _row_of(blank, "4"), _row_of(blank, "5")
    received = _figure_row(blank, "admin_procedures", "received")
    online = _figure_row(blank, "admin_procedures", "online")
    outstanding = _figure_row(blank, "petitions", "outstanding")

    def variant(name: str, **kw: object) -> Path:
        args: dict = {"scores": GOOD, "figures": figures_for(1)} | kw
        return fill(blank, out=bad / f"{name}.xlsx", **args)

    petitions = dict(figures_for(1)["petitions"], outstanding=999)
    cases: dict[Path, list[tuple[str, str]]] = {
        variant("over-max", scores=GOOD | {"4": 21}): [(f"Chấm điểm!D{r4}", "score_out_of_range")],
        variant("many", scores={**GOOD, "4": "chín", "5": None}, bonus=7): [
            (f"Chấm điểm!D{r4}", "score_not_number"),
            (f"Chấm điểm!D{r5}", "criterion_missing"),
            (f"Chấm điểm!D{r5 + 9}", "bonus_out_of_range"),
        ],
        variant("off-step", scores=GOOD | {"4": "9,3"}): [(f"Chấm điểm!D{r4}", "score_off_step")],
        variant(
            "figures",
            figures={
                "admin_procedures": {"received": "2.473"},
                "petitions": petitions,
            },
        ): [
            (f"Số liệu!D{received}", "figure_ambiguous_text"),
            (f"Số liệu!D{online}", "figure_missing"),
            (f"Số liệu!D{outstanding}", "figure_inconsistent"),
        ],
        variant("formula", scores=GOOD | {"4": "=2*3"}): [(f"Chấm điểm!D{r4}", "formula_no_value")],
        variant("nobody", submitted_by=None): [("Hướng dẫn!B9", "missing_field")],
    }
    good = variant("good")
    wrong_year = _edit(good, bad / "year.xlsx", SHEET_IDENTITY, "B4", "2023")
    cases[wrong_year] = [(f"{SHEET_IDENTITY}!B4", "wrong_year")]
    older = _edit(good, bad / "older.xlsx", SHEET_IDENTITY, "B6", "0123456789abcdef")
    cases[older] = [(f"{SHEET_IDENTITY}!B5", "criteria_set_changed")]
    renamed = load_workbook(good)
    renamed["Số liệu"].title = "So lieu"
    renamed.save(bad / "renamed.xlsx")
    cases[bad / "renamed.xlsx"] = [("Số liệu", "sheet_missing")]
    no_header = _edit(good, bad / "header.xlsx", "Chấm điểm", "D4", "Điểm")
    cases[no_header] = [("Chấm điểm", "header_missing")]

    before = _counts()
    r = cli("submit", *cases, "--at", "2024-11-08T10:00", "--format", "json")
    assert r.exit_code == 1
    results = {Path(x["file"]): x for x in r.json()["files"]}
    for path, expected in cases.items():
        got = {(p["field"], p["code"]) for p in results[path]["problems"]}
        assert not results[path]["accepted"], path.name
        assert set(expected) <= got, (path.name, got)
    assert _counts() == before

    r = cli("submit", bad / "over-max.xlsx", "--at", "2024-11-08T10:00")
    assert r.exit_code == 1
    assert f"Chấm điểm!D{r4}: Điểm tiêu chí 4 là 21, vượt điểm tối đa 10. [score_out_of_range]" in (
        r.stderr
    )
    assert "over-max.xlsx" in r.stderr
    assert _counts() == before


def test_a_workbook_for_another_unit_is_refused(sqlite_url, tmp_path, cli):
    from danvan.tasks.intake import record_one
    from tests.helpers.province import at

    issue_sample(tmp_path)
    mau = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", UNIT, "--out", mau).exit_code == 0
    path = fill(mau / f"{UNIT}-tu-danh-gia-{YEAR}.xlsx", scores=GOOD, figures={})
    result = record_one(str(path), at("2024-11-08T10:00"), expected_unit="QNG.BSN.X08")
    assert not result.accepted
    assert [p["code"] for p in result.problems] == ["wrong_unit"]
    assert record_one(str(path), at("2024-11-08T10:00"), expected_unit=UNIT).accepted
