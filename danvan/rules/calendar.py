"""Lịch của kỳ: the cycle's milestones as runs at instants (SPEC §5). Pure: dates in, values out.

``plan issue`` makes these visible as scheduled Prefect runs from the day the plan is issued; when
the plan changes, the runs follow it. Each run has an *idempotency key* that names what it is and
when: a deadline moved is a new key (the old run is removed), the same plan again is the same keys
(nothing duplicated).

- ``nhac-viec``: the day's reminders at ``send_at``, every day from a little before the first
  ``before`` reminder until two weeks after ``province_scoring`` (the remind flow itself decides
  what, if anything, is due on a day; a day off simply sends nothing);
- ``tong-hop`` of each compiler below the province: the morning after ``self_assessment`` (a
  provisional compilation) and again on the morning of ``district_compilation``;
- ``tong-hop`` of the province: the morning after ``district_compilation``;
- ``xep-loai``: publication, an hour later; it waits for the province's sign-off, then publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pendulum

#: Days of reminder runs before the first ``before`` reminder (room for working-day moves).
LEAD_DAYS = 3
#: Days of reminder runs after ``province_scoring`` (overdue reminders while unpublished).
TRAIL_DAYS = 14


@dataclass(frozen=True)
class CycleDates:
    """What the calendar needs from a cycle."""

    province: str
    year: int
    timezone: str
    issued_on: date
    self_assessment: date
    district_compilation: date
    province_scoring: date
    send_at: time
    before_days: tuple[int, ...]

    @property
    def label(self) -> str:
        """``QNG-2024``: the tag and name part every run of the cycle shares."""
        return f"{self.province}-{self.year}"


@dataclass(frozen=True)
class PlannedRun:
    """One run of the calendar: ``kind`` is the deployment (nhac-viec, tong-hop, xep-loai)."""

    kind: str
    name: str
    at: datetime  # aware UTC
    unit: str | None
    key: str
    parameters: dict
    tags: tuple[str, ...]


def _instant(day: date, clock: time, tz: str, plus_hours: int = 0) -> datetime:
    local = pendulum.datetime(day.year, day.month, day.day, clock.hour, clock.minute, tz=tz)
    return local.add(hours=plus_hours).in_timezone("UTC")


def run_key(cycle: CycleDates, kind: str, unit: str | None, at: datetime) -> str:
    """``danvan:QNG-2024:tong-hop:QNG.BSN:20241111T0100Z``: what the run is, and when."""
    return f"danvan:{cycle.label}:{kind}:{unit or '-'}:{at:%Y%m%dT%H%MZ}"


def _run(cycle: CycleDates, kind: str, name: str, at: datetime, unit: str | None) -> PlannedRun:
    parameters: dict = {"year": cycle.year}
    tags = ["danvan", str(cycle.year), cycle.label, kind]
    if unit is not None:
        parameters["unit"] = unit
        tags.append(unit)
    return PlannedRun(kind, name, at, unit, run_key(cycle, kind, unit, at), parameters, tuple(tags))


#: The kinds of run the calendar makes (and so may delete): not the follow-ups (theo-doi) nor the
#: early compilations (tong-hop-som), which the commands ask for and which may be waiting for
#: their deployment's slot (a Scheduled state) when a reconciliation looks.
CALENDAR_KINDS = ("nhac-viec", "tong-hop", "xep-loai")


def is_calendar_key(key: str | None, label: str) -> bool:
    """Is ``key`` the idempotency key of a run of ``label``'s calendar (see :func:`run_key`)?"""
    parts = (key or "").split(":")
    return len(parts) == 5 and parts[:2] == ["danvan", label] and parts[2] in CALENDAR_KINDS


def reminder_days(cycle: CycleDates) -> list[date]:
    """Every day a reminder run is scheduled, never before the plan was issued."""
    first = cycle.self_assessment - timedelta(days=max(cycle.before_days, default=0) + LEAD_DAYS)
    first = max(first, cycle.issued_on)
    last = cycle.province_scoring + timedelta(days=TRAIL_DAYS)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def cycle_runs(cycle: CycleDates, compilers: Sequence[str]) -> list[PlannedRun]:
    """The whole calendar of a cycle, in time order. ``compilers``: those below the province."""
    tz, clock = cycle.timezone, cycle.send_at
    runs = [
        _run(cycle, "nhac-viec", f"nhac-viec-{cycle.province}-{day.isoformat()}", at, None)
        for day in reminder_days(cycle)
        for at in [_instant(day, clock, tz)]
    ]
    for code in compilers:
        name = f"tong-hop-{code}-{cycle.year}"
        for day in (cycle.self_assessment + timedelta(days=1), cycle.district_compilation):
            runs.append(_run(cycle, "tong-hop", name, _instant(day, clock, tz), code))
    after_districts = cycle.district_compilation + timedelta(days=1)
    runs.append(
        _run(
            cycle,
            "tong-hop",
            f"tong-hop-{cycle.label}",
            _instant(after_districts, clock, tz),
            cycle.province,
        )
    )
    runs.append(
        _run(
            cycle,
            "xep-loai",
            f"xep-loai-{cycle.label}",
            _instant(after_districts, clock, tz, plus_hours=1),
            None,
        )
    )
    return sorted(runs, key=lambda r: (r.at, r.kind, r.unit or ""))


def started_too_late(scheduled: datetime, started: datetime, tz: str) -> bool:
    """A day's run that starts on a later local day than it was scheduled for (after an outage):
    its reminders are not sent late (SPEC §4.1: missed days are not back-filled)."""
    local = pendulum.instance
    return local(started).in_timezone(tz).date() > local(scheduled).in_timezone(tz).date()
