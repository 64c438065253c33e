"""The amendment rule (SPEC §3.3) on literal plans: what changes, and what may not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from danvan.rules.amendment import PlanTerms, amendment
from danvan.rules.errors import Rejected

IN_FORCE = PlanTerms(
    province="QNG", year=2024, issued_on=date(2024, 2, 17), timezone="Asia/Ho_Chi_Minh",
    title="Kế hoạch", reference="Kế hoạch số 30/KH-UBND", request="",
    deadlines={"self_assessment": date(2024, 11, 10), "district_compilation": date(2024, 11, 20),
               "province_scoring": date(2024, 11, 29)},
    reminders={"before_days": [14, 7, 3, 1], "send_at": "08:00"}, revision_days=5,
    criteria={"default": "QNG-2024"},
)  # fmt: skip
TODAY = date(2024, 11, 11)


def moved(**days: date) -> PlanTerms:
    return replace(IN_FORCE, deadlines=IN_FORCE.deadlines | days)


def test_an_extension_is_the_old_and_new_date_of_each_moved_deadline():
    got = amendment(IN_FORCE, moved(self_assessment=date(2024, 11, 15)), TODAY, True, "p.yaml")
    assert got.deadlines == {"self_assessment": (date(2024, 11, 10), date(2024, 11, 15))}
    assert got.fields == {}
    assert got.to_dict()["deadlines"]["self_assessment"] == {
        "old": "2024-11-10",
        "new": "2024-11-15",
    }


def test_the_same_terms_are_no_change_and_other_fields_are_named():
    assert amendment(IN_FORCE, IN_FORCE, TODAY, True, "p.yaml").empty
    got = amendment(IN_FORCE, replace(IN_FORCE, revision_days=7, title="Mới"), TODAY, True, "p")
    assert got.fields == {"title": ("Kế hoạch", "Mới"), "revision_days": (5, 7)}


@pytest.mark.parametrize(
    ("amended", "submitted", "codes"),
    [
        (moved(self_assessment=date(2024, 11, 5)), False, ["deadline_past"]),
        (moved(self_assessment=date(2024, 11, 11)), False, []),  # today is not past
        (replace(IN_FORCE, criteria={"default": "QNG-2025"}), True, ["criteria_locked"]),
        (replace(IN_FORCE, criteria={"default": "QNG-2025"}), False, []),
        (replace(IN_FORCE, year=2025, issued_on=date(2025, 2, 1)), False,
         ["plan_fixed_field", "plan_fixed_field"]),
    ],
)  # fmt: skip
def test_what_may_not_change(amended, submitted, codes):
    if not codes:
        amendment(IN_FORCE, amended, TODAY, submitted, "p.yaml")
        return
    with pytest.raises(Rejected) as exc:
        amendment(IN_FORCE, amended, TODAY, submitted, "p.yaml")
    assert [p.code for p in exc.value.problems] == codes
