"""Kế hoạch: the year's plan file (SPEC §3.3), checked before a cycle is created from it.

Parsing stops at paths: the plan names its criteria files relative to itself, and reading them is
I/O for the caller. :func:`parse_plan` returns a :class:`PlanDoc`; once the caller has loaded
each criteria file it calls :func:`plan_from_doc` with path → set code to get the domain
:class:`Plan`. A per-kind mapping must name a ``default`` set, so that no assessed unit can be
left without criteria whatever kinds the tree holds. Deadlines may spill into the next year
(a 2024 cycle may close in January 2025); the plan may be issued in the year before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from danvan.rules import fields as f
from danvan.rules.domain import MILESTONES, UNIT_KINDS, Plan, ReminderPolicy
from danvan.rules.errors import Problems, reject
from danvan.rules.quality_checks import Check, parse_checks
from danvan.rules.timing import DEFAULT_TZ

_TOP = (
    "province",
    "year",
    "title",
    "reference",
    "request",
    "issued_on",
    "criteria",
    "deadlines",
    "reminders",
    "timezone",
    "revision_days",
    "checks",
)
_REMINDERS = (
    "before_days",
    "overdue_every_days",
    "escalate_after_days",
    "send_at",
    "working_days_only",
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_CRITERIA_EXTS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class PlanDoc:
    """The plan as written: criteria still as file paths (one, or kind/``default`` → path)."""

    province: str
    year: int
    title: str
    issued_on: date
    criteria: str | dict[str, str]
    deadlines: dict[str, date]
    reference: str = ""
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    timezone: str = DEFAULT_TZ
    revision_days: int = 5
    request: str = ""  # the request letter reports cite (Công văn số … của Sở Nội vụ)
    checks: tuple[Check, ...] = ()  # the province's data-quality checks (SPEC §3.8)

    def criteria_paths(self) -> dict[str, str]:
        """Unit kind or ``default`` → criteria file path, as written in the plan."""
        return {"default": self.criteria} if isinstance(self.criteria, str) else dict(self.criteria)


def parse_plan(doc: object, file: str) -> PlanDoc:
    """Check and build a :class:`PlanDoc`; every problem of the file at once."""
    p = Problems()
    top = f.mapping(doc, "", p)
    p.raise_if_any(file)
    assert top is not None
    f.unknown_keys(top, _TOP, "", p)
    province = f.code_field(top, "province", "province", p)
    year = f.year(top.get("year"), "year", p)
    title = f.text(top, "title", "title", p)
    reference = f.text(top, "reference", "reference", p, required=False) or ""
    request = f.text(top, "request", "request", p, required=False) or ""
    issued_on = _date(top.get("issued_on"), "issued_on", p)
    criteria = _criteria(top.get("criteria"), p)
    deadlines = _deadlines(top.get("deadlines"), p)
    reminders = _reminders(top.get("reminders"), p)
    tz = _timezone(top.get("timezone", DEFAULT_TZ), p)
    revision_days = f.integer(top.get("revision_days", 5))
    if revision_days is None or not 1 <= revision_days <= 60:
        p.add(
            "invalid_days",
            "revision_days",
            f"Số ngày làm việc để bổ sung phải từ 1 đến 60, không phải {top.get('revision_days')!r}.",
        )
    checks = parse_checks(top.get("checks"), "checks", p)
    if year and issued_on and len(deadlines) == len(MILESTONES):
        _check_calendar(year, issued_on, deadlines, p)
    p.raise_if_any(file)
    assert province and year and title and issued_on and criteria and reminders and tz
    assert revision_days is not None
    return PlanDoc(
        province,
        year,
        title,
        issued_on,
        criteria,
        deadlines,
        reference,
        reminders,
        tz,
        revision_days,
        request,
        checks,
    )


def _date(value: object, field: str, p: Problems) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if value is None:
        p.add("missing_field", field, "Thiếu ngày.")
    else:
        p.add("invalid_date", field, f"Ngày phải viết dạng 2024-11-10, không phải {value!r}.")
    return None


def _criteria(value: object, p: Problems) -> str | dict[str, str] | None:
    if value is None:
        p.add("missing_field", "criteria", "Thiếu tệp bộ tiêu chí.")
        return None
    if isinstance(value, str):
        return _path(value, "criteria", p)
    m = f.mapping(value, "criteria", p)
    if m is None:
        return None
    out = {}
    for key, path in m.items():
        if key != "default" and key not in UNIT_KINDS:
            p.add(
                "unknown_kind",
                f"criteria.{key}",
                f"Loại đơn vị “{key}” không có; chỉ nhận default hoặc: " + ", ".join(UNIT_KINDS),
            )
        elif not isinstance(path, str):
            p.add("not_text", f"criteria.{key}", "Cần đường dẫn tệp bộ tiêu chí.")
        elif (checked := _path(path, f"criteria.{key}", p)) is not None:
            out[key] = checked
    if "default" not in m:
        p.add(
            "criteria_default_missing",
            "criteria.default",
            "Cần bộ tiêu chí default cho các loại đơn vị không được nêu riêng.",
        )
    return out


def _path(value: str, field: str, p: Problems) -> str | None:
    path = PurePosixPath(value.replace("\\", "/"))
    if "://" in value or path.is_absolute() or ".." in path.parts:
        p.add("invalid_path", field, "Đường dẫn phải tương đối, nằm cùng thư mục với kế hoạch.")
    elif path.suffix.lower() not in _CRITERIA_EXTS:
        p.add("invalid_path", field, "Tệp bộ tiêu chí phải là .yaml, .yml hoặc .json.")
    else:
        return str(path)
    return None


def _deadlines(value: object, p: Problems) -> dict[str, date]:
    m = f.mapping(value, "deadlines", p) if value is not None else None
    if value is None:
        p.add("missing_field", "deadlines", "Thiếu các thời hạn.")
    if m is None:
        return {}
    f.unknown_keys(m, MILESTONES, "deadlines", p)
    out = {}
    for milestone in MILESTONES:
        day = _date(m.get(milestone), f"deadlines.{milestone}", p)
        if day is not None:
            out[milestone] = day
    return out


def _check_calendar(year: int, issued: date, deadlines: dict[str, date], p: Problems) -> None:
    if issued.year not in (year - 1, year):
        p.add("wrong_year", "issued_on", f"Ngày ban hành không thuộc năm {year} hoặc năm trước.")
    previous, label = issued, "ngày ban hành"
    for milestone in MILESTONES:
        day = deadlines[milestone]
        at = f"deadlines.{milestone}"
        if day.year not in (year, year + 1):
            p.add("wrong_year", at, f"Thời hạn phải thuộc năm {year} (hoặc đầu năm {year + 1}).")
        if day < previous or (day == previous and milestone == MILESTONES[0]):
            p.add("deadline_order", at, f"Thời hạn phải sau {label} ({previous.isoformat()}).")
        previous, label = day, f"thời hạn {milestone}"


def _reminders(value: object, p: Problems) -> ReminderPolicy | None:
    if value is None:
        return ReminderPolicy()
    m = f.mapping(value, "reminders", p)
    if m is None:
        return None
    f.unknown_keys(m, _REMINDERS, "reminders", p)
    base = ReminderPolicy()
    before = _before_days(m.get("before_days", list(base.before_days)), p)
    every = _count(m, "overdue_every_days", base.overdue_every_days, 1, p)
    escalate = _count(m, "escalate_after_days", base.escalate_after_days, 0, p)
    send_at = _send_at(m.get("send_at", "08:00"), p)
    working = m.get("working_days_only", base.working_days_only)
    if not isinstance(working, bool):
        working = None
        p.add("not_boolean", "reminders.working_days_only", "Cần true hoặc false.")
    if before is None or every is None or escalate is None or send_at is None or working is None:
        return None
    return ReminderPolicy(before, every, escalate, send_at, working)


def _before_days(value: object, p: Problems) -> tuple[int, ...] | None:
    items = f.sequence(value, "reminders.before_days", p)
    if items is None:
        return None
    days = [f.integer(v) if not isinstance(v, float) else None for v in items]
    if any(d is None or not 1 <= d <= 366 for d in days) or len(set(days)) != len(days):
        p.add(
            "invalid_before_days",
            "reminders.before_days",
            "Cần danh sách số ngày nguyên dương, không trùng (vd. [14, 7, 3, 1]).",
        )
        return None
    return tuple(sorted((d for d in days if d is not None), reverse=True))


def _count(m: Mapping[str, Any], key: str, default: int, least: int, p: Problems) -> int | None:
    value = m.get(key, default)
    n = f.integer(value) if not isinstance(value, float) else None
    if n is None or n < least or n > 366:
        p.add("invalid_days", f"reminders.{key}", f"Cần số ngày nguyên từ {least} trở lên.")
        return None
    return n


def _send_at(value: object, p: Problems) -> time | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)  # YAML 1.1 reads an unquoted 8:00 as 480 (base 60)
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        p.add(
            "invalid_time", "reminders.send_at", f'Giờ gửi phải dạng "08:00", không phải {value!r}.'
        )
        return None
    return time(int(match[1]), int(match[2]))


def _timezone(value: object, p: Problems) -> str | None:
    try:
        if isinstance(value, str):
            ZoneInfo(value)
            return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    p.add("unknown_timezone", "timezone", f"Múi giờ “{value}” không có (vd. Asia/Ho_Chi_Minh).")
    return None


def plan_from_doc(plandoc: PlanDoc, criteria_codes: Mapping[str, str]) -> Plan:
    """The domain :class:`Plan`, once the caller knows the set code loaded from each path."""
    by_kind = {}
    for kind, path in plandoc.criteria_paths().items():
        if path not in criteria_codes:
            raise reject("criteria_not_loaded", f"criteria.{kind}", f"Chưa đọc tệp “{path}”.")
        by_kind[kind] = criteria_codes[path]
    return Plan(
        province=plandoc.province,
        year=plandoc.year,
        title=plandoc.title,
        reference=plandoc.reference,
        request=plandoc.request,
        issued_on=plandoc.issued_on,
        criteria=by_kind,
        deadlines=dict(plandoc.deadlines),
        reminders=plandoc.reminders,
        timezone=plandoc.timezone,
        revision_days=plandoc.revision_days,
        checks=plandoc.checks,
    )
