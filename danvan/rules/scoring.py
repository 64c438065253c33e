"""Chấm điểm, xếp loại: totals and bands (SPEC §3.2), with the criteria set's rules as data.

Totals: ``Σ criteria + bonus − penalty``. A criterion a unit marked *không áp dụng* (N/A) counts
at its max with ``not_applicable: full_marks``; with ``rescale`` the criteria part is
``earned ÷ applicable max × 100`` (always, N/A or not, so that every unit of the set is on the
same 100-point scale), rounded half-up to 2 decimals, then bonus and penalty are added. A unit
with every criterion N/A scores 100 on the criteria part.

Bands: the highest band whose ``min`` the total reaches, then each cap rule that applies lowers
it (``zero_criterion_caps_band``, ``penalty_caps_band``, ``late_caps_band``). A rule is *named*
beside the unit when its cap is below the band the total alone gives: it changed the band (when
two caps apply both are named; the lower one decides). ``top_band_quota`` is a ranking rule
(danvan.rules.ranking), ``missing_band`` is for units that never submitted (compilation).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat

from danvan.rules.domain import CriteriaSet
from danvan.rules.text import format_decimal


def total(scores: Mapping[str, float], bonus: float = 0, penalty: float = 0) -> float:
    """``Σ criteria + bonus − penalty``. Scores are multiples of 0.25, so the float sum is exact."""
    return float(sum(scores.values()) + bonus - penalty)


def criteria_points(
    criteria: CriteriaSet,
    scores: Mapping[str, float],
    not_applicable: Collection[str] = (),
    kind: str | None = None,
) -> float:
    """The criteria part of a total (before bonus and penalty), N/A criteria by the set's method.

    Only the criteria of ``kind`` count (``kinds`` of each criterion); ``scores`` of others are
    ignored (the submission check has refused them already).
    """
    applicable = criteria.criteria_for_kind(kind)
    if not not_applicable and criteria.not_applicable != "rescale":
        # the usual case, once per unit of ``status``: the same sum in the same order, unwound
        return float(sum(map(scores.get, criteria.codes_for_kind(kind), repeat(0.0))))
    earned = sum(scores.get(c.code, 0.0) for c in applicable if c.code not in not_applicable)
    if criteria.not_applicable == "rescale":
        most = sum(c.max for c in applicable if c.code not in not_applicable)
        if most <= 0:
            return 100.0
        ratio = Decimal(str(earned)) / Decimal(str(most)) * 100
        return float(ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return float(earned + sum(c.max for c in applicable if c.code in not_applicable))


def unit_total(
    criteria: CriteriaSet,
    scores: Mapping[str, float],
    bonus: float = 0,
    penalty: float = 0,
    not_applicable: Collection[str] = (),
    kind: str | None = None,
) -> float:
    """A unit's total under its criteria set: :func:`criteria_points` + bonus − penalty."""
    return float(criteria_points(criteria, scores, not_applicable, kind) + bonus - penalty)


def zero_criteria(scores: Mapping[str, float]) -> int:
    """How many criteria scored 0 (used by the cap rule and as the first ranking tie-break)."""
    return sum(1 for v in scores.values() if v == 0)


@dataclass(frozen=True)
class BandDecision:
    """A unit's band and the rules that changed it (named beside the unit in the ranking)."""

    band: str
    rules: tuple[str, ...] = ()


def decide_band(
    total_points: float,
    criteria: CriteriaSet,
    *,
    zero_count: int = 0,
    penalty: float = 0,
    days_late: int | None = 0,
) -> BandDecision:
    """The band of a total, capped by the set's rules; each cap that lowered it is named."""
    names = [b.name for b in criteria.bands]
    earned = next((b.name for b in criteria.bands if total_points >= b.min), names[-1])
    rules = criteria.rules
    caps: list[tuple[str, str]] = []
    if criteria.zero_criterion_caps_band and zero_count > 0:
        caps.append(("zero_criterion_caps_band", criteria.zero_criterion_caps_band))
    if rules.penalty_caps_band and penalty >= rules.penalty_caps_band[0] and penalty > 0:
        caps.append(("penalty_caps_band", rules.penalty_caps_band[1]))
    if rules.late_caps_band and (days_late or 0) > rules.late_caps_band[0]:
        caps.append(("late_caps_band", rules.late_caps_band[1]))
    band, named = earned, []
    for rule, cap in caps:
        if names.index(cap) > names.index(earned):
            named.append(rule)
            band = max(band, cap, key=names.index)
    return BandDecision(band, tuple(named))


def band_for(total_points: float, criteria: CriteriaSet, zero_count: int = 0) -> str:
    """The band of a total with only the zero-criterion cap (no penalty, not late)."""
    return decide_band(total_points, criteria, zero_count=zero_count).band


