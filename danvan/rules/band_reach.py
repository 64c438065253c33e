"""Can a kind reach the top band? ``plan issue``'s warning (issue 17).

With ``kinds:`` a unit of some kind is scored on fewer criteria; under ``full_marks`` nothing
rescales them, so a commune whose set lists a 20-point department-only criterion can reach at
most 80 + bonus of 100. The plan is still issued (a province may mean it), with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from danvan.rules import fields as f
from danvan.rules.domain import KIND_LABELS, CriteriaSet


def best_total(cs: CriteriaSet, kind: str | None) -> float:
    """The highest total a unit of ``kind`` can reach under ``cs``: its criteria's maxima (100
    with ``rescale``) plus the largest bonus."""
    part = (
        100.0 if cs.not_applicable == "rescale" else sum(c.max for c in cs.criteria_for_kind(kind))
    )
    return float(part + cs.bonus_max)


def top_band_warnings(sets_by_kind: Mapping[str, CriteriaSet], kinds: Iterable[str]) -> list[str]:
    """``plan issue``'s warning: the kinds (of those present) whose criteria cannot add up to the
    top band — ``kinds:`` left them fewer criteria and ``full_marks`` does not rescale."""
    out = []
    for kind in kinds:
        cs = sets_by_kind.get(kind) or sets_by_kind.get("default")
        if cs is None or not cs.bands:
            continue
        best, top = best_total(cs, kind), cs.bands[0]
        if best < top.min:
            out.append(
                f"Bộ tiêu chí {cs.code}: đơn vị {KIND_LABELS.get(kind, kind)} đạt tối đa"
                f" {f.num(best)} điểm (kể cả điểm thưởng), không thể xếp loại {top.name}"
                f" (từ {f.num(top.min)} điểm); xem lại 'kinds' hoặc dùng not_applicable: rescale"
                " [top_band_unreachable]."
            )
    return out
