"""Công bố kết quả: freeze the final ranking, close the cycle, tell every unit its result.

Publishing is done once: the ``Result`` rows and ``published_at`` are written in one
transaction that holds the cycle row exclusively (``store.lock_cycle``), so intake either
committed before it (and is in the results) or sees the cycle published (and is rejected).
Publishing again changes nothing and only retries messages that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Result
from danvan.notify.messages import Queued, ResultInfo, default_renderer
from danvan.rules import timing
from danvan.rules.errors import reject
from danvan.rules.ranking import rank_within_compilers
from danvan.rules.receipt import check_publication
from danvan.tasks.remind import cycle_info
from danvan.tasks.signoff import is_approved
from danvan.tasks.views import unit_results


def freeze(
    year: int, at: datetime, actor: str = "cli", reason: str | None = None
) -> tuple[int, list[Queued], bool]:
    """Write the final results (if not yet published) and build the result messages.

    ``reason``: why it is published now; a door that asks (the portal's confirmation page) passes
    it, and before the ``province_scoring`` deadline an empty one is refused
    ``[publish_reason_required]`` (``rules.receipt.check_publication``); it is kept in the audit
    row of the publication."""
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        cycle_id = ctx.cycle.id
        assert cycle_id is not None
        # Exclusive: waits for every intake and appraisal under way, and a second publish waits
        # for this one, then finds the cycle published and only retries messages.
        locked = store.lock_cycle(session=session, cycle_id=cycle_id, exclusive=True)
        assert locked is not None
        ctx.cycle = locked
        created = not ctx.published
        if created and not is_approved(session, cycle_id):
            raise reject(
                "not_approved",
                "--cycle",
                f"Kỳ {year} chưa được tỉnh phê duyệt kết quả xếp loại cuối cùng: chưa thể công bố. "
                f"Phê duyệt trước: danvan approve --cycle {year} --by {ctx.province} "
                "(hoặc biểu mẫu phê duyệt trên Prefect).",
            )
        if created and reason is not None:
            check_publication(
                today=timing.local_date(at, ctx.tz),
                scoring_deadline=ctx.deadline("province_scoring"),
                reason=reason,
            )
        if created:
            # Everything committed before this point counts, whatever its own ``--at``: a file
            # answered "accepted" before publication is in the published results.
            results = unit_results(ctx, session, None)
            ranks = rank_within_compilers(results)
            store.bulk_insert(
                session=session,
                model=Result,
                rows=[
                    {
                        "cycle_id": cycle_id,
                        "unit_id": ctx.org.ids[r.code],
                        "compiler_id": ctx.org.ids.get(r.compiler) if r.compiler else None,
                        "total": r.final_total,
                        # missing_band: a unit that never submitted is published in that band
                        "band": r.band
                        or (
                            ctx.criteria_for(ctx.units[r.code]).rules.missing_band
                            if r.status == "missing"
                            else None
                        ),
                        "rank": ranks.get(r.code),
                    }
                    for r in results
                ],
            )
            ctx.cycle.published_at = at
            session.add(ctx.cycle)
            store.audit(
                session=session,
                at=at,
                actor=actor,
                action="publish",
                entity="cycle",
                key=f"{ctx.province}/{year}",
                units=len(results),
                **({"reason": reason.strip()} if reason and reason.strip() else {}),
            )
        rows = session.exec(select(Result).where(Result.cycle_id == cycle_id)).all()
        published_at = ctx.cycle.published_at or at
    codes = ctx.org.codes_by_id
    ranked_in: dict[int | None, int] = {}
    for row in rows:
        if row.rank is not None:
            ranked_in[row.compiler_id] = ranked_in.get(row.compiler_id, 0) + 1
    info, renderer = cycle_info(ctx), default_renderer()
    day = timing.local_date(published_at, ctx.tz)
    queued = []
    for row in sorted(rows, key=lambda r: codes[r.unit_id]):
        unit = ctx.units[codes[row.unit_id]]
        if not unit.contacts:
            continue
        res = ResultInfo(row.total, row.band, row.rank, ranked_in.get(row.compiler_id))
        msg = renderer.result(unit.name, info, res)
        queued.append(
            Queued(unit.code, "publish", "result", day, msg.subject, msg.body, unit.contacts)
        )
    return cycle_id, queued, created


def results_json(year: int) -> list[dict]:
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        rows = session.exec(select(Result).where(Result.cycle_id == ctx.cycle.id)).all()
    codes = ctx.org.codes_by_id
    return sorted(
        (
            {
                "unit": codes[r.unit_id],
                "compiler": codes.get(r.compiler_id) if r.compiler_id else None,
                "total": r.total,
                "band": r.band,
                "rank": r.rank,
            }
            for r in rows
        ),
        key=lambda d: (d["compiler"] or "", d["rank"] or 10**9, d["unit"]),
    )


@dataclass(frozen=True)
class PublishCheck:
    """What the confirmation page says before publishing: who has sent nothing, whether the
    result is approved, and whether a reason is needed (before ``province_scoring``)."""

    year: int
    approved: bool
    published: bool
    scoring_deadline: date
    reason_needed: bool
    not_sent: list[tuple[str, str]]  # (code, name) of units with no version, by code


def publish_check(year: int, at: datetime) -> PublishCheck:
    """The confirmation's facts, read with the same rules as ``status`` and :func:`freeze`."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        assert ctx.cycle.id is not None
        approved = is_approved(session, ctx.cycle.id)
        results = unit_results(ctx, session, at)
    deadline = ctx.deadline("province_scoring")
    return PublishCheck(
        year=year,
        approved=approved,
        published=ctx.published,
        scoring_deadline=deadline,
        reason_needed=timing.local_date(at, ctx.tz) < deadline,
        not_sent=sorted((r.code, r.name) for r in results if r.status == "missing"),
    )
