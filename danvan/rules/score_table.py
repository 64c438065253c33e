"""What a list of units shows of their scores, the same in Phụ lục II and the score workbook.

A compiler may rank units scored under different criteria sets or kinds (``kinds:``): a commune's
group I is out of 10 where a department's is out of 20. A group column then shows each unit's
share of its own maximum (``95,00%``), never points an official would have to rescale in his
head; where every listed unit has the same maximum the column shows points, the maximum in its
header. A unit that never submitted is labelled from its ``missing_band`` (issue 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from danvan.rules import scoring
from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import NOT_RANKED
from danvan.rules.text import format_decimal


@dataclass(frozen=True)
class GroupColumn:
    """A group of criteria as a column: its code and, when the units share it, its maximum."""

    code: str
    max: float | None

    @property
    def header(self) -> str:
        if self.max is None:
            return f"Nhóm {self.code} (% điểm tối đa)"
        return f"Nhóm {self.code} (tối đa {format_decimal(self.max)})"


def unit_groups(c: CompiledCycle, u: UnitInput) -> dict[str, tuple[float, float]]:
    """The unit's (points, maximum) per group under its own set, kind and N/A criteria."""
    cs = c.criteria_for(u.kind)
    if cs is None:
        return {}
    na = [k for k in u.not_applicable if k not in u.final_scores]
    return scoring.group_points(cs, u.final_scores, na, u.kind)


def group_columns(c: CompiledCycle) -> list[GroupColumn]:
    """The group columns of the compiler's ranking, in the sets' order."""
    maxima = [{g: m for g, (_, m) in unit_groups(c, c.unit(r.unit)).items()} for r in c.ranked]
    shared = scoring.comparable_groups(maxima)
    order: dict[str, None] = {}
    for cs in c.criteria_by_kind.values():
        order.update(dict.fromkeys(g.code for g in cs.groups))
    return [GroupColumn(g, shared[g]) for g in order if g in shared]


def group_value(col: GroupColumn, pair: tuple[float, float] | None) -> float | Fraction | None:
    """The cell of ``col`` for a unit's (points, maximum): points, or the share as a Fraction;
    None where the group does not apply to the unit."""
    if pair is None:
        return None
    points, most = pair
    if col.max is not None:
        return points
    return Fraction(str(points)) / Fraction(str(most)) if most else None


def missing_band_label(band: str) -> str:
    """How a list shows a unit that never submitted: *Chưa nộp — xếp loại Yếu* or
    *Chưa nộp — không xếp loại* (the same words in the report's appendix and the workbook)."""
    return "Chưa nộp — không xếp loại" if band == NOT_RANKED else f"Chưa nộp — xếp loại {band}"


def band_label(c: CompiledCycle, unit: str, band: str) -> str:
    """A ranked unit's band as a list shows it: *Tốt (tạm thời)* while a province-wide quota has
    still to count it (a lower compiler's top band, rules/quota.py), else the band."""
    held = {u for q in c.quotas if not q["final"] for u in q["held"]}
    return f"{band} (tạm thời)" if unit in held else band
