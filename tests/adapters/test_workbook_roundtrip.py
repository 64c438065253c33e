"""Templates out, filled workbooks back: what a person typed is exactly what is recorded."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from danvan.models.db import get_engine, reading
from danvan.models.tables import Submission, Unit
from danvan.workbook.layout import SHEET_IDENTITY
from tests.helpers.workbooks import (
    YEAR,
    expected_figures,
    figures_for,
    fill,
    issue_sample,
    libreoffice_resave,
    scores_for,
)


def _criteria_codes(path: Path) -> list[str]:
    ws = load_workbook(path, read_only=True)["Chấm điểm"]
    return [str(r[0]) for r in ws.iter_rows(min_row=5, values_only=True) if r[0] is not None]


def _recorded() -> dict[str, Submission]:
    with reading(get_engine()) as session:
        rows = session.exec(select(Submission, Unit.code).join(Unit)).all()
        return {code: sub for sub, code in rows}


def test_template_cli_writes_one_workbook_per_assessed_unit(db_url, tmp_path, cli):
    issue_sample(tmp_path)
    r = cli("template", "--cycle", YEAR, "--all", "--out", tmp_path / "mau", "--format", "json")
    assert r.exit_code == 0, r.stderr
    names = sorted(Path(f).name for f in r.json()["files"])
    assert len(names) == 27  # 29 units: the province does not self-assess, one is inactive
    assert "QNG.BSN.X07-tu-danh-gia-2024.xlsx" in names
    wb = load_workbook(tmp_path / "mau" / "QNG.BSN.X07-tu-danh-gia-2024.xlsx")
    assert wb.sheetnames == ["Hướng dẫn", "Chấm điểm", "Số liệu", SHEET_IDENTITY]
    assert wb[SHEET_IDENTITY].sheet_state == "hidden"
    ident = {r[0].value: r[1].value for r in wb[SHEET_IDENTITY].iter_rows()}
    assert ident["unit"] == "QNG.BSN.X07" and ident["criteria_set"] == "QNG-436-2019-XA"
    scores = wb["Chấm điểm"]
    assert [c.value for c in scores[4]] == [
        "Mã",
        "Tiêu chí",
        "Điểm tối đa",
        "Điểm tự chấm",
        "Không áp dụng",
        "Minh chứng, ghi chú",
    ]
    assert scores.protection.sheet and not scores["D6"].protection.locked
    assert scores["C6"].protection.locked
    assert str(scores.page_setup.paperSize) == scores.PAPERSIZE_A4
    assert scores.page_setup.fitToWidth == 1
    total = next(r for r in scores.iter_rows() if r[1].value == "Tổng điểm tự chấm")
    assert str(total[3].value).startswith("=SUM(D")
    rule = scores.data_validations.dataValidation[0]
    assert rule.type == "custom" and "MOD(D5*4,1)=0" in rule.formula1
    figs = wb["Số liệu"]
    assert [c.value for c in figs[4]] == ["Nhóm", "Mã", "Chỉ tiêu", "Số liệu"]
    labels = {(r[0].value, r[1].value): r[2].value for r in figs.iter_rows(min_row=5)}
    assert labels[("admin_procedures", "received")] == "Số hồ sơ tiếp nhận"
    r = cli("template", "--cycle", YEAR, "--unit", "QNG", "--out", tmp_path / "x")
    assert r.exit_code == 1 and "[unit_not_assessed]" in r.stderr

    from danvan.tasks.templates import unit_workbook  # the portal's download

    name, data = unit_workbook(YEAR, "QNG.BSN.X07")
    assert name == "QNG.BSN.X07-tu-danh-gia-2024.xlsx"
    made = load_workbook(BytesIO(data))
    assert {r[0].value: r[1].value for r in made[SHEET_IDENTITY].iter_rows()} == ident


def test_whole_province_round_trip(sqlite_url, tmp_path, cli):
    """Every unit fills its workbook (some with a person's edits); every value comes back."""
    issue_sample(tmp_path)
    out = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--all", "--out", out).exit_code == 0
    typed: dict[str, tuple[dict, dict, float, float]] = {}
    paths = []
    for i, path in enumerate(sorted(out.glob("*.xlsx"))):
        code = path.name.removesuffix("-tu-danh-gia-2024.xlsx")
        scores = scores_for(_criteria_codes(path), i)
        figures = figures_for(i) if i % 4 else {}  # every 4th unit: no figures at all
        written: dict = dict(scores)
        if i % 3 == 0:  # the Vietnamese decimal comma, typed as text
            first = next(iter(scores))
            written[first] = f"{scores[first]:g}".replace(".", ",")
        if i % 5 == 0:  # a count typed as text of plain digits
            figures = {**figures, "models": {"registered": "3", "recognised": 2}}
        fill(
            path,
            scores=written,
            figures=figures,
            bonus=i % 3,
            penalty=0.5 * (i % 2),
            insert_rows=i % 2 == 0,
        )
        clean = {g: {k: int(v) for k, v in f.items()} for g, f in figures.items()}
        typed[code] = (scores, clean, i % 3, 0.5 * (i % 2))
        paths.append(path)
    r = cli("submit", *paths, "--at", "2024-11-08T10:00", "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    recorded = _recorded()
    assert set(recorded) == set(typed)
    for code, (scores, figures, bonus, penalty) in typed.items():
        sub = recorded[code]
        assert sub.scores == scores, code
        assert sub.figures == expected_figures(figures), code
        assert (sub.bonus, sub.penalty) == (bonus, penalty), code
        assert sub.submitted_by == "Nguyễn Văn A, Chánh Văn phòng"


@pytest.mark.slow
def test_libreoffice_resave_reads_exactly(sqlite_url, tmp_path, cli):
    """A formula typed for a score is read by its value once an office suite has saved it."""
    issue_sample(tmp_path)
    out = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", "QNG.BSN.X07", "--out", out).exit_code == 0
    path = out / "QNG.BSN.X07-tu-danh-gia-2024.xlsx"
    scores = scores_for(_criteria_codes(path), 7)
    figures = figures_for(3)
    fill(path, scores={**scores, "4": "=4.5*2"}, figures=figures, bonus="1,5", insert_rows=True)
    r = cli("submit", path, "--at", "2024-11-08T10:00")  # never calculated: refused, by cell
    assert r.exit_code == 1
    assert "Chấm điểm!D" in r.stderr and "[formula_no_value]" in r.stderr
    resaved = libreoffice_resave(path, tmp_path / "lo")
    if resaved is None:
        pytest.skip("LibreOffice (soffice) is not installed on this machine")
    r = cli("submit", resaved, "--at", "2024-11-08T10:00")
    assert r.exit_code == 0, r.stderr
    sub = _recorded()["QNG.BSN.X07"]
    assert sub.scores == {**scores, "4": 9.0}
    assert sub.figures == expected_figures(figures)
    assert sub.bonus == 1.5
