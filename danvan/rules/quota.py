"""``top_band_quota`` over the whole province (``scope: province``), as a compilation counts it.

Districts compile before the province, so a district cannot know how many of the province's units
hold the top band. Its compilation ranks its units *without* such a quota and says that their top
band is provisional; the province's compilation ranks every ranked unit of the province together
(by total, ties as :mod:`danvan.rules.ranking` breaks them), keeps ``share × units`` of those
holding the top band, rounded as the rule says, and moves the others down one band. Its
``summary.json``, report and workbook carry the final bands, and so do ``status`` and ``publish``
(:func:`danvan.rules.ranking.with_quota`). Sets whose units share one count: the same rule and
the same two top bands, as per compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from danvan.rules.domain import CriteriaSet
from danvan.rules.ranking import RankEntry, quota_key, quota_limit, quota_moves, rank


@dataclass(frozen=True)
class QuotaCount:
    """One province-wide quota as one compilation sees it.

    ``final``: the province's count (``ranked`` every ranked unit of the province under the quota,
    ``keep`` how many may hold ``band``, ``moved`` those moved down to ``lower``); otherwise a
    lower compiler's units holding ``band`` until the province counts (``held``), ``keep`` None.
    """

    share: float
    band: str
    lower: str
    final: bool
    ranked: int
    keep: int | None
    held: tuple[str, ...]
    moved: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": "province",
            "share": self.share,
            "band": self.band,
            "lower": self.lower,
            "final": self.final,
            "ranked": self.ranked,
            "keep": self.keep,
            "held": list(self.held),
            "moved": list(self.moved),
        }


def _province_sets(
    entries: Iterable[RankEntry], criteria_of: Callable[[str], CriteriaSet | None]
) -> tuple[dict[object, list[RankEntry]], dict[object, CriteriaSet]]:
    groups: dict[object, list[RankEntry]] = {}
    sets: dict[object, CriteriaSet] = {}
    for e in entries:
        cs = criteria_of(e.unit)
        q = cs.rules.top_band_quota if cs is not None else None
        if cs is not None and q is not None and q.scope == "province" and len(cs.bands) > 1:
            groups.setdefault(quota_key(cs), []).append(e)
            sets.setdefault(quota_key(cs), cs)
    return groups, sets


def province_counts(
    entries: Iterable[RankEntry],
    criteria_of: Callable[[str], CriteriaSet | None],
    *,
    final: bool,
) -> list[QuotaCount]:
    """The ``scope: province`` quotas over ``entries``: with ``final``, every ranked unit of the
    province, counted and moved; without, one lower compiler's ranked units, only named."""
    groups, sets = _province_sets(entries, criteria_of)
    out = []
    for key, members in groups.items():
        cs = sets[key]
        quota = cs.rules.top_band_quota
        assert quota is not None
        top, lower = cs.bands[0].name, cs.bands[1].name
        ordered = rank(members)
        held = tuple(r.unit for r in ordered if r.band == top)
        if not final:
            out.append(QuotaCount(quota.share, top, lower, False, len(ordered), None, held))
            continue
        moves = quota_moves([(r.unit, r.band) for r in ordered], cs)
        keep = quota_limit(quota, len(ordered))
        moved = tuple(u for u in held if u in moves)
        out.append(QuotaCount(quota.share, top, lower, True, len(ordered), keep, held, moved))
    return out


def final_moves(counts: Iterable[QuotaCount]) -> dict[str, str]:
    """Unit → its band after the province's count (only the units the count moves)."""
    return {u: c.lower for c in counts if c.final for u in c.moved}
