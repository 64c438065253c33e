"""Tình hình nộp báo cáo: every expected unit's standing at an instant, read once for every door.

``status``, the portal's pages and ``publish`` all read standings through :func:`unit_results`:
one rule (``danvan.rules.standing``), one read path. The read is column-only (no ORM objects),
and a province's standings are kept per process while the rows they come from are unchanged
(``tasks.readcache``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from danvan.models import recorded as versions
from danvan.models.context import CycleContext
from danvan.rules import standing
from danvan.rules.domain import UnitResult
from danvan.rules.ranking import with_quota
from danvan.rules.revision import ReturnFacts
from danvan.tasks.readcache import ReadCache, cycle_fields, without_gc

if TYPE_CHECKING:
    from danvan.models.reads import Reader

#: The province's standings at the latest key read in this process.
_standings: ReadCache[tuple[UnitResult, ...]] = ReadCache()
#: The province's statuses alone (``status``'s table past ``UNITS_LISTED``), under the same key.
_states: ReadCache[tuple[standing.UnitState, ...]] = ReadCache()
#: … and the standings of compilers' units read alone (closure → standings), at most this many.
_closures: ReadCache[dict[tuple[str, ...], tuple[UnitResult, ...]]] = ReadCache()
_CLOSURES = 64


def unit_results(
    ctx: CycleContext, session: Reader, at: datetime | None, within: list[str] | None = None
) -> list[UnitResult]:
    """Every expected unit's standing at ``at`` (submissions and adjustments after it ignored;
    ``None``: everything recorded); ``within``: only those units' standings.

    The whole province's, from the cache when nothing they depend on changed. A few units
    (``within``: a unit's page) are read alone when the province's are not cached: those units
    and the other units of their compilers (the band quota ranks a compiler's units together).
    """
    expected = standing.expected_units(ctx.units, ctx.province_units)
    closed = expected if within is None else quota_closure(ctx, expected, within)
    key = _key(ctx, session, at)
    results = _standings.lookup(session, ctx, key)
    if results is not None:
        return _pick(results, within)
    if len(closed) < len(expected):
        return _pick(_closure(ctx, session, at, key, closed), within)
    with without_gc():
        results = tuple(_compute(ctx, session, at, expected, None))
    if _key(ctx, session, at) == key:
        _standings.keep(session, ctx, key, results)
    return _pick(results, within)


def _closure(
    ctx: CycleContext, session: Reader, at: datetime | None, key: tuple, closed: list[str]
) -> tuple[UnitResult, ...]:
    """The standings of a few units' compilers' units (a unit's page), kept like the province's
    while ``key`` is unchanged, one entry per closure (a province has a few dozen compilers): a
    unit's page read ~40 standings anew on every request."""
    kept = _closures.lookup(session, ctx, key) or {}
    found = kept.get(tuple(closed))
    if found is None:
        found = tuple(_compute(ctx, session, at, closed, [ctx.org.ids[c] for c in closed]))
        if _key(ctx, session, at) == key:
            fresh = kept if len(kept) < _CLOSURES else {}
            _closures.keep(session, ctx, key, {**fresh, tuple(closed): found})
    return found


def unit_states(
    ctx: CycleContext, session: Reader, at: datetime | None, within: list[str] | None = None
) -> list[standing.UnitState]:
    """Every expected unit's status at ``at`` (only ``within``'s with it), without its scores
    and band: what ``status``'s per-compiler counts need. From the province's standings when
    they are kept, else from the versions that count (the same rows the flags read) and the
    returns, through the same rule as :func:`unit_results` (``standing.revision_of``): a
    25,000-unit ``status`` spent most of its time deciding scores and bands nobody was shown.
    The province's states are kept per process like its standings (same key).
    """
    key = _key(ctx, session, at)
    kept = _standings.lookup(session, ctx, key)
    if kept is not None:
        states = tuple(standing.UnitState(r.code, r.compiler, r.status) for r in kept)
    else:
        states = _states.lookup(session, ctx, key) or _province_states(ctx, session, at)
        if _key(ctx, session, at) == key:
            _states.keep(session, ctx, key, states)
    if within is None:
        return list(states)
    wanted = set(within)
    return [s for s in states if s.code in wanted]


def _province_states(
    ctx: CycleContext, session: Reader, at: datetime | None
) -> tuple[standing.UnitState, ...]:
    expected = standing.expected_units(ctx.units, ctx.province_units)
    latest, ids = province_latest(ctx, session, at, scores=False), ctx.org.ids
    returns = load_returns(ctx, session, until=at)
    deadline, tz, compilers = ctx.deadline("self_assessment"), ctx.tz, ctx.compilers
    out = []
    for code in expected:
        lt = latest.get(ids[code])
        status = "missing" if lt is None else standing.revision_of(
            lt.first_submitted_at, lt.version, returns.get(code, ()), deadline, tz
        ).status  # fmt: skip
        out.append(standing.UnitState(code, compilers.get(code), status))
    return tuple(out)


def _key(ctx: CycleContext, session: Reader, at: datetime | None) -> tuple:
    assert ctx.cycle.id is not None
    rows = versions.standings_version(session=session, cycle_id=ctx.cycle.id, at=at)
    return rows, cycle_fields(ctx)


def _pick(results: Sequence[UnitResult], within: list[str] | None) -> list[UnitResult]:
    if within is None:
        return list(results)
    keep = set(within)
    return [r for r in results if r.code in keep]


def _compute(
    ctx: CycleContext,
    session: Reader,
    at: datetime | None,
    expected: list[str],
    unit_ids: list[int] | None,
) -> list[UnitResult]:
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    codes = ctx.org.codes_by_id
    latest = (
        province_latest(ctx, session, at)
        if unit_ids is None
        else versions.latest_facts(session=session, cycle_id=cycle_id, until=at, unit_ids=unit_ids)
    )
    returns = load_returns(ctx, session, until=at)
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
        facts={codes[uid]: lt for uid, lt in latest.items()},  # the read's rows as they are
        adjustments=adjustments,
        criteria_for=ctx.criteria_for,
        deadline=ctx.deadline("self_assessment"),
        tz=ctx.tz,
        returns=returns,
    )
    if not any(cs.rules.top_band_quota for cs in ctx.criteria_sets.values()):
        return results  # no quota to apply: ranking 25,000 units would change nothing
    return with_quota(results, lambda code: ctx.criteria_for(ctx.units[code]))


def province_latest(
    ctx: CycleContext, session: Reader, at: datetime | None, scores: bool | None = True
) -> dict[int, versions.LatestFacts]:
    """Every unit's version that counts at ``at``, figures included, read once per transaction:
    ``status`` and the province's page read standings and flags from the same rows.

    ``scores``: True, a standing's read (scores, N/A criteria, warnings decoded); None, either
    read if one is kept (the flags read only figures), else a standing's; False, either, else
    one without scores (``status``'s per-compiler counts: decoding 25,000 units' scores that
    nothing reads was a tenth of it)."""
    assert ctx.cycle.id is not None
    txn = session.get_transaction()
    full, light = ("province_latest", ctx.cycle.id, at), ("province_latest_light", ctx.cycle.id, at)
    for key in (full,) if scores else (full, light):
        kept = session.info.get(key)
        if kept is not None and txn is not None and kept[0] is txn:
            return kept[1]
    key, with_scores = (light, False) if scores is False else (full, True)
    latest = versions.latest_facts(
        session=session, cycle_id=ctx.cycle.id, until=at, figures=True, scores=with_scores
    )
    session.info[key] = (txn, latest)
    return latest


def quota_closure(ctx: CycleContext, expected: list[str], within: list[str]) -> list[str]:
    """The expected units whose standing ``within``'s standings depend on: the units of the
    compilers of ``within`` (the quota ranks a compiler's units together), in ``expected``'s
    order. A compiler's subtree (without the compiler itself) is its own closure. A quota counted
    over the whole province (``scope: province``) makes every standing depend on every unit."""
    quotas = (cs.rules.top_band_quota for cs in ctx.criteria_sets.values())
    if any(q is not None and q.scope == "province" for q in quotas):
        return expected
    compilers = {ctx.compilers.get(c) for c in within}
    return [c for c in expected if ctx.compilers.get(c) in compilers]


def load_returns(
    ctx: CycleContext, session: Reader, until: datetime | None = None, unit: str | None = None
) -> dict[str, list[ReturnFacts]]:
    """unit code → its returns with when it revised (the first newer version by ``until``)."""
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    unit_id = ctx.org.ids[unit] if unit is not None else None
    rows = versions.return_rows(session=session, cycle_id=cycle_id, until=until, unit_id=unit_id)
    if not rows:
        return {}
    times = versions.version_times(
        session=session, cycle_id=cycle_id, unit_ids=[r.unit_id for r in rows], until=until
    )
    codes = ctx.org.codes_by_id
    out: dict[str, list[ReturnFacts]] = {}
    for r in rows:
        later = [at for v, at in times.get(r.unit_id, {}).items() if v > r.version]
        out.setdefault(codes[r.unit_id], []).append(
            ReturnFacts(
                version=r.version,
                reason=r.reason,
                by=codes[r.by_unit_id],
                returned_at=r.returned_at,
                revise_by=r.revise_by,
                revised_at=min(later) if later else None,
            )
        )
    return out
