"""Pure rules of return for revision (SPEC §3.6), N/A submissions and breakdown warnings (§3.4)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from danvan.rules.domain import OrgUnit, ReminderPolicy
from danvan.rules.revision import (
    ReturnFacts,
    check_returns,
    parse_returns,
    revise_by,
    revision_reminders,
    revision_standing,
)
from danvan.rules.submission import parse_submission
from danvan.rules.submission_checks import breakdown_warnings, check_submission
from danvan.rules.workdays import WorkCalendar
from tests.helpers.province import at
from tests.helpers.rules import criteria, rejects

# --- submissions: not_applicable and kinds ------------------------------------------------------

DOC: dict[str, Any] = {
    "unit": "P.X1",
    "year": 2024,
    "submitted_by": "Văn phòng",
    "scores": {"1": 35, "3": 20},
    "not_applicable": {"2": "Không phát sinh khiếu nại trong năm"},
    "figures": {},
}


def doc(**changes: Any) -> dict:
    d = copy.deepcopy(DOC)
    d.update(changes)
    return d


def check(d: dict, kind: str = "commune") -> None:
    check_submission(parse_submission(d, "x.yaml"), criteria=criteria(), kind=kind)


def test_a_not_applicable_criterion_with_its_reason_is_accepted() -> None:
    check(doc())
    assert parse_submission(doc(), "x").not_applicable == {
        "2": "Không phát sinh khiếu nại trong năm"
    }
    check(doc(scores={"1": 35}), kind="department")  # criterion 3 is for communes only


@pytest.mark.parametrize(
    ("changes", "kind", "code", "field"),
    [
        ({"not_applicable": {"2": ""}}, "commune", "reason_missing", "not_applicable.2"),
        ({"not_applicable": {"1": "Không có"}, "scores": {"3": 20}}, "commune",
         "not_applicable_not_allowed", "not_applicable.1"),
        ({"scores": {"1": 35, "2": 10, "3": 20}}, "commune", "score_for_not_applicable", "scores.2"),
        ({"not_applicable": {}}, "commune", "criterion_missing", "scores.2"),
        ({"not_applicable": {"9": "x"}}, "commune", "unknown_criterion", "not_applicable.9"),
        ({}, "department", "unknown_criterion", "scores.3"),  # not a department's criterion
    ],
)  # fmt: skip
def test_not_applicable_mistakes(changes: dict, kind: str, code: str, field: str) -> None:
    rejects(lambda: check(doc(**changes), kind), code, field)


# --- breakdowns ---------------------------------------------------------------------------------

RECEPTION = {"regular_sessions": 442, "regular_people": 448, "periodic_sessions": 79,
             "periodic_people": 79, "cases": 442, "group_cases": 0}  # fmt: skip
ADMIN = {"received": 3697, "online": 3018, "resolved": 3320, "on_time": 3306, "overdue": 14}
PETITIONS = {"received": 79, "in_jurisdiction": 79, "resolved": 77, "outstanding": 2}


def with_breakdowns(**groups: dict) -> dict:
    figures = {"citizen_reception": dict(RECEPTION), "admin_procedures": dict(ADMIN),
               "petitions": dict(PETITIONS)}  # fmt: skip
    for group, extra in groups.items():
        figures[group].update(extra)
    return doc(figures=figures)


@pytest.mark.parametrize(
    ("groups", "fields"),
    [
        # seed 001, footnote 6: the parts add up to 510 against the 442 reported
        ({"citizen_reception": {"by_receiver": {"chairman": 98, "vice_chairmen": 125,
                                                "departments": 287}}},
         ["figures.citizen_reception.by_receiver"]),
        ({"citizen_reception": {"by_receiver": {"chairman": 100, "vice_chairmen": 42,
                                                "departments": 300}}}, []),
        ({"admin_procedures": {"on_time_detail": {"ahead": 3000, "on_day": 306}}}, []),
        ({"admin_procedures": {"on_time_detail": {"ahead": 3000, "on_day": 300}}},
         ["figures.admin_procedures.on_time_detail"]),
        ({"admin_procedures": {"in_progress": 370, "returned": 7}}, []),
        ({"admin_procedures": {"in_progress": 300}}, ["figures.admin_procedures.in_progress"]),
        ({"petitions": {"by_type": {"complaints": 19, "denunciations": 0, "petitions": 60}}}, []),
        ({"petitions": {"by_type": {"complaints": 19, "denunciations": 2, "petitions": 60}}},
         ["figures.petitions.by_type"]),
    ],
)  # fmt: skip
def test_breakdowns_that_do_not_add_up_are_warned(groups: dict, fields: list[str]) -> None:
    parsed = parse_submission(with_breakdowns(**groups), "x.yaml")
    check_submission(parsed, criteria=criteria(), kind="commune")  # accepted
    warnings = breakdown_warnings(parsed)
    assert [w.field for w in warnings] == fields
    assert all(w.code == "breakdown_mismatch" for w in warnings)


def test_the_warning_names_both_numbers() -> None:
    d = with_breakdowns(citizen_reception={"by_receiver": {"chairman": 98, "vice_chairmen": 125,
                                                           "departments": 287}})  # fmt: skip
    [w] = breakdown_warnings(parse_submission(d, "x"))
    assert "510" in w.message and "442" in w.message


@pytest.mark.parametrize(
    ("groups", "code"),
    [
        ({"citizen_reception": {"by_receiver": {"chairman": 1, "vice_chairmen": 2}}},
         "figure_missing"),
        ({"petitions": {"by_type": {"complaints": -1, "denunciations": 0, "petitions": 0}}},
         "figure_negative"),
        ({"admin_procedures": {"in_progress": 2.5}}, "figure_not_integer"),
        ({"petitions": {"by_type": {"complaints": 1, "denunciations": 0, "petitions": 0,
                                    "others": 1}}}, "unknown_field"),
    ],
)  # fmt: skip
def test_malformed_breakdowns_are_rejected(groups: dict, code: str) -> None:
    parsed = parse_submission(with_breakdowns(**groups), "x.yaml")
    rejects(lambda: check_submission(parsed, criteria=criteria(), kind="commune"), code)


# --- return for revision ------------------------------------------------------------------------

UNITS = {
    "P": OrgUnit("P", "Tỉnh", "province", None, assessed=False, compiles=True, contacts=("json://p",)),
    "P.S": OrgUnit("P.S", "Sở", "department", "P"),
    "P.D": OrgUnit("P.D", "Huyện", "district", "P", compiles=True, contacts=("json://d",)),
    "P.D.X": OrgUnit("P.D.X", "Xã", "commune", "P.D", contacts=("json://x",)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("returned_on", "days", "expected"),
    [
        (date(2024, 11, 12), 5, date(2024, 11, 19)),  # Tue → Tue (a weekend between)
        (date(2024, 11, 15), 1, date(2024, 11, 18)),  # Fri → Mon
        (date(2024, 11, 16), 5, date(2024, 11, 22)),  # returned on a Saturday
        (date(2024, 8, 29), 3, date(2024, 9, 5)),  # Quốc khánh 2–3/9/2024 are days off
    ],
)
def test_revise_by_counts_working_days(returned_on: date, days: int, expected: date) -> None:
    assert revise_by(returned_on, days, WorkCalendar()) == expected


def _ret(version: int, returned: str, revise: date, revised: str | None = None) -> ReturnFacts:
    return ReturnFacts(
        version, "lý do", "P.D", at(returned), revise, at(revised) if revised else None
    )


@pytest.mark.parametrize(
    ("timeliness", "days_late", "returns", "latest", "expected"),
    [
        ("on_time", 0, [], 1, ("on_time", "on_time", 0, False)),
        ("on_time", 0, [_ret(1, "2024-11-12T09:00", date(2024, 11, 19))], 1,
         ("returned", "on_time", 0, True)),
        # revised by the end of revise_by: the original timeliness stands
        ("on_time", 0, [_ret(1, "2024-11-12T09:00", date(2024, 11, 19), "2024-11-19T23:59")], 2,
         ("on_time", "on_time", 0, False)),
        ("late", 2, [_ret(1, "2024-11-12T09:00", date(2024, 11, 19), "2024-11-18T10:00")], 2,
         ("late", "late", 2, False)),
        # revised after: late, counted from revise_by
        ("on_time", 0, [_ret(1, "2024-11-12T09:00", date(2024, 11, 19), "2024-11-22T10:00")], 2,
         ("late", "late", 3, False)),
        # returned twice: the second revision was in time, the first late one still counts
        ("on_time", 0, [_ret(1, "2024-11-12T09:00", date(2024, 11, 19), "2024-11-21T10:00"),
                        _ret(2, "2024-11-25T09:00", date(2024, 12, 2))], 2,
         ("returned", "late", 2, True)),
    ],
)  # fmt: skip
def test_revision_standing(timeliness, days_late, returns, latest, expected) -> None:  # type: ignore[no-untyped-def]
    got = revision_standing(timeliness, days_late, returns, latest)
    assert (got.status, got.timeliness, got.days_late, got.open is not None) == expected


@pytest.mark.parametrize(
    ("by", "lines", "versions", "opened", "published", "code"),
    [
        ("P.S", [{"unit": "P.D.X", "reason": "r"}], {"P.D.X": 1}, [], False, "not_a_compiler"),
        ("P.D", [{"unit": "P.S", "reason": "r"}], {"P.S": 1}, [], False, "not_your_unit"),
        ("P.D", [{"unit": "P.D.X", "reason": "r"}], {}, [], False, "nothing_to_return"),
        ("P.D", [{"unit": "P.D.X", "reason": "r", "version": 1}], {"P.D.X": 2}, [], False,
         "not_latest_version"),
        ("P.D", [{"unit": "P.D.X", "reason": "r"}], {"P.D.X": 1}, ["P.D.X"], False,
         "already_returned"),
        ("P.D", [{"unit": "P.D.X", "reason": "r"}], {"P.D.X": 1}, [], True, "cycle_closed"),
        ("P.D", [{"unit": "P.Q", "reason": "r"}], {}, [], False, "unknown_unit"),
    ],
)  # fmt: skip
def test_who_may_return_what(by, lines, versions, opened, published, code) -> None:  # type: ignore[no-untyped-def]
    d = parse_returns({"year": 2024, "by": by, "returns": lines}, "tra-lai.yaml")
    rejects(
        lambda: check_returns(
            d, units=UNITS, latest_versions=versions, open_returns=opened, published=published
        ),
        code,
    )


def test_the_province_returns_any_unit_below_it() -> None:
    for unit in ("P.S", "P.D.X"):
        d = parse_returns(
            {"year": 2024, "by": "P", "returns": [{"unit": unit, "reason": "r"}]}, "f"
        )
        check_returns(d, units=UNITS, latest_versions={unit: 1}, open_returns=[], published=False)


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        ({"year": 2024, "by": "P.D", "returns": []}, "missing_field"),
        ({"year": 2024, "by": "P.D", "returns": [{"unit": "P.D.X"}]}, "missing_field"),
        ({"year": 2024, "by": "P.D", "returns": [{"unit": "P.D.X", "reason": "a"},
                                                  {"unit": "P.D.X", "reason": "b"}]},
         "duplicate_unit"),
        ({"year": 2024, "by": "P.D", "returns": [{"unit": "P.D.X", "reason": "a", "version": 0}]},
         "invalid_version"),
    ],
)  # fmt: skip
def test_bad_return_files(doc: dict, code: str) -> None:
    rejects(lambda: parse_returns(doc, "tra-lai.yaml"), code)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 11, 14), []),  # 5 days before: not a before_days day
        (date(2024, 11, 15), [("P.D.X", "revision", ("P.D.X",))]),  # Sat 16/11 (3 before) → Fri
        (date(2024, 11, 16), []),  # Saturday
        (date(2024, 11, 18), [("P.D.X", "revision", ("P.D.X",))]),  # 1 day before
        (date(2024, 11, 19), [("P.D.X", "revision", ("P.D.X",))]),  # the day itself
        (date(2024, 11, 20), []),
        (date(2024, 11, 21), [("P.D", "escalation", ("P.D.X",))]),  # 2 days over
    ],
)
def test_revision_reminders(today: date, expected: list) -> None:
    facts = _ret(1, "2024-11-12T09:00", date(2024, 11, 19))
    batch = revision_reminders(
        [(UNITS["P.D.X"], facts)],
        today,
        ReminderPolicy(before_days=(7, 3, 1), overdue_every_days=2, escalate_after_days=3),
        units=UNITS,
        compiler_of={"P.D.X": "P.D", "P.D": "P", "P.S": "P"},
        calendar=WorkCalendar(),
    )
    assert [(r.recipient, r.kind, r.about) for r in batch] == expected
    assert all(r.milestone == "revision" for r in batch)
