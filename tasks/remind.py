"""Nhắc hạn: who owes what at T, and the day's reminders as messages (data, nothing sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlmodel import Session

from danvan.config.settings import get_settings
from danvan.models import store, versions
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.links import LINK_PLACEHOLDER
from danvan.notify.messages import CycleInfo, Queued, default_renderer
from danvan.rules import timing
from danvan.rules.domain import MILESTONES, ReminderPolicy
from danvan.rules.recipients import owing
from danvan.rules.reminders import reminders_for_day, sending_open
from danvan.rules.revision import MILESTONE as REVISION
from danvan.rules.revision import revision_reminders
from danvan.rules.standing import expected_units
from danvan.rules.workdays import WorkCalendar
from danvan.tasks.outbox import enqueue
from danvan.tasks.revision import open_returns


@dataclass
class DayPlan:
    """Everything ``remind`` would send at T, and what it could not send (no contact)."""

    cycle_id: int
    day: date
    open: bool
    at_local: str  # the instant as users read it, in the cycle's zone
    queued: list[Queued] = field(default_factory=list)
    skipped_no_contact: list[dict] = field(default_factory=list)
    settled: list[tuple[str, str]] = field(default_factory=list)  # (unit, milestone) done with


def policy_of(ctx: CycleContext) -> ReminderPolicy:
    r = ctx.cycle.reminders
    hh, mm = (int(x) for x in r["send_at"].split(":"))
    return ReminderPolicy(
        before_days=tuple(r["before_days"]),
        overdue_every_days=r["overdue_every_days"],
        escalate_after_days=r["escalate_after_days"],
        send_at=time(hh, mm),
        working_days_only=r["working_days_only"],
    )


def work_calendar() -> WorkCalendar:
    s = get_settings()
    return WorkCalendar.from_strings(s.extra_holidays, s.extra_working_days)


def portal_link() -> str | None:
    """What a message says where the recipient's link goes: the placeholder the outbox fills in
    when it sends (see ``danvan.models.links``), or nothing when no portal is configured."""
    return LINK_PLACEHOLDER if get_settings().portal_url else None


def cycle_info(ctx: CycleContext) -> CycleInfo:
    c = ctx.cycle
    return CycleInfo(
        year=c.year,
        title=c.title,
        reference=c.reference,
        province_name=ctx.units[ctx.province].name,
        deadlines={m: ctx.deadline(m) for m in MILESTONES},
    )


@dataclass
class Done:
    """Who has done what at T: the units that submitted, the compilers that compiled, the units
    returned for revision (and not yet revised)."""

    submitted: set[str]
    compiled: set[str]
    returned: dict

    def settled(self) -> list[tuple[str, str]]:
        """(unit, milestone) pairs done with: a unit's own reminders about them are moot."""
        pairs = [(c, "self_assessment") for c in sorted(self.submitted)]
        pairs += [(c, "district_compilation") for c in sorted(self.compiled)]
        return pairs + [(c, REVISION) for c in sorted(self.submitted - self.returned.keys())]


def _done(ctx: CycleContext, session: Session, at: datetime) -> Done:
    assert ctx.cycle.id is not None
    codes = ctx.org.codes_by_id
    latest = versions.latest_submissions(session=session, cycle_id=ctx.cycle.id, until=at)
    compiled_ids = versions.compiled_compilers(session=session, cycle_id=ctx.cycle.id, until=at)
    return Done(
        submitted={codes[u] for u in latest},
        compiled={codes[u] for u in compiled_ids},
        returned=open_returns(ctx, session, until=at),
    )


