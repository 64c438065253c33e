"""The workbook reader over literal grids: what a person may type, and what it becomes."""

from __future__ import annotations

import dataclasses

import pytest

from danvan.rules.errors import Rejected
from danvan.workbook.layout import (
    build_layout,
    check_identity,
)
from danvan.workbook.read import clean_doc, locate, read_workbook
from tests.helpers.grids import CRITERIA, GOOD_SCORES, sheets


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (9.5, 9.5),
        ("9,5", 9.5),
        ("9.5", 9.5),
        (" 9,75 ", 9.75),
        (7, 7),
    ],
)
def test_score_as_typed(typed, read):
    rows = [list(r) for r in GOOD_SCORES]
    rows[1][3] = typed
    got = read_workbook(sheets(rows, []))
    assert got.problems == []
    assert clean_doc(got)["scores"] == {"1": read, "2": 20}
    assert got.cells["scores.1"] == "Chấm điểm!D6"


def test_inserted_rows_and_moved_header_are_followed():
    rows = [["ghi chú"], *GOOD_SCORES[:2], [None, "dòng chèn thêm", None, None], *GOOD_SCORES[2:]]
    grid = sheets(rows, [])
    grid["Chấm điểm"].insert(0, ["dòng mới ở đầu"])
    got = read_workbook(grid)
    assert got.problems == [] and got.cells["scores.2"] == "Chấm điểm!D10"
    assert clean_doc(got)["penalty"] == 1 and "bonus" not in clean_doc(got)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("chín", "score_not_number"),
        (True, "score_not_number"),
        # Digits that are not ASCII: Python's float() would read "١٢" and "１２" (issue 22)
        ("¹", "score_not_number"),
        ("١٢", "score_not_number"),
        ("１２", "score_not_number"),
        ("9,5¹", "score_not_number"),
        ("nan", "score_not_number"),
        ("1e1", "score_not_number"),
        ("#VALUE!", "cell_error"),
    ],
)
def test_bad_score_is_named_by_cell(typed, code):
    rows = [list(r) for r in GOOD_SCORES]
    rows[1][3] = typed
    got = read_workbook(sheets(rows, []))
    assert [(p.code, p.field) for p in got.problems] == [(code, "Chấm điểm!D6")]
    assert "1" not in clean_doc(got)["scores"]


def test_formula_without_value_and_row_without_code():
    rows = [list(r) for r in GOOD_SCORES]
    rows[1][3] = None
    rows.insert(2, [None, "thêm", None, 3])
    got = read_workbook(sheets(rows, []), no_value={"Chấm điểm": {"D6"}})
    assert [(p.code, p.field) for p in got.problems] == [
        ("formula_no_value", "Chấm điểm!D6"),
        ("row_without_code", "Chấm điểm!D7"),
    ]


@pytest.mark.parametrize(
    ("typed", "read", "code"),
    [
        (2473, 2473, None),
        (2473.0, 2473, None),
        ("2473", 2473, None),
        ("2.473", None, "figure_ambiguous_text"),
        ("2,473", None, "figure_ambiguous_text"),
        ("hai", None, "figure_not_integer"),
        # isdigit() accepts these and int() fails or reads another script (issue 22)
        ("¹", None, "figure_not_integer"),
        ("²³", None, "figure_not_integer"),
        ("١٢", None, "figure_not_integer"),
        ("１２", None, "figure_not_integer"),
        ("12٣", None, "figure_not_integer"),
    ],
)
def test_figure_as_typed(typed, read, code):
    figs = [
        ["models", None, "Mô hình", None],
        ["models", "registered", "Đăng ký", typed],
        ["models", "recognised", "Công nhận", 0],
    ]
    got = read_workbook(sheets(GOOD_SCORES, figs))
    assert [p.code for p in got.problems] == ([code] if code else [])
    if read is not None:
        assert clean_doc(got)["figures"] == {"models": {"registered": read, "recognised": 0}}


def test_an_empty_group_is_nothing_to_report_a_partial_one_names_each_cell():
    figs = [
        ["models", "registered", "Đăng ký", None],
        ["models", "recognised", "Công nhận", None],
        ["mediation", "received", "Tiếp nhận", 3],
        ["mediation", "successful", "Thành", None],
    ]
    got = read_workbook(sheets(GOOD_SCORES, figs))
    assert clean_doc(got)["figures"] == {"mediation": {"received": 3}}
    from danvan.rules.errors import Problem

    located = locate([Problem("figure_missing", "figures.mediation.successful", "Thiếu")], got)
    assert [p.field for p in located] == ["Số liệu!D8"]


def test_evidence_and_notes_share_a_column():
    rows = [[*r, None, None] for r in GOOD_SCORES]
    rows[1][5] = "ke-hoach.pdf; đã ban hành đúng hạn, Bien Ban.DOCX"
    got = read_workbook(sheets(rows, []))
    assert clean_doc(got)["evidence"] == {"1": ["ke-hoach.pdf", "Bien Ban.DOCX"]}


def test_identity_must_match_the_unit_and_the_criteria_set_in_force():
    got = read_workbook(sheets(GOOD_SCORES, []))
    check_identity(got.identity, unit="X", criteria=CRITERIA)
    with pytest.raises(Rejected) as exc:
        check_identity(got.identity, unit="X", criteria=CRITERIA, expected_unit="Y")
    assert [p.code for p in exc.value.problems] == ["wrong_unit"]
    changed = dataclasses.replace(CRITERIA, bonus_max=6)
    with pytest.raises(Rejected) as exc:
        check_identity(got.identity, unit="X", criteria=changed)
    assert [p.code for p in exc.value.problems] == ["criteria_set_changed"]


def test_layout_rows_follow_the_criteria_set():
    from datetime import date

    layout = build_layout(CRITERIA, year=2024, reference="KH 1", deadline=date(2024, 11, 10))
    kinds = [(r.row, r.kind, r.code) for r in layout.score_rows]
    assert kinds == [
        (5, "group", "I"),
        (6, "criterion", "1"),
        (7, "criterion", "2"),
        (8, "bonus", ""),
        (9, "penalty", ""),
        (10, "total", ""),
    ]
    # an N/A mark (column E) counts the criterion at its max (column C), as full_marks does
    assert layout.total_formula == '=SUM(D6:D7)+SUMIF(E6:E7,"<>",C6:C7)+D8-D9'
    assert "ngày 10 tháng 11 năm 2024" in dict(layout.guide)["Hạn nộp"].lower()


def test_a_kind_sees_only_its_criteria_and_the_total_rescales_as_danvan_does():
    """Issue 17: a commune's workbook listed a department-only criterion and a maximum of 100;
    the live total ignored N/A (90 where danvan's total was 99,78)."""
    from datetime import date

    from tests.helpers.rules import criteria

    cs = criteria()  # criterion 3 (30) is the communes' only
    dept = build_layout(
        cs, year=2024, reference="KH", deadline=date(2024, 11, 10), kind="department"
    )
    assert [r.code for r in dept.score_rows if r.kind == "criterion"] == ["1", "2"]
    assert dept.score_rows[-1].max == 70  # the total's maximum: its own criteria
    rescaled = criteria(not_applicable="rescale")
    xa = build_layout(
        rescaled, year=2024, reference="KH", deadline=date(2024, 11, 10), kind="commune"
    )
    assert [r.code for r in xa.score_rows if r.kind == "criterion"] == ["1", "2", "3"]
    assert xa.total_formula == (
        '=IFERROR(ROUND(SUM(D6:D8)/(SUM(C6:C8)-SUMIF(E6:E8,"<>",C6:C8))*100,2),100)+D9-D10'
    )