@dataclass(frozen=True)
class Assessment:
    """A submitted unit's totals and band after its appraisal: what a standing and a
    compilation both decide, in one place."""

    final_scores: dict[str, float]
    final_bonus: float
    final_penalty: float
    self_total: float
    final_total: float
    zero_criteria: int
    decision: BandDecision


def assess(
    criteria: CriteriaSet,
    kind: str,
    scores: Mapping[str, float],
    bonus: float,
    penalty: float,
    adjustments: Mapping[str, float],
    not_applicable: Collection[str],
    days_late: int | None,
) -> Assessment:
    """Self and final totals, zero criteria and band of one unit (``adjustments``: target →
    the value that counts; ``not_applicable``: the criteria the unit marked N/A, an adjusted
    one scored again)."""
    final, f_bonus, f_penalty = final_scores(scores, bonus, penalty, adjustments)
    still_na = [c for c in not_applicable if c not in final]
    self_total = unit_total(criteria, scores, bonus, penalty, list(not_applicable), kind)
    # Without adjustments the final figures are the self-assessed ones (the same scores, bonus,
    # penalty and N/A criteria): the total is the same, computed once (status reads every unit).
    final_total = (
        self_total
        if not adjustments and len(still_na) == len(not_applicable)
        else unit_total(criteria, final, f_bonus, f_penalty, still_na, kind)
    )
    zeros = zero_criteria(final)
    decision = decide_band(
        final_total, criteria, zero_count=zeros, penalty=f_penalty, days_late=days_late
    )
    return Assessment(final, f_bonus, f_penalty, self_total, final_total, zeros, decision)


def final_scores(
    scores: Mapping[str, float],
    bonus: float,
    penalty: float,
    adjustments: Mapping[str, float],
) -> tuple[dict[str, float], float, float]:
    """Apply the latest adjustment per target (criterion code, ``bonus``, ``penalty``).

    ``adjustments`` maps each target to its latest adjusted value; targets without one keep the
    self-score. A criterion the unit marked N/A and the appraisal scored is scored from then on
    (the compiler judged that it applies): it is added to the returned scores.
    """
    final = {code: adjustments.get(code, value) for code, value in scores.items()}
    for target, value in adjustments.items():
        if target not in ("bonus", "penalty") and target not in final:
            final[target] = value
    return final, adjustments.get("bonus", bonus), adjustments.get("penalty", penalty)


def group_points(
    criteria: CriteriaSet,
    scores: Mapping[str, float],
    not_applicable: Collection[str] = (),
    kind: str | None = None,
) -> dict[str, tuple[float, float]]:
    """Each group's (points, maximum) for one unit, on the criteria of its kind. An N/A criterion
    counts as the total counts it: at its max in both under ``full_marks`` (the groups then add
    up to the criteria part), left out of both under ``rescale``. Units under different sets or
    kinds have different group maxima (a commune's group I of 10, a department's of 20), so lists
    compare them through this pair, never through the points alone."""
    full = criteria.not_applicable != "rescale"
    out: dict[str, tuple[float, float]] = {}
    for g in criteria.groups:
        mine = [c for c in g.criteria if c.applies_to(kind)]
        if not mine:
            continue
        counted = [c for c in mine if full or c.code not in not_applicable]
        points = sum(
            c.max if c.code in not_applicable else scores.get(c.code, 0.0) for c in counted
        )
        out[g.code] = (float(points), float(sum(c.max for c in counted)))
    return out


def na_arithmetic(
    criteria: CriteriaSet,
    scores: Mapping[str, float],
    not_applicable: Collection[str],
    kind: str | None = None,
) -> str:
    """How N/A criteria made the criteria part, in the unit's own figures (empty without N/A):
    ``quy đổi thang 100: 54 ÷ 60 × 100 = 90`` or ``tính đủ điểm tối đa (30)``. The report and
    the workbook explain a total with the same words."""
    if not not_applicable:
        return ""
    mine = criteria.criteria_for_kind(kind)
    part = criteria_points(criteria, scores, not_applicable, kind)
    if criteria.not_applicable == "rescale":
        earned = sum(scores.get(c.code, 0.0) for c in mine if c.code not in not_applicable)
        most = sum(c.max for c in mine if c.code not in not_applicable)
        return (
            f"quy đổi thang 100: {format_decimal(earned)} ÷ {format_decimal(most)} × 100"
            f" = {format_decimal(part)}"
        )
    maxima = " + ".join(format_decimal(c.max) for c in mine if c.code in not_applicable)
    return f"tính đủ điểm tối đa ({maxima}); điểm các tiêu chí = {format_decimal(part)}"


def comparable_groups(maxima: Iterable[Mapping[str, float]]) -> dict[str, float | None]:
    """Group code → its maximum when every unit listed has the same one, else None (the list then
    shows the group as a share of each unit's own maximum)."""
    seen: dict[str, set[float]] = {}
    for m in maxima:
        for code, most in m.items():
            seen.setdefault(code, set()).add(most)
    return {code: (next(iter(v)) if len(v) == 1 else None) for code, v in seen.items()}
