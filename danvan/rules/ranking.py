"""Xếp hạng: the order of the units a compiler ranks (SPEC §4.4 "Ranking").

Higher total first; ties broken by fewer criteria at 0, then earlier submission, then code. The
submission that counts is the latest version (SPEC §2), so "earlier submission" compares the
``submitted_at`` of that latest version: a unit that resubmits gives up its place in a tie.
Because the code is unique, the order is total and every unit gets a distinct rank (1, 2, 3…),
equal totals included. Units without a submission have no total and are not ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from danvan.rules.domain import Band, UnitResult


@dataclass(frozen=True)
class RankEntry:
    """A unit that can be ranked: its final total, band, zero count and latest submission time."""

    unit: str
    total: float
    band: str
    zero_criteria: int
    submitted_at: datetime


@dataclass(frozen=True)
class RankedUnit:
    """A ranked unit: the entry with its 1-based rank."""

    unit: str
    total: float
    band: str
    rank: int
    zero_criteria: int
    submitted_at: datetime


def _key(entry: RankEntry) -> tuple[float, int, datetime, str]:
    return (-entry.total, entry.zero_criteria, entry.submitted_at, entry.unit)


def rank(entries: Iterable[RankEntry]) -> list[RankedUnit]:
    """Rank 1 first. ``submitted_at`` must be all aware (or all naive) to compare."""
    ordered = sorted(entries, key=_key)
    return [
        RankedUnit(e.unit, e.total, e.band, i, e.zero_criteria, e.submitted_at)
        for i, e in enumerate(ordered, start=1)
    ]


def rank_within_compilers(
    results: Iterable[UnitResult],
) -> dict[str, int]:
    """Each submitted unit's rank among the units of the same compiler (as ``compile`` ranks).

    Units that never submitted get no rank.
    """
    groups: dict[str | None, list[RankEntry]] = {}
    for r in results:
        if r.final_total is not None and r.band is not None and r.submitted_at is not None:
            entry = RankEntry(r.code, r.final_total, r.band, r.zero_criteria, r.submitted_at)
            groups.setdefault(r.compiler, []).append(entry)
    return {x.unit: x.rank for members in groups.values() for x in rank(members)}


def band_counts(ranked: Iterable[RankedUnit], bands: Sequence[Band | str]) -> dict[str, int]:
    """Units per band, every band of the set present (0 included), in the set's order.

    A band not in ``bands`` (a unit assessed with another criteria set) is appended after them,
    so no unit is silently dropped from the counts.
    """
    counts = {b if isinstance(b, str) else b.name: 0 for b in bands}
    for unit in ranked:
        counts[unit.band] = counts.get(unit.band, 0) + 1
    return counts
