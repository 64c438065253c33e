"""Xếp hạng: the order of the units a compiler ranks (SPEC §4.4 "Ranking").

Higher total first; ties broken by fewer criteria at 0, then earlier submission, then code. The
submission that counts is the latest version (SPEC §2), so "earlier submission" compares the
``submitted_at`` of that latest version: a unit that resubmits gives up its place in a tie.
Because the code is unique, the order is total and every unit gets a distinct rank (1, 2, 3…),
equal totals included. Units without a submission have no total and are not ranked.

``top_band_quota`` (SPEC §3.2) is applied after ranking, per compiler (``scope: compiler``, the
default; ``scope: province``: the same count over every ranked unit of the province, see
``rules/quota.py``): the units a compiler ranks
under sets with the same quota and the same top band are counted together (a district's communes
and its own offices under two sets are one ranking, as provinces write the rule), and at most
``share × units`` of them, rounded as the rule says (``down``, ``nearest`` half up, ``up``; at
least one when ``at_least_one``), keep the top band: the first ones in ranking order. The others
holding it move down one band and the rule is named beside them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from danvan.rules.domain import Band, CriteriaSet, TopBandQuota, UnitResult


@dataclass(frozen=True)
class RankEntry:
    """A unit that can be ranked: its final total, band, zero count and latest submission time."""

    unit: str
    total: float
    band: str
    zero_criteria: int
    submitted_at: datetime
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankedUnit:
    """A ranked unit: the entry with its 1-based rank and the band rules that changed its band."""

    unit: str
    total: float
    band: str
    rank: int
    zero_criteria: int
    submitted_at: datetime
    rules: tuple[str, ...] = ()


def _key(entry: RankEntry) -> tuple[float, int, datetime, str]:
    return (-entry.total, entry.zero_criteria, entry.submitted_at, entry.unit)


def rank(entries: Iterable[RankEntry]) -> list[RankedUnit]:
    """Rank 1 first. ``submitted_at`` must be all aware (or all naive) to compare."""
    ordered = sorted(entries, key=_key)
    return [
        RankedUnit(e.unit, e.total, e.band, i, e.zero_criteria, e.submitted_at, e.rules)
        for i, e in enumerate(ordered, start=1)
    ]


def quota_limit(quota: TopBandQuota, ranked: int) -> int:
    """How many of ``ranked`` units may hold the top band, computed exactly (no float rounding)."""
    exact = Fraction(str(quota.share)) * ranked
    if quota.round == "down":
        limit = math.floor(exact)
    elif quota.round == "up":
        limit = math.ceil(exact)
    else:
        limit = math.floor(exact + Fraction(1, 2))
    return max(limit, 1) if quota.at_least_one and ranked > 0 else limit


def quota_moves(ordered: Sequence[tuple[str, str]], criteria: CriteriaSet) -> dict[str, str]:
    """``(unit, band)`` in ranking order, all under ``criteria``'s quota → the units the quota
    moves down, with their new band (one band lower). Empty without ``top_band_quota``."""
    quota = criteria.rules.top_band_quota
    if quota is None or len(criteria.bands) < 2:
        return {}
    top, lower = criteria.bands[0].name, criteria.bands[1].name
    keep = quota_limit(quota, len(ordered))
    moves: dict[str, str] = {}
    for unit, band in ordered:
        if band != top:
            continue
        if keep > 0:
            keep -= 1
        else:
            moves[unit] = lower
    return moves


def quota_key(cs: CriteriaSet) -> object:
    """Sets whose units share one quota count: the same rule and the same two top bands."""
    return (cs.rules.top_band_quota, tuple(b.name for b in cs.bands[:2]))


def apply_top_band_quota(
    ranked: Sequence[RankedUnit],
    criteria_of: Callable[[str], CriteriaSet | None],
    scope: str = "compiler",
) -> list[RankedUnit]:
    """One compiler's ranking with the quota applied (see module doc); only the quotas of
    ``scope``: ``province`` ones are counted over the whole province (``rules/quota.py``)."""
    groups: dict[object, list[RankedUnit]] = {}
    sets: dict[object, CriteriaSet] = {}
    for r in ranked:
        cs = criteria_of(r.unit)
        q = cs.rules.top_band_quota if cs is not None else None
        if cs is not None and q is not None and q.scope == scope:
            groups.setdefault(quota_key(cs), []).append(r)
            sets.setdefault(quota_key(cs), cs)
    moves: dict[str, str] = {}
    for key, members in groups.items():
        moves.update(quota_moves([(r.unit, r.band) for r in members], sets[key]))
    return [
        replace(r, band=moves[r.unit], rules=(*r.rules, "top_band_quota")) if r.unit in moves else r
        for r in ranked
    ]


def rank_within_compilers(
    results: Iterable[UnitResult],
) -> dict[str, int]:
    """Each submitted unit's rank among the units of the same compiler (as ``compile`` ranks).

    Units that never submitted get no rank.
    """
    return {x.unit: x.rank for x in rank_results(results)}


def rank_results(results: Iterable[UnitResult]) -> list[RankedUnit]:
    """Every submitted unit ranked among the units of its compiler (compilers one after another)."""
    groups: dict[str | None, list[RankEntry]] = {}
    for r in results:
        if r.final_total is not None and r.band is not None and r.submitted_at is not None:
            entry = RankEntry(r.code, r.final_total, r.band, r.zero_criteria, r.submitted_at)
            groups.setdefault(r.compiler, []).append(entry)
    return [x for members in groups.values() for x in rank(members)]


def with_quota(
    results: Sequence[UnitResult], criteria_of: Callable[[str], CriteriaSet | None]
) -> list[UnitResult]:
    """``status``'s and ``publish``'s results with ``top_band_quota`` applied per compiler (and,
    for a ``scope: province`` quota, over every ranked unit of the province, as the province's
    compilation does), so that what they show agrees with the compiled ranking."""
    ranked = rank_results(results)
    by_compiler: dict[str | None, list[RankedUnit]] = {}
    compiler_of = {r.code: r.compiler for r in results}
    for x in ranked:
        by_compiler.setdefault(compiler_of[x.unit], []).append(x)
    moved = {
        x.unit: x.band
        for members in by_compiler.values()
        for x in apply_top_band_quota(members, criteria_of)
        if "top_band_quota" in x.rules
    }
    if not any(_province_scope(criteria_of(x.unit)) for x in ranked):
        return _moved(results, moved)  # no province-wide count: status pays nothing more
    everyone = rank(
        RankEntry(x.unit, x.total, x.band, x.zero_criteria, x.submitted_at)
        for x in ranked
        if compiler_of[x.unit] is not None  # the province itself is ranked by nobody
    )
    moved.update(
        (x.unit, x.band)
        for x in apply_top_band_quota(everyone, criteria_of, "province")
        if "top_band_quota" in x.rules
    )
    return _moved(results, moved)


def _province_scope(cs: CriteriaSet | None) -> bool:
    q = cs.rules.top_band_quota if cs is not None else None
    return q is not None and q.scope == "province"


def _moved(results: Sequence[UnitResult], moved: Mapping[str, str]) -> list[UnitResult]:
    return [
        replace(r, band=moved[r.code], rules=(*r.rules, "top_band_quota")) if r.code in moved else r
        for r in results
    ]


def band_counts(ranked: Iterable[RankedUnit], bands: Sequence[Band | str]) -> dict[str, int]:
    """Units per band, every band of the set present (0 included), in the set's order.

    A band not in ``bands`` (a unit assessed with another criteria set) is appended after them,
    so no unit is silently dropped from the counts.
    """
    counts = {b if isinstance(b, str) else b.name: 0 for b in bands}
    for unit in ranked:
        counts[unit.band] = counts.get(unit.band, 0) + 1
    return counts
