"""Điều chỉnh kế hoạch (``danvan plan amend FILE --reason TEXT``, SPEC §3.3).

The amended plan replaces the terms of the plan in force in one transaction: the cycle's
deadlines, reminders, ``revision_days``, title, reference, request (and criteria, only while no
unit has submitted), the plan file kept by its sha256, an audit entry with who, when, why and
every old → new value, and the ``amendment`` message to every assessed unit, queued in the same
transaction so an amendment is never recorded without its announcement. Everything that reads
a deadline (timeliness, reminders, the Prefect calendar) reads the cycle, so the deadlines in
force are the amended ones from then on. The same file again changes nothing and sends nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import get_engine, transaction
from danvan.models.tables import AuditEntry, Cycle, Submission
from danvan.notify.messages import Queued, default_renderer
from danvan.rules import timing
from danvan.rules.amendment import Amendment, PlanTerms, amendment
from danvan.rules.domain import MILESTONE_LABELS, MILESTONES, Plan
from danvan.rules.errors import reject
from danvan.rules.plan import plan_from_doc
from danvan.rules.standing import expected_units
from danvan.rules.text import normalize_text
from danvan.tasks.files import limits
from danvan.tasks.guard import guarded
from danvan.tasks.outbox import enqueue
from danvan.tasks.plan import load_plan, reminders_of, save_criteria
from danvan.tasks.remind import cycle_info, portal_link


@dataclass
class AmendedPlan:
    year: int
    province: str
    cycle_id: int
    amended: bool  # False: the same plan as in force (nothing changed, nothing sent)
    changes: Amendment
    queued: int  # amendment messages put in the outbox

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "province": self.province,
            "amended": self.amended,
            "changes": self.changes.to_dict(),
            "queued": self.queued,
        }


def terms_in_force(cycle: Cycle, province: str) -> PlanTerms:
    return PlanTerms(
        province=province,
        year=cycle.year,
        issued_on=cycle.issued_on,
        timezone=cycle.timezone,
        title=cycle.title,
        reference=cycle.reference,
        request=cycle.request,
        deadlines={m: getattr(cycle, f"{m}_deadline") for m in MILESTONES},
        reminders=dict(cycle.reminders),
        revision_days=cycle.revision_days,
        criteria=dict(cycle.criteria_by_kind),
    )


def terms_of(plan: Plan) -> PlanTerms:
    return PlanTerms(
        province=plan.province,
        year=plan.year,
        issued_on=plan.issued_on,
        timezone=plan.timezone,
        title=plan.title,
        reference=plan.reference,
        request=plan.request,
        deadlines=dict(plan.deadlines),
        reminders=reminders_of(plan),
        revision_days=plan.revision_days,
        criteria=dict(plan.criteria),
    )


def amend_plan(path: str, reason: str, at: datetime, actor: str = "cli") -> AmendedPlan:
    """Amend the cycle of the plan at ``path`` as of ``at``, for ``reason`` (required)."""
    return guarded(path, lambda: _amend(path, reason, at, actor))


def _amend(path: str, reason: str, at: datetime, actor: str) -> AmendedPlan:
    reason = normalize_text(reason).strip()
    if not reason:
        raise reject("reason_required", "--reason", "Điều chỉnh kế hoạch cần ghi rõ lý do.")
    if len(reason) > limits().max_text_chars:
        raise reject("text_too_long", "--reason", f"Lý do dài quá {limits().max_text_chars} ký tự.")
    doc, sets, data = load_plan(path)
    plan = plan_from_doc(doc, {ref: cs.code for ref, cs in sets.items()})
    digest = hashlib.sha256(data).hexdigest()
    with transaction(get_engine()) as session:
        found = store.find_cycle(session=session, year=plan.year, province=plan.province)
        if found is None or found.id is None:
            raise reject(
                "no_cycle",
                "year",
                f"Chưa ban hành kế hoạch năm {plan.year} của {plan.province}; dùng "
                "'danvan plan issue' trước.",
                file=path,
            )
        # exclusive: a submission judged on time meanwhile is judged against one set of dates
        cycle = store.lock_cycle(session=session, cycle_id=found.id, exclusive=True)
        assert cycle is not None and cycle.id is not None
        if cycle.published_at is not None:
            raise reject(
                "cycle_published",
                "year",
                f"Kỳ {plan.year} đã công bố; không điều chỉnh.",
                file=path,
            )
        none = Amendment()
        if cycle.plan_sha256 == digest:
            return AmendedPlan(plan.year, plan.province, cycle.id, False, none, 0)
        submitted = session.exec(
            select(Submission.id).where(Submission.cycle_id == cycle.id).limit(1)
        ).first()
        current = terms_in_force(cycle, plan.province)
        changes = amendment(
            current, terms_of(plan), timing.local_date(at, cycle.timezone), bool(submitted), path
        )
        for cs in sets.values():
            save_criteria(session, cs, at, path)
        _apply(session, cycle, plan, digest)
        store.store_file(session=session, data=data, at=at)
        serial = _count_amendments(session, plan.province, plan.year) + 1
        store.audit(
            session=session, at=at, actor=actor, action="plan_amend", entity="cycle",
            key=f"{plan.province}/{plan.year}", note=reason, sha256=digest, serial=serial,
            changes=changes.to_dict(),
        )  # fmt: skip
        queued = 0
        if not changes.empty:
            items = _announcements(session, plan.year, changes, reason, at, serial)
            ids = store.load_org(session=session).ids
            queued = enqueue(session=session, cycle_id=cycle.id, ids=ids, items=items, at=at)
        return AmendedPlan(plan.year, plan.province, cycle.id, True, changes, queued)


def _apply(session: Session, cycle: Cycle, plan: Plan, digest: str) -> None:
    cycle.title, cycle.reference, cycle.request = plan.title, plan.reference, plan.request
    for m in MILESTONES:
        setattr(cycle, f"{m}_deadline", plan.deadlines[m])
    cycle.reminders = reminders_of(plan)
    cycle.revision_days = plan.revision_days
    cycle.criteria_by_kind = dict(plan.criteria)
    cycle.plan_sha256 = digest
    session.add(cycle)
    session.flush()


def _count_amendments(session: Session, province: str, year: int) -> int:
    stmt = select(AuditEntry.id).where(
        AuditEntry.action == "plan_amend", AuditEntry.entity_key == f"{province}/{year}"
    )
    return len(session.exec(stmt).all())


def _announcements(
    session: Session, year: int, changes: Amendment, reason: str, at: datetime, serial: int
) -> list[Queued]:
    """The ``amendment`` message to every assessed unit with a contact: old and new dates."""
    ctx = load_context(session=session, year=year)
    day = timing.local_date(at, ctx.tz)
    info, renderer, link = cycle_info(ctx), default_renderer(), portal_link()
    moved = [(m, old, new) for m, (old, new) in changes.deadlines.items()]
    deadlines = [(m, info.deadlines[m]) for m in MILESTONES]
    out = []
    for code in expected_units(ctx.units, ctx.province_units):
        unit = ctx.units[code]
        if not unit.contacts:
            continue
        msg = renderer.render(
            "amendment",
            {"cycle": info, "recipient_name": unit.name, "reason": reason, "moved": moved,
             "deadlines": deadlines, "labels": MILESTONE_LABELS, "link": link},
        )  # fmt: skip
        # the milestone names the amendment: a second amendment on the same day is told too
        out.append(Queued(code, f"plan-{serial}", "amendment", day, msg.subject, msg.body,
                          unit.contacts))  # fmt: skip
    return out
