"""Ngày làm việc: Vietnamese weekends, public holidays, Tết, make-up Saturdays, local overrides."""

from __future__ import annotations

from datetime import date

import pytest

from danvan.rules.workdays import WorkCalendar, parse_dates

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2024, 11, 8), True, "an ordinary Friday"),
        (date(2024, 11, 9), False, "Saturday"),
        (date(2024, 11, 10), False, "Sunday"),
        (date(2024, 1, 1), False, "Tết Dương lịch"),
        (date(2024, 2, 7), True, "the day before Tết 2024 off days"),
        (date(2024, 2, 8), False, "29 Tết 2024"),
        (date(2024, 2, 12), False, "Monday of Tết 2024"),
        (date(2024, 2, 14), False, "last Tết day 2024"),
        (date(2024, 2, 15), True, "back to work after Tết 2024"),
        (date(2025, 1, 27), False, "Tết 2025 starts on Monday 27/01"),
        (date(2025, 1, 31), False, "Tết 2025 Friday"),
        (date(2025, 2, 3), True, "back to work after Tết 2025"),
        (date(2024, 4, 18), False, "Giỗ Tổ Hùng Vương 2024"),
        (date(2024, 4, 29), False, "bridge day 29/4/2024"),
        (date(2024, 4, 30), False, "30/4"),
        (date(2024, 5, 1), False, "1/5"),
        (date(2024, 5, 4), True, "make-up Saturday 04/5/2024"),
        (date(2025, 4, 26), True, "make-up Saturday 26/4/2025"),
        (date(2019, 1, 5), True, "make-up Saturday announced under 2018"),
        (date(2024, 9, 2), False, "Quốc khánh"),
        (date(2024, 9, 3), False, "Quốc khánh, second day"),
    ],
)
def test_is_working(day, working, why):
    assert CAL.is_working(day) is working, why


def test_local_overrides_win_over_the_library():
    bridge, make_up = date(2024, 12, 30), date(2024, 12, 28)
    cal = WorkCalendar(extra_holidays=[bridge], extra_working_days=[make_up])
    assert CAL.is_working(bridge) and not cal.is_working(bridge)
    assert not CAL.is_working(make_up) and cal.is_working(make_up)


def test_a_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError, match="2024-12-30"):
        WorkCalendar(extra_holidays=[date(2024, 12, 30)], extra_working_days=[date(2024, 12, 30)])


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        (date(2024, 11, 8), date(2024, 11, 8), date(2024, 11, 8)),
        (date(2024, 11, 10), date(2024, 11, 8), date(2024, 11, 11)),
        (date(2024, 2, 10), date(2024, 2, 7), date(2024, 2, 15)),
        (date(2024, 4, 28), date(2024, 4, 26), date(2024, 5, 2)),
        (date(2024, 12, 31), date(2024, 12, 31), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2024, 12, 31), date(2025, 1, 2)),
    ],
)
def test_previous_and_next_working(day, previous, following):
    assert CAL.previous_working(day) == previous
    assert CAL.next_working(day) == following


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  ", []),
        ("2024-12-30", [date(2024, 12, 30)]),
        ("2024-12-30, 2025-01-02,", [date(2024, 12, 30), date(2025, 1, 2)]),
        ("2024-12-30;2025-01-02", [date(2024, 12, 30), date(2025, 1, 2)]),
    ],
)
def test_parse_dates(text, expected):
    assert parse_dates(text) == expected


def test_parse_dates_names_the_bad_item():
    with pytest.raises(ValueError, match="30/12/2024"):
        parse_dates("2024-12-29, 30/12/2024")


def test_from_settings_strings():
    cal = WorkCalendar.from_strings("2024-12-30", "2024-12-28")
    assert not cal.is_working(date(2024, 12, 30)) and cal.is_working(date(2024, 12, 28))
