"""Điều chỉnh kế hoạch: what an amended plan changes, and whether it may (SPEC §3.3). Pure.

A plan changes during the year (a deadline extended by an official letter). The amended plan is
the whole plan again, for the same province and year: deadlines, reminders, ``revision_days``,
title, reference and request may change; the criteria only while no submission of the cycle
exists; a deadline that moves may not move to a day already past; the day the plan was issued
and its time zone stay. Every problem is named at once, with the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from danvan.rules.domain import MILESTONES
from danvan.rules.errors import Problems

#: What may change, besides the deadlines (compared as written in the plan).
CHANGEABLE = ("title", "reference", "request", "reminders", "revision_days")
#: What may not (a different plan is ``plan issue`` of another year, never an amendment).
FIXED = ("province", "year", "issued_on", "timezone")


@dataclass(frozen=True)
class PlanTerms:
    """A plan's terms, comparable: the one in force (from the cycle) or the amended one."""

    province: str
    year: int
    issued_on: date
    timezone: str
    title: str
    reference: str
    request: str
    deadlines: dict[str, date]
    reminders: dict[str, Any]
    revision_days: int
    criteria: dict[str, str]  # unit kind or ``default`` → criteria set code


@dataclass(frozen=True)
class Amendment:
    """The changes of an amendment: milestone → (old, new) for deadlines, field → (old, new)."""

    deadlines: dict[str, tuple[date, date]] = field(default_factory=dict)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.deadlines and not self.fields

    def to_dict(self) -> dict:
        return {
            "deadlines": {
                m: {"old": old.isoformat(), "new": new.isoformat()}
                for m, (old, new) in self.deadlines.items()
            },
            "fields": {k: {"old": old, "new": new} for k, (old, new) in self.fields.items()},
        }


def amendment(
    current: PlanTerms, amended: PlanTerms, today: date, has_submissions: bool, file: str
) -> Amendment:
    """The changes from ``current`` to ``amended`` as of the local day ``today``; raises one
    rejection naming every field that may not change so (``[plan_fixed_field]``,
    ``[deadline_past]``, ``[criteria_locked]``)."""
    p = Problems()
    for name in FIXED:
        old, new = getattr(current, name), getattr(amended, name)
        if old != new:
            p.add(
                "plan_fixed_field",
                name,
                f"Không điều chỉnh được '{name}' của kế hoạch ({old} → {new}); chỉ thời hạn, "
                "lịch nhắc, số ngày bổ sung, tên, số hiệu và công văn yêu cầu.",
            )
    deadlines: dict[str, tuple[date, date]] = {}
    for m in MILESTONES:
        old_day, new_day = current.deadlines[m], amended.deadlines[m]
        if old_day == new_day:
            continue
        if new_day < today:
            p.add(
                "deadline_past",
                f"deadlines.{m}",
                f"Hạn mới {new_day.isoformat()} đã qua (hôm nay {today.isoformat()}).",
            )
        deadlines[m] = (old_day, new_day)
    if current.criteria != amended.criteria and has_submissions:
        p.add(
            "criteria_locked",
            "criteria",
            "Kỳ đã có đơn vị nộp kết quả: không đổi bộ tiêu chí được nữa.",
        )
    p.raise_if_any(file)
    fields = {
        name: (getattr(current, name), getattr(amended, name))
        for name in (*CHANGEABLE, "criteria")
        if getattr(current, name) != getattr(amended, name)
    }
    return Amendment(deadlines, fields)
