"""Tình hình nộp báo cáo: each expected unit's standing at an instant, and progress per compiler.

Pure: the caller loads the org tree, the latest submission of each unit and the latest
adjustments; this module decides on_time / late / missing, days_late, totals and bands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from danvan.rules import scoring, timing
from danvan.rules.domain import CriteriaSet, OrgUnit, UnitResult
from danvan.rules.revision import ReturnFacts, RevisionStanding, revision_standing


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
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[Mapping[str, str], ...] = ()
    returns: tuple[ReturnFacts, ...] = ()


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
    """One unit's line of ``status``: timeliness from the first submission (and its returns,
    SPEC §3.6), scores from the latest."""
    if facts is None:
        return UnitResult(unit.code, unit.name, unit.kind, compiler, "missing")
    rev = revision_of(facts.first_submitted_at, facts.version, facts.returns, deadline, tz)
    assessed = scoring.assess(
        criteria, unit.kind, facts.scores, facts.bonus, facts.penalty, adjustments,
        facts.not_applicable, rev.days_late,
    )  # fmt: skip
    return UnitResult(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        compiler=compiler,
        status=rev.status,
        version=facts.version,
        submitted_at=facts.submitted_at,
        first_submitted_at=facts.first_submitted_at,
        days_late=rev.days_late,
        self_total=assessed.self_total,
        final_total=assessed.final_total,
        band=assessed.decision.band,
        zero_criteria=assessed.zero_criteria,
        timeliness=rev.timeliness,
        revise_by=rev.open.revise_by if rev.open else None,
        return_reason=rev.open.reason if rev.open else None,
        warnings=tuple(dict(w) for w in facts.warnings),
        rules=assessed.decision.rules,
        penalty=assessed.final_penalty,
    )


def revision_of(
    first_submitted_at: datetime,
    version: int,
    returns: Sequence[ReturnFacts],
    deadline: date,
    tz: str,
) -> RevisionStanding:
    """A submitted unit's status and days late, from its first submission and its returns: the
    part of :func:`standing` that the per-compiler counts need (no scores, no band)."""
    return revision_standing(
        timing.timeliness(first_submitted_at, deadline, tz),
        timing.days_late(first_submitted_at, deadline, tz),
        returns,
        version,
        tz,
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


#: Above this many units ``status`` prints one line per compiler, not every unit (``--all``):
#: a 1,000-unit table takes seconds to lay out and minutes at 25,000, and nobody reads it whole.
#: Such a ``status`` computes only the units' states, not their scores and bands.
UNITS_LISTED = 300


class UnitState(NamedTuple):
    """What the per-compiler counts read of a unit's standing (``UnitResult`` has the same
    fields): ``status`` without the scores and band."""

    code: str
    compiler: str | None
    status: str


def summarize(results: Iterable[UnitResult | UnitState]) -> dict[str, int]:
    """``{"expected", "submitted", "on_time", "late", "missing", "returned"}`` (SPEC §4.2, §4.1):
    a returned unit counts as submitted and as returned, not as on time or late."""
    counts = {"expected": 0, "submitted": 0, "on_time": 0, "late": 0, "missing": 0, "returned": 0}
    for r in results:
        counts["expected"] += 1
        counts[r.status] += 1
        if r.status != "missing":
            counts["submitted"] += 1
    return counts


def progress_by_compiler(
    results: Iterable[UnitResult | UnitState],
) -> dict[str, dict[str, int]]:
    """The same counts per compiler (the units each compiler must review and rank)."""
    groups: dict[str, list[UnitResult | UnitState]] = {}
    for r in results:
        if r.compiler is not None:
            groups.setdefault(r.compiler, []).append(r)
    return {code: summarize(rs) for code, rs in sorted(groups.items())}
