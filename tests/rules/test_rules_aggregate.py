"""Figures are summed once per unit and rates come from sums (SPEC §3.4, §4.4)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from danvan.rules.aggregate import by_kind, difference, empty_figures, rates, sum_figures
from danvan.rules.domain import FIGURE_GROUPS


def test_sum_of_nothing_has_every_group_and_field_at_zero() -> None:
    total = sum_figures([])
    assert total == empty_figures()
    assert {g: tuple(f) for g, f in total.items()} == FIGURE_GROUPS


def test_sum_adds_each_unit_once_and_fills_missing_fields() -> None:
    a = {"mediation": {"received": 10, "successful": 9, "unsuccessful": 1}}
    b = {"mediation": {"received": 2, "successful": 1}, "models": {"registered": 1}}
    total = sum_figures([a, b])
    assert total["mediation"] == {"received": 12, "successful": 10, "unsuccessful": 1}
    assert total["models"] == {"registered": 1, "recognised": 0}
    assert total["petitions"] == dict.fromkeys(FIGURE_GROUPS["petitions"], 0)


@pytest.mark.parametrize(
    ("group", "values", "name", "expected"),
    [
        ("mediation", {"received": 112, "successful": 107}, "mediation_success", Fraction(107, 112)),
        ("admin_procedures", {"resolved": 3320, "on_time": 3306}, "admin_on_time", Fraction(3306, 3320)),
        ("admin_procedures", {"received": 29264, "online": 20607}, "admin_online", Fraction(20607, 29264)),
        ("petitions", {"in_jurisdiction": 79, "resolved": 77}, "petitions_resolved", Fraction(77, 79)),
        ("mediation", {"received": 0}, "mediation_success", None),
        ("admin_procedures", {"received": 5, "resolved": 0}, "admin_on_time", None),
        ("admin_procedures", {"received": 0}, "admin_online", None),
        ("petitions", {"received": 3, "in_jurisdiction": 0}, "petitions_resolved", None),
    ],
)  # fmt: skip
def test_rates_are_exact_and_none_on_zero_denominator(group, values, name, expected) -> None:
    got = rates(sum_figures([{group: values}]))
    assert list(got) == ["mediation_success", "admin_on_time", "admin_online", "petitions_resolved"]
    assert got[name] == expected


def test_rates_are_from_sums_not_averaged() -> None:
    small = {"mediation": {"received": 1, "successful": 0}}
    large = {"mediation": {"received": 99, "successful": 99}}
    assert rates(sum_figures([small, large]))["mediation_success"] == Fraction(99, 100)


def test_by_kind_sums_per_kind_in_canonical_order() -> None:
    def adm(n: int) -> dict:
        return {"admin_procedures": {"received": n}}

    lines = by_kind([("commune", adm(1)), ("district", adm(10)), ("commune", adm(2))])
    assert list(lines) == ["district", "commune"]
    assert lines["commune"]["admin_procedures"]["received"] == 3
    assert lines["district"]["admin_procedures"]["received"] == 10


def test_difference_is_current_minus_previous() -> None:
    now = {"petitions": {"received": 79}}
    before = {"petitions": {"received": 73}, "mediation": {"received": 5}}
    diff = difference(now, before)
    assert diff["petitions"]["received"] == 6
    assert diff["mediation"]["received"] == -5
    assert diff["models"] == {"registered": 0, "recognised": 0}
