"""Tình hình nộp báo cáo: each expected unit's standing at an instant, and progress per compiler.

Pure: the caller loads the org tree, the latest submission of each unit and the latest
adjustments; this module decides on_time / late / missing, days_late, totals and bands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from danvan.rules import scoring, timing
from danvan.rules.domain import CriteriaSet, OrgUnit, UnitResult


@dataclass(frozen=True)
class SubmissionFacts:
    """What the standing needs of a unit's submissions: the latest version and the first instant."""

    version: int
    submitted_at: datetime
    first_submitted_at: datetime
    scores: Mapping[str, float]
    bonus: float
    penalty: float
    self_total: float


def expected_units(units: Mapping[str, OrgUnit], within: Iterable[str] | None = None) -> list[str]:
    """Assessed, active units (optionally only those in ``within``), sorted by code."""
    pool = units.keys() if within is None else within
    return sorted(c for c in pool if units[c].active and units[c].assessed)


def standing(
    unit: OrgUnit,
    *,
    compiler: str | None,
    facts: SubmissionFacts | None,
    adjustments: Mapping[str, float],
    criteria: CriteriaSet,
    deadline: date,
    tz: str,
) -> UnitResult:
    """One unit's line of ``status``: timeliness from the first submission, scores from the latest."""
    if facts is None:
        return UnitResult(unit.code, unit.name, unit.kind, compiler, "missing")
    final, bonus, penalty = scoring.final_scores(
        facts.scores, facts.bonus, facts.penalty, adjustments
    )
    final_total = scoring.total(final, bonus, penalty)
    zeros = scoring.zero_criteria(final)
    return UnitResult(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        compiler=compiler,
        status=timing.timeliness(facts.first_submitted_at, deadline, tz),
        version=facts.version,
        submitted_at=facts.submitted_at,
        first_submitted_at=facts.first_submitted_at,
        days_late=timing.days_late(facts.first_submitted_at, deadline, tz),
        self_total=facts.self_total,
        final_total=final_total,
        band=scoring.band_for(final_total, criteria, zeros),
        zero_criteria=zeros,
    )


def standings(
    units: Mapping[str, OrgUnit],
    expected: Iterable[str],
    *,
    compilers: Mapping[str, str | None],
    facts: Mapping[str, SubmissionFacts],
    adjustments: Mapping[str, Mapping[str, float]],
    criteria_for: Callable[[OrgUnit], CriteriaSet],
    deadline: date,
    tz: str = timing.DEFAULT_TZ,
) -> list[UnitResult]:
    return [
        standing(
            units[code],
            compiler=compilers.get(code),
            facts=facts.get(code),
            adjustments=adjustments.get(code, {}),
            criteria=criteria_for(units[code]),
            deadline=deadline,
            tz=tz,
        )
        for code in expected
    ]


def summarize(results: Iterable[UnitResult]) -> dict[str, int]:
    """``{"expected", "submitted", "on_time", "late", "missing"}`` as in SPEC §4.2."""
    counts = {"expected": 0, "submitted": 0, "on_time": 0, "late": 0, "missing": 0}
    for r in results:
        counts["expected"] += 1
        counts[r.status] += 1
        if r.status != "missing":
            counts["submitted"] += 1
    return counts


def progress_by_compiler(results: Iterable[UnitResult]) -> dict[str, dict[str, int]]:
    """The same counts per compiler (the units each compiler must review and rank)."""
    groups: dict[str, list[UnitResult]] = {}
    for r in results:
        if r.compiler is not None:
            groups.setdefault(r.compiler, []).append(r)
    return {code: summarize(rs) for code, rs in sorted(groups.items())}
