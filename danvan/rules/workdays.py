"""Ngày làm việc: the Vietnamese working-day calendar that reminders respect (SPEC §4.1).

Weekends are Saturday and Sunday. Public holidays (Tết Dương lịch, Tết Nguyên Đán with its
official days off, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh) and the make-up working Saturdays
the government announces come from ``holidays.VN``. The government announces bridge days every
year, sometimes after the library was released, so local overrides win over the library:
``extra_holidays`` are days off, ``extra_working_days`` are working days (even on a weekend).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

#: Long enough for any run of days off (Tết with its bridges is about nine days).
_MAX_SCAN_DAYS = 60


@lru_cache(maxsize=64)
def _library_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off on weekdays, make-up working weekend days) of ``year`` according to the library.

    Neighbouring years are loaded too: a substitution announced under one year may move a day of
    the next (31/12/2018 off in exchange for Saturday 05/01/2019).
    """
    import holidays  # here, not at the top: ``status`` reads returns, never the calendar

    lib = holidays.VN(years=(year - 1, year, year + 1))
    off = frozenset(d for d in lib if d.year == year)
    make_up = frozenset(d for d in lib.weekend_workdays if d.year == year)
    return off, make_up


class WorkCalendar:
    """Which days are working days for a Vietnamese public office.

    Cheap to build; the library's data is loaded once per year and shared between instances.
    """

    def __init__(
        self, extra_holidays: Iterable[date] = (), extra_working_days: Iterable[date] = ()
    ) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)
        both = self.extra_holidays & self.extra_working_days
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"a day cannot be both an extra holiday and a working day: {days}")

    @classmethod
    def from_strings(cls, extra_holidays: str = "", extra_working_days: str = "") -> WorkCalendar:
        """From the settings strings ``DANVAN_EXTRA_HOLIDAYS`` / ``DANVAN_EXTRA_WORKING_DAYS``."""
        return cls(parse_dates(extra_holidays), parse_dates(extra_working_days))

    def is_working(self, day: date) -> bool:
        """True on a working day: local overrides first, then make-up Saturdays, then holidays."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        off, make_up = _library_year(day.year)
        if day.weekday() >= 5:
            return day in make_up
        return day not in off

    def previous_working(self, day: date) -> date:
        """``day`` itself when it is a working day, else the nearest working day before it."""
        return self._scan(day, -1)

    def next_working(self, day: date) -> date:
        """``day`` itself when it is a working day, else the nearest working day after it."""
        return self._scan(day, +1)

    def _scan(self, day: date, step: int) -> date:
        current = day
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working(current):
                return current
            current += timedelta(days=step)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days of {day.isoformat()}")


def parse_dates(csv: str) -> list[date]:
    """``"2024-12-30, 2025-01-02"`` → dates (settings strings); blanks are ignored.

    Raises ``ValueError`` naming the bad item, so a misconfigured setting fails at start.
    """
    days: list[date] = []
    for item in csv.replace(";", ",").split(","):
        text = item.strip()
        if not text:
            continue
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None
    return days
