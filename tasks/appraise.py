"""Thẩm định: record a compiler's adjustments, each with who, when and why (SPEC §3.5).

The whole file is checked before anything is written: one bad line rejects the file, and a
rejected file changes nothing. Adjustments are appended, never edited; which one counts is the
rule's (``danvan.rules.appraisal.effective``: the highest level's, the latest at that level).
A compiler appraises until its own deadline; ``reopen`` lets the province extend it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from danvan.models import store, versions
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, transaction
from danvan.models.tables import Adjustment, Reopening
from danvan.rules import timing
from danvan.rules.appraisal import acts_until, check_appraisal, parse_appraisal
from danvan.rules.domain import OrgUnit
from danvan.rules.errors import Rejected, reject
from danvan.rules.formats import load_document
from danvan.tasks.files import limits, read_input
from danvan.tasks.guard import guarded


def record_appraisal(path: str, at: datetime, actor: str = "cli") -> dict:
    """Check the whole file, then append its adjustments in one transaction."""
    return guarded(path, lambda: _record_appraisal(path, at, actor))


def _record_appraisal(path: str, at: datetime, actor: str) -> dict:
    name, data = read_input(path)
    bounds = limits()
    appraisal = parse_appraisal(
        load_document(name, data, limits=bounds, rows=bounds.max_submission_rows), path
    )
    with transaction(get_engine()) as session:
        try:
            ctx = load_context(  # the appraiser names its province when several share the year
                session=session, year=appraisal.year, field="year", unit=appraisal.by
            )
        except Rejected as exc:
            raise exc.with_file(path) from None
        assert ctx.cycle.id is not None
        # shared, like intake: a publication waits for this appraisal, or this one sees it
        store.lock_cycle(session=session, cycle_id=ctx.cycle.id)
        if ctx.published:
            raise reject(
                "cycle_published",
                "year",
                f"Kỳ {appraisal.year} đã công bố kết quả; không thể thẩm định thêm.",
                file=path,
            )
        units = {c: ctx.units[c] for c in ctx.in_province}
        by_unit = units.get(appraisal.by)
        try:
            check_appraisal(
                appraisal,
                by_unit=by_unit,
                units=units,
                criteria_for_unit=lambda code: ctx.criteria_for(ctx.units[code]),
                on=timing.local_date(at, ctx.tz),
                until=_acts_until(session, ctx, by_unit) if by_unit else None,
            )
        except Rejected as exc:
            raise exc.with_file(path) from None
        digest = store.store_file(session=session, data=data, at=at)
        rows = [
            {
                "cycle_id": ctx.cycle.id,
                "unit_id": ctx.org.ids[adj.unit],
                "by_unit_id": ctx.org.ids[appraisal.by],
                "target": adj.target,
                "value": adj.value,
                "reason": adj.reason,
                "recorded_at": at,
                "file_sha256": digest,
            }
            for adj in appraisal.adjustments
        ]
        store.bulk_insert(session=session, model=Adjustment, rows=rows)
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="appraise",
            entity="appraisal",
            key=f"{appraisal.year}/{appraisal.by}",
            file=name,
            sha256=digest,
            adjustments=len(rows),
        )
    return {"file": path, "year": appraisal.year, "by": appraisal.by, "adjustments": len(rows)}


def _acts_until(session: Session, ctx: CycleContext, by_unit: OrgUnit) -> date | None:
    assert ctx.cycle.id is not None
    reopened = versions.reopened_until(
        session=session, cycle_id=ctx.cycle.id, unit_id=ctx.org.ids[by_unit.code]
    )
    return acts_until(
        by_unit,
        district_deadline=ctx.deadline("district_compilation"),
        reopened_until=reopened,
    )


def reopen(year: int, unit: str, until: date, by: str, reason: str, at: datetime) -> dict:
    """Gia hạn: the province lets a compiler appraise until the end of ``until``."""
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        assert ctx.cycle.id is not None
        store.lock_cycle(session=session, cycle_id=ctx.cycle.id)
        if ctx.published:
            raise reject("cycle_published", "--cycle", f"Kỳ {year} đã công bố kết quả.")
        if by != ctx.province:
            raise reject(
                "not_province", "--by", f"Chỉ UBND tỉnh ({ctx.province}) được gia hạn thẩm định."
            )
        target = ctx.units.get(unit) if unit in ctx.in_province else None
        if target is None or not target.compiles or not target.active or unit == by:
            raise reject(
                "not_a_compiler", "--unit", f"'{unit}' không phải đơn vị tổng hợp của kỳ này."
            )
        if until < timing.local_date(at, ctx.tz):
            raise reject("until_in_past", "--until", f"Ngày {until.isoformat()} đã qua.")
        session.add(
            Reopening(
                cycle_id=ctx.cycle.id,
                unit_id=ctx.org.ids[unit],
                until=until,
                by_unit_id=ctx.org.ids[by],
                reason=reason,
                recorded_at=at,
            )
        )
        store.audit(
            session=session,
            at=at,
            actor="cli",
            action="reopen",
            entity="compiler",
            key=f"{year}/{unit}",
            until=until.isoformat(),
            by=by,
            reason=reason,
        )
    return {"cycle": year, "unit": unit, "until": until.isoformat(), "by": by}
