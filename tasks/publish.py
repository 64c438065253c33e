"""Công bố kết quả: freeze the final ranking, close the cycle, tell every unit its result.

Publishing is done once: the ``Result`` rows and ``published_at`` are written in one
transaction that holds the cycle row exclusively (``store.lock_cycle``), so intake either
committed before it (and is in the results) or sees the cycle published (and is rejected).
Publishing again changes nothing and only retries messages that failed.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Result
from danvan.notify.messages import Queued, ResultInfo, default_renderer
from danvan.rules import timing
from danvan.rules.errors import reject
from danvan.rules.ranking import rank_within_compilers
from danvan.tasks.remind import cycle_info
from danvan.tasks.signoff import is_approved
from danvan.tasks.views import unit_results


def freeze(year: int, at: datetime, actor: str = "cli") -> tuple[int, list[Queued], bool]:
    """Write the final results (if not yet published) and build the result messages."""
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
