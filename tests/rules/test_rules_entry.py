"""The portal's entry form as pure data: its field names are the rules' field paths, and the
document it stands for is read and checked by the very submission rules a workbook meets."""

from __future__ import annotations

import pytest

from danvan.rules import entry
from danvan.rules.submission import parse_submission
from danvan.rules.submission_checks import check_submission
from tests.helpers.rules import criteria, rejects

CS = criteria()


def test_fields_are_the_unit_kinds_criteria() -> None:
    district = entry.field_names(CS, "district")
    commune = entry.field_names(CS, "commune")
    assert district[:5] == ["submitted_by", "scores.1", "scores.2", "not_applicable.2", "bonus"]
    assert "scores.3" not in district and "scores.3" in commune
    assert "not_applicable.1" not in commune  # N/A only where the criterion allows it
    assert "figures.petitions.received" in commune


@pytest.mark.parametrize(
    ("typed", "scores", "figures"),
    [
        ({"scores.1": "40", "scores.2": "29,5"}, {"1": 40.0, "2": 29.5}, {}),
        ({"scores.1": " 12.25 "}, {"1": 12.25}, {}),
        ({"scores.1": "mười"}, {"1": "mười"}, {}),  # passed on: the rules say why
        ({"figures.petitions.received": "1.234"}, {}, {"received": 1234}),
        ({"figures.petitions.received": "12"}, {}, {"received": 12}),
        ({"figures.petitions.received": "1,5"}, {}, {"received": "1,5"}),
    ],
)
def test_document_reads_numbers_as_officials_type_them(typed, scores, figures) -> None:  # type: ignore[no-untyped-def]
    doc = entry.document(typed, unit="X", year=2024, criteria=CS, kind="district")
    assert doc["scores"] == scores
    if figures:
        assert {k: v for k, v in doc["figures"]["petitions"].items() if v} == figures
    else:
        assert doc["figures"] == {}


def _checked(typed: dict[str, str], kind: str = "district") -> None:
    doc = entry.document({"submitted_by": "Chánh Văn phòng", **typed}, unit="X", year=2024,
                         criteria=CS, kind=kind)  # fmt: skip
    check_submission(parse_submission(doc, "nhap.json"), criteria=CS, kind=kind)


def test_the_workbooks_rules_and_messages() -> None:
    _checked({"scores.1": "40", "scores.2": "30"})
    _checked({"scores.1": "40", "not_applicable.2": "Không phát sinh"})
    missing = rejects(lambda: _checked({"scores.1": "40"}), "criterion_missing", "scores.2")
    assert "Khiếu nại" in missing.message  # the criterion's name, beside its field
    rejects(lambda: _checked({"scores.1": "41", "scores.2": "1"}), "score_out_of_range", "scores.1")
    rejects(
        lambda: _checked({"scores.1": "4", "scores.2": "1", "not_applicable.2": "Không"}),
        "score_for_not_applicable",
        "scores.2",
    )


def test_from_version_fills_the_form_back() -> None:
    values = entry.from_version(
        submitted_by="A",
        scores={"1": 39.5, "2": 30.0},
        not_applicable={"3": "Không phát sinh"},
        bonus=1.0,
        penalty=0.0,
        figures={"petitions": {"received": 1234}},
    )
    assert values == {
        "submitted_by": "A",
        "scores.1": "39,5",
        "scores.2": "30",
        "not_applicable.3": "Không phát sinh",
        "bonus": "1",
        "penalty": "0",
        "figures.petitions.received": "1234",
    }


def test_a_draft_keeps_only_the_forms_fields_and_the_limit() -> None:
    names = entry.field_names(CS, "district")
    kept = entry.kept({"scores.1": " 4 ", "csrf": "x", "scores.9": "1", "bonus": "a" * 3000}, names)
    assert kept == {"scores.1": "4", "bonus": "a" * entry.MAX_FIELD}


def test_appraisal_problems_go_beside_their_inputs() -> None:
    from danvan.rules.errors import Problem

    problems = [
        Problem("missing_field", "adjustments[0].reason", "Thiếu thông tin bắt buộc."),
        Problem("score_out_of_range", "adjustments[1].score", "Điểm 50 ngoài khoảng 0 đến 30."),
        Problem("penalty_out_of_range", "adjustments[2].penalty", "Điểm 11 ngoài khoảng 0 đến 10."),
        Problem("wrong_year", "year", "Năm 2023 không phải năm của kỳ (2024)."),
    ]
    out = entry.appraisal_problems(problems, ["1", "2", "penalty"], CS)
    assert {k: [p["message"] for p in v] for k, v in out.items()} == {
        "ly_do_1": ["“Kế hoạch”: Thiếu thông tin bắt buộc."],
        "diem_2": ["“Khiếu nại”: Điểm 50 ngoài khoảng 0 đến 30."],
        "penalty": ["Điểm trừ: Điểm 11 ngoài khoảng 0 đến 10."],
        "": ["Năm 2023 không phải năm của kỳ (2024)."],
    }
