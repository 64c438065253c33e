"""Trả lại, yêu cầu bổ sung: returning a unit's latest version for revision (SPEC §3.6). Pure.

A compiler returns a unit's latest version with a reason. The unit is ``returned`` until a newer
version arrives; it has ``revision_days`` working days (``revise_by``, counted from the day after
the return). Its original timeliness stands if it revises by the end of ``revise_by``; otherwise
it is ``late``, ``days_late`` counted in calendar days from ``revise_by`` to the revision's date.

Reminders follow the plan's own calendar against ``revise_by``: on the ``before`` and ``due``
days of the plan's policy the unit gets a ``revision`` reminder; on its ``overdue`` days (every
``overdue_every_days`` after ``revise_by``) its compiler gets an ``escalation``: the revision
period itself is the grace, so ``escalate_after_days`` does not delay it further.

The return file (``tra-lai.yaml``), for many units at once, is shaped like an appraisal::

    year: 2024
    by: QNG.BSN
    returns:
      - {unit: QNG.BSN.X07, reason: Thiếu số liệu tiếp công dân}
      - {unit: QNG.BSN.X08, reason: Chưa ký, version: 2}    # version optional: must be the latest
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from danvan.rules import fields as f
from danvan.rules import timing
from danvan.rules.domain import OrgUnit, ReminderPolicy
from danvan.rules.errors import Problems
from danvan.rules.org import is_below
from danvan.rules.reminders import Reminder, ReminderBatch, Skipped, due_on
from danvan.rules.text import normalize_text
from danvan.rules.workdays import WorkCalendar

MILESTONE = "revision"


@dataclass(frozen=True)
class ReturnLine:
    unit: str
    reason: str
    version: int | None = None


@dataclass(frozen=True)
class ReturnDoc:
    """A return file or the ``return`` command's options: who returns which units, and why."""

    year: int
    by: str
    returns: tuple[ReturnLine, ...]


@dataclass(frozen=True)
class ReturnFacts:
    """A recorded return, and when (if ever, by T) the unit sent its next version."""

    version: int
    reason: str
    by: str
    returned_at: datetime
    revise_by: date
    revised_at: datetime | None = None


@dataclass(frozen=True)
class RevisionStanding:
    """``status`` (``returned`` while a return is open), ``timeliness`` and ``days_late``."""

    status: str
    timeliness: str
    days_late: int
    open: ReturnFacts | None = None


def parse_returns(doc: object, file: str) -> ReturnDoc:
    """Read a return file; every problem at once."""
    p = Problems()
    top = f.mapping(doc, "", p)
    p.raise_if_any(file)
    assert top is not None
    f.unknown_keys(top, ("year", "by", "returns"), "", p)
    year = f.year(top.get("year"), "year", p)
    by = f.code_field(top, "by", "by", p)
    lines: list[ReturnLine] = []
    items = f.sequence(top.get("returns"), "returns", p) if "returns" in top else None
    if not items:
        p.add("missing_field", "returns", "Chưa có đơn vị nào được trả lại.")
    seen: set[str] = set()
    for i, item in enumerate(items or []):
        at = f"returns[{i}]"
        m = f.mapping(item, at, p)
        if m is None:
            continue
        f.unknown_keys(m, ("unit", "reason", "version"), at, p)
        unit = f.code_field(m, "unit", f"{at}.unit", p)
        reason = f.text(m, "reason", f"{at}.reason", p)
        version = f.integer(m["version"]) if "version" in m else None
        if "version" in m and (version is None or version < 1):
            p.add(
                "invalid_version",
                f"{at}.version",
                f"Phiên bản phải là số nguyên dương: {m['version']!r}.",
            )
        if unit and unit in seen:
            p.add(
                "duplicate_unit", f"{at}.unit", f"Đơn vị “{unit}” được trả lại hai lần trong tệp."
            )
        if unit:
            seen.add(unit)
        if unit and reason:
            lines.append(ReturnLine(unit, reason, version))
    p.raise_if_any(file)
    assert year and by
    return ReturnDoc(year, by, tuple(lines))


def return_from_options(year: int, unit: str, by: str, reason: str) -> ReturnDoc:
    """The ``--unit/--by/--reason`` form, through the same checks as a file."""
    doc = {"year": year, "by": by, "returns": [{"unit": unit, "reason": normalize_text(reason)}]}
    return parse_returns(doc, "--reason")


