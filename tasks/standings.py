"""Tình hình nộp báo cáo: every expected unit's standing at an instant, read once for every door.

``status``, the portal's pages and ``publish`` all read standings through :func:`unit_results`:
one rule (``danvan.rules.standing``), one read path. The read is column-only (no ORM objects)
and its result is kept per process, keyed by what it is computed from — the cycle, its tree and
criteria, and a small version of the rows that feed it (``versions.standings_version``, read
from the database on every call). Several portal worker processes each keep their own copy and
each sees a write at its next read: a key read after a commit differs, so nothing stale is
served.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from danvan.models import versions
from danvan.models.context import CycleContext
from danvan.rules import standing
from danvan.rules.domain import UnitResult
from danvan.rules.ranking import with_quota
from danvan.tasks.revision import load_returns


@dataclass
class _Entry:
    key: tuple
    ctx: CycleContext  # the tree and criteria the standings were computed with (by identity)
    results: tuple[UnitResult, ...]


_lock = threading.Lock()
#: (database, cycle id) → the latest standings computed in this process.
_cache: dict[tuple, _Entry] = {}


def unit_results(
    ctx: CycleContext, session: Session, at: datetime | None, within: list[str] | None = None
) -> list[UnitResult]:
    """Every expected unit's standing at ``at`` (submissions and adjustments after it ignored;
    ``None``: everything recorded); ``within``: only those units' standings.

    From the cache when nothing it depends on changed. Otherwise, with ``within``, only the
    units the answer depends on are read — those units and the other units of their compilers
    (the band quota ranks a compiler's units together); a whole province is computed and kept.
    """
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    where = (str(session.get_bind().engine.url), cycle_id)
    key = _key(ctx, session, at)
    with _lock:
        hit = _cache.get(where)
    if hit is not None and hit.key == key and _same_tree(hit.ctx, ctx):
        return _pick(hit.results, within)
    expected = standing.expected_units(ctx.units, ctx.province_units)
    closed = expected if within is None else quota_closure(ctx, expected, within)
    if len(closed) < len(expected):
        return _pick(_compute(ctx, session, at, closed, [ctx.org.ids[c] for c in closed]), within)
    results = tuple(_compute(ctx, session, at, expected, None))
    if _key(ctx, session, at) == key:  # nothing committed meanwhile (READ COMMITTED reads)
        with _lock:
            _cache[where] = _Entry(key, ctx, results)
    return _pick(results, within)


def _key(ctx: CycleContext, session: Session, at: datetime | None) -> tuple:
    """The rows' version, and the cycle's own fields a standing reads (fresh on every read)."""
    c = ctx.cycle
    assert c.id is not None
    rows = versions.standings_version(session=session, cycle_id=c.id, at=at)
    return rows, c.self_assessment_deadline, tuple(sorted(c.criteria_by_kind.items())), c.timezone


def _same_tree(a: CycleContext, b: CycleContext) -> bool:
    """The same tree and criteria sets, as loaded (``cached_context`` shares them between
    requests while the tree is unchanged; a fresh load is a new object)."""
    return a.org is b.org and a.criteria_sets is b.criteria_sets


def _pick(results: tuple[UnitResult, ...] | list[UnitResult], within: list[str] | None) -> list:
    if within is None:
        return list(results)
    keep = set(within)
    return [r for r in results if r.code in keep]


def _compute(
    ctx: CycleContext,
    session: Session,
    at: datetime | None,
    expected: list[str],
    unit_ids: list[int] | None,
) -> list[UnitResult]:
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    codes = ctx.org.codes_by_id
    latest = versions.latest_facts(session=session, cycle_id=cycle_id, until=at, unit_ids=unit_ids)
    returns = load_returns(ctx, session, until=at)
    facts = {
        codes[uid]: standing.SubmissionFacts(
            version=lt.version,
            submitted_at=lt.submitted_at,
            first_submitted_at=lt.first_submitted_at,
            scores=lt.scores,
            bonus=lt.bonus,
            penalty=lt.penalty,
            self_total=lt.self_total,
            not_applicable=lt.not_applicable,
            warnings=lt.warnings,
            returns=tuple(returns.get(codes[uid], ())),
        )
        for uid, lt in latest.items()
    }
    adjustments = {
        codes[uid]: {target: adj.value for target, adj in by_target.items()}
        for uid, by_target in versions.latest_adjustments(
            session=session, cycle_id=cycle_id, until=at, unit_ids=unit_ids
        ).items()
    }
    results = standing.standings(
        ctx.units,
        expected,
        compilers=ctx.compilers,
        facts=facts,
        adjustments=adjustments,
        criteria_for=ctx.criteria_for,
        deadline=ctx.deadline("self_assessment"),
        tz=ctx.tz,
    )
    return with_quota(results, lambda code: ctx.criteria_for(ctx.units[code]))


def quota_closure(ctx: CycleContext, expected: list[str], within: list[str]) -> list[str]:
    """The expected units whose standing ``within``'s standings depend on: the units of the
    compilers of ``within`` (the quota ranks a compiler's units together), in ``expected``'s
    order. A compiler's subtree (without the compiler itself) is its own closure."""
    compilers = {ctx.compilers.get(c) for c in within}
    return [c for c in expected if ctx.compilers.get(c) in compilers]
