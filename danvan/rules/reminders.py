"""Nhắc hạn: which reminders are due on a day, and to whom (SPEC §4.1). Pure: dates in, values out.

The calendar is computed *backwards from the day asked*, never by listing every reminder of the
cycle: ``remind`` at T sends what is due on T's date, and missed days are not back-filled. A
nominal date on a weekend or public holiday (with ``working_days_only``) moves to the working day
before it (``before``, ``due``) or after it (``overdue``, ``escalation``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from danvan.rules.domain import OrgUnit, ReminderPolicy
from danvan.rules.workdays import WorkCalendar

#: Kinds a unit that owes its report receives; ``escalation`` and ``digest`` go to its compiler.
UNIT_KINDS: tuple[str, ...] = ("before", "due", "overdue")
REMINDER_KINDS: tuple[str, ...] = ("before", "due", "overdue", "escalation", "digest")


@dataclass(frozen=True)
class Due:
    """One kind of reminder due today. ``days``: left to the deadline (before), 0 (due),
    or overdue since the deadline's date (overdue, escalation)."""

    kind: str
    days: int


def _nominal_days(
    day: date, step: int, policy: ReminderPolicy, calendar: WorkCalendar | None
) -> Iterator[date]:
    """The nominal dates that land on ``day``: ``day`` itself, plus (working days only) the run of
    days off right after it (step +1, they move back to it) or right before it (step −1)."""
    if not policy.working_days_only or calendar is None:
        yield day
        return
    if not calendar.is_working(day):
        return
    yield day
    current = day + timedelta(days=step)
    while not calendar.is_working(current):
        yield current
        current += timedelta(days=step)


def due_on(
    policy: ReminderPolicy, deadline: date, today: date, calendar: WorkCalendar | None = None
) -> list[Due]:
    """The reminders due ``today`` for a milestone with ``deadline``, at most one per kind.

    ``calendar`` defaults to a plain Vietnamese calendar when ``working_days_only`` is set.
    A ``before`` and a ``due`` landing on the same day (deadline on a Monday after a Sunday
    ``before``, say) yield only ``due``: one unit is not told twice in a day about one deadline.
    """
    if policy.working_days_only and calendar is None:
        calendar = WorkCalendar()
    result: list[Due] = []
    if today <= deadline:
        offsets = {(deadline - d).days for d in _nominal_days(today, +1, policy, calendar)}
        if 0 in offsets:
            result.append(Due("due", 0))
        elif offsets & {k for k in policy.before_days if k > 0}:
            result.append(Due("before", (deadline - today).days))
        return result
    if policy.overdue_every_days <= 0:
        return result
    overdue = (today - deadline).days
    offsets = {(d - deadline).days for d in _nominal_days(today, -1, policy, calendar)}
    hits = {m for m in offsets if m > 0 and m % policy.overdue_every_days == 0}
    if hits:
        result.append(Due("overdue", overdue))
        if max(hits) >= policy.escalate_after_days:
            result.append(Due("escalation", overdue))
    return result


def sending_open(policy: ReminderPolicy, local_time: time) -> bool:
    """Nothing goes out before ``send_at`` (local time of the cycle's zone)."""
    return local_time >= policy.send_at


@dataclass(frozen=True)
class Progress:
    """A compiler's counts for a milestone, shown in its digest (``12/22 đơn vị đã nộp``)."""

    expected: int
    submitted: int


@dataclass(frozen=True)
class Reminder:
    """One message to one recipient unit (all its contact URLs), as data.

    ``about``/``about_names``: the units it concerns (overdue units for ``escalation``, missing
    units for ``digest``; the recipient itself otherwise). ``stage`` is the unit-level kind of
    the day (before/due/overdue) so a digest can say whether the deadline has passed.
    """

    recipient: str
    recipient_name: str
    milestone: str
    kind: str
    days: int
    to: tuple[str, ...]
    about: tuple[str, ...] = ()
    about_names: tuple[str, ...] = ()
    stage: str = ""
    progress: Progress | None = None


@dataclass(frozen=True)
class Skipped:
    """A reminder that had nowhere to go: the unit has no contact URL (shown, never silent)."""

    recipient: str
    milestone: str
    kind: str


@dataclass
class ReminderBatch:
    reminders: list[Reminder] = field(default_factory=list)
    skipped_no_contact: list[Skipped] = field(default_factory=list)

    def __iter__(self) -> Iterator[Reminder]:
        return iter(self.reminders)


def build_reminders(
    milestone: str,
    dues: Sequence[Due],
    owing: Sequence[OrgUnit],
    *,
    units: Mapping[str, OrgUnit],
    compiler_of: Mapping[str, str | None],
    progress: Mapping[str, Progress] | None = None,
) -> ReminderBatch:
    """The reminders of one milestone for one day, from that day's ``dues`` and the units that
    still owe. O(units): one pass to remind and group by compiler, one pass over compilers.

    Each owing unit gets its before/due/overdue; on an escalation day each compiler of owing units
    gets one ``escalation`` listing them; on any reminder day each such compiler gets one
    ``digest`` with its missing units and counts. A compiler unknown to ``units`` is skipped.
    """
    batch = ReminderBatch()
    kinds = {d.kind: d for d in dues}
    stage = next((kinds[k] for k in UNIT_KINDS if k in kinds), None)
    if stage is None or not owing:
        return batch
    ordered = sorted(owing, key=lambda u: u.code)
    by_compiler: dict[str, list[OrgUnit]] = {}
    for unit in ordered:
        _add(batch, unit, milestone, stage.kind, stage.days, stage=stage.kind)
        compiler_code = compiler_of.get(unit.code)
        if compiler_code is not None and compiler_code in units:
            by_compiler.setdefault(compiler_code, []).append(unit)
    for code in sorted(by_compiler):
        compiler, late = units[code], by_compiler[code]
        about = tuple(u.code for u in late), tuple(u.name for u in late)
        if "escalation" in kinds:
            _add(
                batch,
                compiler,
                milestone,
                "escalation",
                kinds["escalation"].days,
                about,
                stage.kind,
            )
        counts = progress.get(code) if progress is not None else None
        _add(batch, compiler, milestone, "digest", stage.days, about, stage.kind, counts)
    return batch


def _add(
    batch: ReminderBatch,
    recipient: OrgUnit,
    milestone: str,
    kind: str,
    days: int,
    about: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    stage: str = "",
    counts: Progress | None = None,
) -> None:
    if not recipient.contacts:
        batch.skipped_no_contact.append(Skipped(recipient.code, milestone, kind))
        return
    codes, names = about if about is not None else ((recipient.code,), (recipient.name,))
    batch.reminders.append(
        Reminder(
            recipient=recipient.code,
            recipient_name=recipient.name,
            milestone=milestone,
            kind=kind,
            days=days,
            to=tuple(recipient.contacts),
            about=codes,
            about_names=names,
            stage=stage,
            progress=counts,
        )
    )


def reminders_for_day(
    policy: ReminderPolicy,
    milestone: str,
    deadline: date,
    today: date,
    owing: Sequence[OrgUnit],
    *,
    units: Mapping[str, OrgUnit],
    compiler_of: Mapping[str, str | None],
    progress: Mapping[str, Progress] | None = None,
    calendar: WorkCalendar | None = None,
) -> ReminderBatch:
    """``due_on`` then ``build_reminders``: everything one milestone sends on ``today``."""
    dues = due_on(policy, deadline, today, calendar)
    return build_reminders(
        milestone, dues, owing, units=units, compiler_of=compiler_of, progress=progress
    )
