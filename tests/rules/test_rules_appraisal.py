"""Appraisals: the file's shape, who may adjust whom, and the limits of each new value."""

from __future__ import annotations

from typing import Any

import pytest

from danvan.demo.sample import sample_dir
from danvan.rules.appraisal import check_appraisal, parse_appraisal
from danvan.rules.criteria import parse_criteria
from danvan.rules.domain import Appraisal, CriteriaSet, OrgUnit
from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.org import effective_unit, parse_org
from tests.helpers.rules import rejects


def _sample(name: str) -> Any:
    path = sample_dir() / name
    return load_document(name, path.read_bytes())


UNITS: dict[str, OrgUnit] = {
    s.code: effective_unit(s) for s in parse_org(_sample("org.yaml"), "org.yaml")
}
SETS = {
    "commune": parse_criteria(_sample("criteria-xa.yaml"), "criteria-xa.yaml"),
    "default": parse_criteria(_sample("criteria.yaml"), "criteria.yaml"),
}


def _criteria_for(code: str) -> CriteriaSet:
    return SETS.get(UNITS[code].kind, SETS["default"])


def _appraisal(by: str, *lines: dict, year: int = 2024) -> Appraisal:
    return parse_appraisal({"year": year, "by": by, "adjustments": list(lines)}, "a.yaml")


def _check(appraisal: Appraisal, cycle_year: int | None = 2024) -> None:
    check_appraisal(
        appraisal,
        by_unit=UNITS.get(appraisal.by),
        units=UNITS,
        criteria_for_unit=_criteria_for,
        cycle_year=cycle_year,
    )


R = "Kế hoạch ban hành chậm"


def test_spec_example_parses_and_passes() -> None:
    appraisal = _appraisal(
        "QNG",
        {"unit": "QNG.BSN.X07", "criterion": "1", "score": 4, "reason": R},
        {"unit": "QNG.SNV", "penalty": 2, "reason": "Có công chức bị kỷ luật"},
        {"unit": "QNG.SNV", "bonus": 1.5, "reason": "Mô hình tiêu biểu"},
    )
    _check(appraisal)
    first, second, third = appraisal.adjustments
    assert (first.target, first.value) == ("1", 4)
    assert (second.target, second.value) == ("penalty", 2)
    assert third.target == "bonus"


def test_a_district_adjusts_its_own_units_only() -> None:
    _check(_appraisal("QNG.BSN", {"unit": "QNG.BSN.PNV", "criterion": "3", "score": 2.5,
                                  "reason": R}))  # fmt: skip


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        ("adjustments", "not_a_mapping", ""),
        ({"year": 2024, "by": "QNG"}, "missing_field", "adjustments"),
        ({"year": 2024, "by": "QNG", "adjustments": []}, "missing_field", "adjustments"),
        ({"year": 2024, "by": "QNG", "adjustments": {"unit": "A"}}, "not_a_list", "adjustments"),
        ({"year": 2024, "adjustments": [{"unit": "A", "bonus": 1, "reason": R}]},
         "missing_field", "by"),
        ({"year": "2024", "by": "QNG", "adjustments": [{"unit": "A", "bonus": 1, "reason": R}]},
         "invalid_year", "year"),
        ({"year": 2024, "by": "QNG", "adjustments": ["A"]}, "not_a_mapping", "adjustments[0]"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"bonus": 1, "reason": R}]},
         "missing_field", "adjustments[0].unit"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "bonus": 1}]},
         "missing_field", "adjustments[0].reason"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "bonus": 1, "reason": " "}]},
         "missing_field", "adjustments[0].reason"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "reason": R}]},
         "adjustment_empty", "adjustments[0]"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "criterion": "1", "reason": R}]},
         "missing_field", "adjustments[0].score"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "score": 5, "reason": R}]},
         "missing_field", "adjustments[0].criterion"),
        ({"year": 2024, "by": "QNG",
          "adjustments": [{"unit": "A", "bonus": 1, "penalty": 1, "reason": R}]},
         "adjustment_ambiguous", "adjustments[0]"),
        ({"year": 2024, "by": "QNG",
          "adjustments": [{"unit": "A", "criterion": "1", "score": 5, "bonus": 1, "reason": R}]},
         "adjustment_ambiguous", "adjustments[0]"),
        ({"year": 2024, "by": "QNG",
          "adjustments": [{"unit": "A", "criterion": "1", "score": "5", "reason": R}]},
         "score_not_number", "adjustments[0].score"),
        ({"year": 2024, "by": "QNG", "adjustments": [{"unit": "A", "bonus": 1, "reason": R,
                                                      "note": "x"}]},
         "unknown_field", "adjustments[0].note"),
    ],
)  # fmt: skip
def test_parse_rejects(doc: object, code: str, field: str) -> None:
    rejects(lambda: parse_appraisal(doc, "a.yaml"), code, field)


