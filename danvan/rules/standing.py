"""Tình hình nộp báo cáo: each expected unit's standing at an instant, and progress per compiler.

Pure: the caller loads the org tree, the latest submission of each unit and the latest
adjustments; this module decides on_time / late / missing, days_late, totals and bands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from typing import NamedTuple, Protocol

from danvan.rules import scoring, timing
from danvan.rules.domain import CriteriaSet, OrgUnit, UnitResult, frozen_value
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


class Submitted(Protocol):
    """What :func:`standings` reads of a unit's version that counts: :class:`SubmissionFacts`'
    fields (its returns aside), read-only, so the read's own rows serve as they are."""

    @property
    def version(self) -> int: ...
    @property
    def submitted_at(self) -> datetime: ...
    @property
    def first_submitted_at(self) -> datetime: ...
    @property
    def scores(self) -> Mapping[str, float]: ...
    @property
    def bonus(self) -> float: ...
    @property
    def penalty(self) -> float: ...
    @property
    def not_applicable(self) -> Mapping[str, str]: ...
    @property
    def warnings(self) -> Sequence[Mapping[str, str]]: ...


def standings(
    units: Mapping[str, OrgUnit],
    expected: Iterable[str],
    *,
    compilers: Mapping[str, str | None],
    facts: Mapping[str, Submitted],
    adjustments: Mapping[str, Mapping[str, float]],
    criteria_for: Callable[[OrgUnit], CriteriaSet],
    deadline: date,
    tz: str = timing.DEFAULT_TZ,
    returns: Mapping[str, Sequence[ReturnFacts]] | None = None,
) -> list[UnitResult]:
    """Every expected unit's :func:`standing` (``returns``: unit → its returns), decided
    set-wise: a country's ``status`` decides 25,000 standings, and deciding each through
    :func:`standing` was a third of it. Timeliness is decided once per distinct first instant,
    a band once per distinct (set, total, zero criteria, penalty, days late), and a unit with no
    adjustment and no N/A criterion (the usual case) has its totals summed here, as
    :func:`danvan.rules.scoring.assess` sums them; the others go through ``assess``. The same
    results as :func:`standing`, unit by unit (``tests/rules/test_standing_setwise.py``)."""
    returns = returns or {}
    when: dict[datetime, tuple[str, int]] = {}
    bands: dict[int, dict[tuple, scoring.BandDecision]] = {}
    out: list[UnitResult] = []
    for code in expected:
        unit, f = units[code], facts.get(code)
        if f is None:
            out.append(UnitResult(code, unit.name, unit.kind, compilers.get(code), "missing"))
            continue
        first = f.first_submitted_at
        timely = when.get(first)
        if timely is None:
            timely = when[first] = (
                timing.timeliness(first, deadline, tz), timing.days_late(first, deadline, tz)
            )  # fmt: skip
        status, timeliness, late, opened = timely[0], timely[0], timely[1], None
        mine = returns.get(code)
        if mine:
            rev = revision_standing(status, late, mine, f.version, tz)
            status, timeliness, late, opened = rev.status, rev.timeliness, rev.days_late, rev.open
        criteria, adjusted = criteria_for(unit), adjustments.get(code)
        if adjusted or f.not_applicable or criteria.not_applicable == "rescale":
            a = scoring.assess(
                criteria, unit.kind, f.scores, f.bonus, f.penalty, adjusted or {},
                f.not_applicable, late,
            )  # fmt: skip
            self_total, final_total, zeros, penalty = (
                a.self_total, a.final_total, a.zero_criteria, a.final_penalty
            )  # fmt: skip
        else:  # assess's own sums, without adjustments or N/A: final = self
            scores, penalty = f.scores, f.penalty
            points = float(sum(map(scores.get, criteria.codes_for_kind(unit.kind), repeat(0.0))))
            self_total = final_total = float(points + f.bonus - penalty)
            zeros = [*scores.values()].count(0)
        memo = bands.setdefault(id(criteria), {})
        key = (final_total, zeros > 0, penalty, late)
        decision = memo.get(key)
        if decision is None:
            decision = memo[key] = scoring.decide_band(
                final_total, criteria, zero_count=zeros, penalty=penalty, days_late=late
            )
        warnings = tuple(dict(w) for w in f.warnings) if f.warnings else ()
        result = frozen_value(
            UnitResult, code, unit.name, unit.kind, compilers.get(code), status, f.version,
            f.submitted_at, first, late, self_total, final_total, decision.band, zeros, timeliness,
            opened.revise_by if opened else None, opened.reason if opened else None, warnings,
            decision.rules, penalty,
        )  # fmt: skip
        out.append(result)
    return out


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