def check_returns(
    doc: ReturnDoc,
    *,
    units: Mapping[str, OrgUnit],
    latest_versions: Mapping[str, int],
    open_returns: Iterable[str],
    published: bool,
) -> None:
    """Who may return what: a compiler of the unit (directly or above), only its latest version,
    one open return at a time, never after publication. Raises with every problem."""
    p = Problems()
    by = units.get(doc.by)
    if published:
        p.add("cycle_closed", "year", f"Kỳ {doc.year} đã công bố kết quả; không thể trả lại.")
    if by is None or not by.active or not by.compiles:
        p.add("not_a_compiler", "by", f"“{doc.by}” không phải đơn vị tổng hợp của kỳ này.")
    opened = set(open_returns)
    for i, line in enumerate(doc.returns):
        at = f"returns[{i}]"
        unit = units.get(line.unit)
        if unit is None or not unit.active or not unit.assessed:
            p.add("unknown_unit", f"{at}.unit", f"Không có đơn vị mã “{line.unit}” trong kỳ này.")
            continue
        if by is not None and by.compiles and not is_below(units, line.unit, doc.by):
            p.add(
                "not_your_unit",
                f"{at}.unit",
                f"“{doc.by}” không tổng hợp “{unit.name}”, nên không thể trả lại báo cáo của đơn vị này.",
            )
        latest = latest_versions.get(line.unit)
        if latest is None:
            p.add("nothing_to_return", f"{at}.unit", f"“{unit.name}” chưa nộp báo cáo nào.")
        elif line.version is not None and line.version != latest:
            p.add(
                "not_latest_version",
                f"{at}.version",
                f"Chỉ trả lại được phiên bản mới nhất ({latest}), không phải phiên bản {line.version}.",
            )
        elif line.unit in opened:
            p.add(
                "already_returned",
                f"{at}.unit",
                f"Phiên bản {latest} của “{unit.name}” đã được trả lại, đang chờ đơn vị bổ sung.",
            )
    p.raise_if_any()


def revise_by(returned_on: date, days: int, calendar: WorkCalendar) -> date:
    """The ``days``-th working day after ``returned_on`` (the day of the return does not count)."""
    current, left = returned_on, days
    while left > 0:
        current += timedelta(days=1)
        if calendar.is_working(current):
            left -= 1
    return current


def revision_standing(
    timeliness: str,
    days_late: int,
    returns: Sequence[ReturnFacts],
    latest_version: int,
    tz: str = timing.DEFAULT_TZ,
) -> RevisionStanding:
    """A submitted unit's standing once its returns are taken into account (see module doc).

    ``timeliness``/``days_late``: from its first submission. A revision after ``revise_by``
    makes it ``late`` from ``revise_by`` (the last such revision counts).
    """
    status, late = timeliness, days_late
    opened = None
    for r in sorted(returns, key=lambda r: (r.returned_at, r.version)):
        if r.revised_at is None:
            if r.version == latest_version:
                opened = r
            continue
        if r.revised_at > timing.deadline_instant(r.revise_by, tz):
            status = "late"
            late = (timing.local_date(r.revised_at, tz) - r.revise_by).days
    return RevisionStanding("returned" if opened else status, status, late, opened)


def revision_reminders(
    open_returns: Sequence[tuple[OrgUnit, ReturnFacts]],
    today: date,
    policy: ReminderPolicy,
    *,
    units: Mapping[str, OrgUnit],
    compiler_of: Mapping[str, str | None],
    calendar: WorkCalendar | None = None,
) -> ReminderBatch:
    """Today's ``revision`` reminders to returned units and ``escalation``s to their compilers.

    One escalation per compiler, listing its overdue returned units.
    """
    batch = ReminderBatch()
    late: dict[str, list[OrgUnit]] = {}
    for unit, facts in sorted(open_returns, key=lambda x: x[0].code):
        kinds = {d.kind: d for d in due_on(policy, facts.revise_by, today, calendar)}
        stage = kinds.get("due") or kinds.get("before")
        if stage is not None:
            _add(batch, unit, "revision", stage.days, (unit,), facts.revise_by)
        elif "overdue" in kinds:
            compiler = compiler_of.get(unit.code)
            if compiler is not None and compiler in units:
                late.setdefault(compiler, []).append(unit)
    for code in sorted(late):
        overdue = late[code]
        _add(batch, units[code], "escalation", 0, tuple(overdue), None)
    return batch


def _add(
    batch: ReminderBatch,
    recipient: OrgUnit,
    kind: str,
    days: int,
    about: tuple[OrgUnit, ...],
    deadline: date | None,
) -> None:
    if not recipient.contacts:
        batch.skipped_no_contact.append(Skipped(recipient.code, MILESTONE, kind))
        return
    batch.reminders.append(
        Reminder(
            recipient=recipient.code,
            recipient_name=recipient.name,
            milestone=MILESTONE,
            kind=kind,
            days=days,
            to=tuple(recipient.contacts),
            about=tuple(u.code for u in about),
            about_names=tuple(u.name for u in about),
            stage=deadline.isoformat() if deadline else "",
        )
    )