def _one(by: str, **line: object) -> Appraisal:
    return _appraisal(by, {"reason": R, **line})


@pytest.mark.parametrize(
    ("appraisal", "code", "field"),
    [
        (_one("QNG.XYZ", unit="QNG.SNV", bonus=1), "unknown_unit", "by"),
        (_one("QNG.SNV", unit="QNG.SNV", bonus=1), "not_a_compiler", "by"),
        (_one("QNG.BSN.X07", unit="QNG.BSN.X07", bonus=1), "not_a_compiler", "by"),
        (_one("QNG", unit="QNG.NOPE", bonus=1), "unknown_unit", "adjustments[0].unit"),
        (_one("QNG.BSN", unit="QNG.STH.X01", bonus=1), "outside_scope", "adjustments[0].unit"),
        (_one("QNG.BSN", unit="QNG.SNV", bonus=1), "outside_scope", "adjustments[0].unit"),
        (_one("QNG.BSN", unit="QNG.BSN", bonus=1), "outside_scope", "adjustments[0].unit"),
        (_one("QNG", unit="QNG", bonus=1), "unit_not_assessed", "adjustments[0].unit"),
        (_one("QNG", unit="QNG.SNV", criterion="99", score=1), "unknown_criterion",
         "adjustments[0].criterion"),
        (_one("QNG", unit="QNG.BSN.X07", criterion="12", score=5.25), "score_out_of_range",
         "adjustments[0].score"),
        (_one("QNG", unit="QNG.SNV", criterion="1", score=-1), "score_out_of_range",
         "adjustments[0].score"),
        (_one("QNG", unit="QNG.SNV", criterion="1", score=2.2), "score_off_step",
         "adjustments[0].score"),
        (_one("QNG", unit="QNG.SNV", bonus=6), "bonus_out_of_range", "adjustments[0].bonus"),
        (_one("QNG", unit="QNG.SNV", penalty=10.5), "penalty_out_of_range",
         "adjustments[0].penalty"),
        (_one("QNG", unit="QNG.SNV", penalty=0.1), "score_off_step", "adjustments[0].penalty"),
        (_one("QNG", unit="QNG.SNV", bonus=1), "wrong_year", "year"),
    ],
)  # fmt: skip
def test_check_rejects(appraisal: Appraisal, code: str, field: str) -> None:
    year = 2025 if code == "wrong_year" else 2024
    rejects(lambda: _check(appraisal, cycle_year=year), code, field)


def test_same_target_twice_and_every_problem_at_once() -> None:
    appraisal = _appraisal(
        "QNG.BSN",
        {"unit": "QNG.BSN.X07", "criterion": "1", "score": 4, "reason": R},
        {"unit": "QNG.BSN.X07", "criterion": "1", "score": 3, "reason": R},
        {"unit": "QNG.STH.X01", "bonus": 1, "reason": R},
    )
    with pytest.raises(Rejected) as info:
        _check(appraisal)
    assert [(p.code, p.field) for p in info.value.problems] == [
        ("adjustment_duplicated", "adjustments[1]"),
        ("outside_scope", "adjustments[2].unit"),
    ]


def test_province_may_adjust_any_unit_below_any_compiler() -> None:
    _check(_one("QNG", unit="QNG.STH.X01", criterion="5", score=9.75))
    _check(_one("QNG", unit="QNG.P01", penalty=10))