def settled_at(year: int, at: datetime) -> list[tuple[str, str]]:
    """The (unit, milestone) pairs done with at ``at`` (``resend`` drops a requeued reminder a
    unit no longer needs, as ``remind`` does)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        return _done(ctx, session, at).settled()


def plan_day(year: int, at: datetime) -> DayPlan:
    """The reminders due on T's local date, rendered; empty before ``send_at``."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        assert ctx.cycle.id is not None
        done = _done(ctx, session, at)
    submitted, compiled, returned = done.submitted, done.compiled, done.returned
    local = timing.to_local(at, ctx.tz)
    policy = policy_of(ctx)
    plan = DayPlan(
        ctx.cycle.id,
        local.date(),
        sending_open(policy, local.time()),
        local.isoformat(),
        settled=done.settled(),
    )
    if not plan.open:
        return plan
    due = owing(
        ctx.units,
        ctx.province_units,
        ctx.province,
        ctx.compilers,
        submitted=submitted,
        compiled=compiled,
        published=ctx.published,
    )
    calendar, info, renderer = work_calendar(), cycle_info(ctx), default_renderer()
    link = portal_link()
    for milestone in MILESTONES:
        batch = reminders_for_day(
            policy,
            milestone,
            ctx.deadline(milestone),
            plan.day,
            due.units[milestone],
            units=ctx.units,
            compiler_of=ctx.compilers,
            progress=due.progress[milestone],
            calendar=calendar,
        )
        for r in batch:
            msg = renderer.reminder(r, info, link)
            plan.queued.append(
                Queued(
                    r.recipient, milestone, r.kind, plan.day, msg.subject, msg.body, r.to, r.about
                )
            )
        plan.skipped_no_contact += [
            {"unit": s.recipient, "milestone": s.milestone, "kind": s.kind}
            for s in batch.skipped_no_contact
        ]
    if not ctx.published:
        _plan_revisions(plan, ctx, returned, policy, calendar, info, renderer)
    return plan


def _plan_revisions(
    plan: DayPlan, ctx: CycleContext, returned: dict, policy, calendar, info, renderer
) -> None:
    """Returned units: ``revision`` reminders until ``revise_by``, then ``escalation``s."""
    batch = revision_reminders(
        [(ctx.units[code], facts) for code, facts in returned.items()],
        plan.day,
        policy,
        units=ctx.units,
        compiler_of=ctx.compilers,
        calendar=calendar,
    )
    for r in batch:
        facts = returned.get(r.recipient)
        msg = renderer.render(
            "revision" if r.kind == "revision" else "revision_escalation",
            {
                "cycle": info,
                "recipient_name": r.recipient_name,
                "days": r.days,
                "revise_by": facts.revise_by if facts else None,
                "reason": facts.reason if facts else "",
                "about_names": r.about_names,
            },
        )
        plan.queued.append(
            Queued(r.recipient, REVISION, r.kind, plan.day, msg.subject, msg.body, r.to, r.about)
        )
    plan.skipped_no_contact += [
        {"unit": s.recipient, "milestone": s.milestone, "kind": s.kind}
        for s in batch.skipped_no_contact
    ]


def announcements(year: int, at: datetime, province: str | None = None) -> tuple[int, list[Queued]]:
    """Thông báo kế hoạch: one message to every assessed unit of the cycle (kind ``announcement``);
    ``province``: the plan's, when several provinces share the database."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year, province=province)
    assert ctx.cycle.id is not None
    day = timing.local_date(at, ctx.tz)
    info, renderer, link = cycle_info(ctx), default_renderer(), portal_link()
    queued = []
    for code in expected_units(ctx.units, ctx.province_units):
        unit = ctx.units[code]
        if unit.contacts:
            msg = renderer.announcement(unit.name, info, link)
            queued.append(
                Queued(code, "plan", "announcement", day, msg.subject, msg.body, unit.contacts)
            )
    return ctx.cycle.id, queued


def queue_day(plan: DayPlan, at: datetime) -> int:
    """Put the day's messages in the outbox (once each: a re-run queues nothing new)."""
    with transaction(get_engine()) as session:
        codes = store.cycle_unit_codes(session=session, cycle_id=plan.cycle_id)
        ids = {code: uid for uid, code in codes.items()}
        return enqueue(session=session, cycle_id=plan.cycle_id, ids=ids, items=plan.queued, at=at)


def record_skipped_day(year: int, at: datetime) -> str:
    """A day's run that started after its day: nothing is sent late, and the audit says so."""
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        day = timing.local_date(at, ctx.tz).isoformat()
        store.audit(
            session=session, at=at, actor="prefect", action="remind_skipped", entity="cycle",
            key=f"{ctx.province}/{year}", day=day, reason="started after its day",
        )  # fmt: skip
    return day


def cycle_zone(year: int) -> str:
    """The time zone of the cycle's province (is a scheduled run still on its day?)."""
    with reading(get_engine()) as session:
        return load_context(session=session, year=year).tz
