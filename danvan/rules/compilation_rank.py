"""A compilation's ranking: the units it ranks, their bands after the quota, the non-submitters'
bands and the band order (SPEC §4.4 ``ranking`` and ``bands``; re-exported by ``compilation``).

``top_band_quota`` counts per compiler here; a ``scope: province`` quota is counted by the
province's compilation over every ranked unit of the province (:mod:`danvan.rules.quota`), and
its moves are handed to :func:`rank_direct`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from danvan.rules.domain import CriteriaSet, OrgUnit
from danvan.rules.quota import QuotaCount, province_counts
from danvan.rules.ranking import RankedUnit, RankEntry, apply_top_band_quota, rank

if TYPE_CHECKING:  # compilation imports this module
    from danvan.rules.compilation import UnitInput


def _entry(u: UnitInput) -> RankEntry:
    if u.submitted_at is None or u.band is None or u.final_total is None:
        raise ValueError(f"{u.code}: a submitted unit needs submitted_at and band")
    return RankEntry(u.code, u.final_total, u.band, u.zero_criteria, u.submitted_at, u.rules)


def _set_of(
    units: Iterable[UnitInput], criteria_by_kind: Mapping[str, CriteriaSet]
) -> dict[str, CriteriaSet | None]:
    sets = criteria_by_kind
    return {u.code: sets.get(u.kind) or sets.get("default") for u in units}


def rank_direct(
    units: Iterable[UnitInput],
    direct: Collection[str],
    criteria_by_kind: Mapping[str, CriteriaSet] | None = None,
    moves: Mapping[str, str] | None = None,
) -> list[RankedUnit]:
    """The ranking of the units compiled directly that have a submission (missing ones are not),
    with ``top_band_quota`` applied per criteria set; ``moves``: the bands the province-wide
    count gave (:func:`danvan.rules.quota.final_moves`)."""
    chosen = [u for u in units if u.code in direct and u.submitted and u.final_total is not None]
    ranked = rank(_entry(u) for u in chosen)
    if criteria_by_kind:
        of = _set_of(chosen, criteria_by_kind)
        ranked = apply_top_band_quota(ranked, lambda code: of[code])
    if not moves:
        return ranked
    return [
        replace(r, band=moves[r.unit], rules=(*r.rules, "top_band_quota")) if r.unit in moves else r
        for r in ranked
    ]


def quota_counts(
    compiler: OrgUnit,
    units: Iterable[UnitInput],
    direct: Collection[str],
    criteria_by_kind: Mapping[str, CriteriaSet] | None,
) -> list[QuotaCount]:
    """The ``scope: province`` quotas this compilation reports: the province counts every ranked
    unit of its subtree (every submitter but itself); a lower compiler names its own ranked units
    whose top band is provisional. Empty without such a quota."""
    if not criteria_by_kind:
        return []
    final = compiler.kind == "province"
    chosen = [
        u
        for u in units
        if u.submitted
        and u.final_total is not None
        and (u.code != compiler.code if final else u.code in direct)
    ]
    of = _set_of(chosen, criteria_by_kind)
    return province_counts((_entry(u) for u in chosen), lambda code: of[code], final=final)


def missing_bands(
    units: Iterable[UnitInput],
    direct: Collection[str],
    criteria_by_kind: Mapping[str, CriteriaSet] | None,
) -> list[tuple[str, str]]:
    """``missing_band``: (unit, band or *không xếp loại*) for the directly compiled units that
    never submitted, in code order; none when their criteria set has no such rule."""
    sets = criteria_by_kind or {}
    out = []
    for u in sorted(units, key=lambda u: u.code):
        if u.code in direct and not u.submitted:
            cs = sets.get(u.kind) or sets.get("default")
            if cs is not None and cs.rules.missing_band:
                out.append((u.code, cs.rules.missing_band))
    return out


def band_order(criteria_by_kind: Mapping[str, CriteriaSet] | None) -> list[str]:
    """Band names of every criteria set in play, each once, in the sets' own (best-first) order."""
    names: dict[str, None] = {}
    for criteria in (criteria_by_kind or {}).values():
        names.update(dict.fromkeys(b.name for b in criteria.bands))
    return list(names)
