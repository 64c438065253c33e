"""Chấm điểm, xếp loại: totals and bands (SPEC §3.2)."""

from __future__ import annotations

from collections.abc import Mapping

from danvan.rules.domain import CriteriaSet


def total(scores: Mapping[str, float], bonus: float = 0, penalty: float = 0) -> float:
    """``Σ criteria + bonus − penalty``. Scores are multiples of 0.25, so the float sum is exact."""
    return float(sum(scores.values()) + bonus - penalty)


def zero_criteria(scores: Mapping[str, float]) -> int:
    """How many criteria scored 0 (used by the cap rule and as the first ranking tie-break)."""
    return sum(1 for v in scores.values() if v == 0)


def band_for(total_points: float, criteria: CriteriaSet, zero_count: int = 0) -> str:
    """The band of a total: the highest whose ``min`` it reaches, then capped by the rules.

    ``zero_criterion_caps_band: Khá`` means a unit with any criterion at 0 ranks at most Khá.
    """
    names = [b.name for b in criteria.bands]
    band = next((b.name for b in criteria.bands if total_points >= b.min), names[-1])
    cap = criteria.zero_criterion_caps_band
    if cap and zero_count > 0 and names.index(band) < names.index(cap):
        band = cap
    return band


def final_scores(
    scores: Mapping[str, float],
    bonus: float,
    penalty: float,
    adjustments: Mapping[str, float],
) -> tuple[dict[str, float], float, float]:
    """Apply the latest adjustment per target (criterion code, ``bonus``, ``penalty``).

    ``adjustments`` maps each target to its latest adjusted value; targets without one keep the
    self-score.
    """
    final = {code: adjustments.get(code, value) for code, value in scores.items()}
    return final, adjustments.get("bonus", bonus), adjustments.get("penalty", penalty)
