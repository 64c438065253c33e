"""Tổng hợp số liệu: summing the units' figures and the rates computed from the sums (SPEC §3.4).

Figures are each unit's own; a compiler sums them over its subtree, each unit counted once.
Rates are always ratios of sums, never averages of the units' rates: a commune with 10 dossiers
must not weigh as much as a district with 3.000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from danvan.rules.domain import FIGURE_GROUPS, UNIT_KINDS, Figures

#: rate name → (group, numerator field, denominator field), SPEC §4.4.
RATE_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "mediation_success": ("mediation", "successful", "received"),
    "admin_on_time": ("admin_procedures", "on_time", "resolved"),
    "admin_online": ("admin_procedures", "online", "received"),
    "petitions_resolved": ("petitions", "resolved", "in_jurisdiction"),
}

FigureSource = Mapping[str, Mapping[str, int]]


def empty_figures() -> Figures:
    """Every group and field of FIGURE_GROUPS at 0, in their canonical order."""
    return {group: dict.fromkeys(fields, 0) for group, fields in FIGURE_GROUPS.items()}


def reported_groups(figures: FigureSource | None) -> set[str]:
    """The figure groups a unit gave (a group left out is *not reported*, not zero: issue 17)."""
    return {g for g, v in (figures or {}).items() if g in FIGURE_GROUPS and isinstance(v, Mapping)}


def unreported(figures: Iterable[FigureSource | None]) -> list[str]:
    """The groups none of ``figures`` gave, in FIGURE_GROUPS order (a sum of them is no fact)."""
    given: set[str] = set()
    for one in figures:
        given |= reported_groups(one)
    return [g for g in FIGURE_GROUPS if g not in given]


def sum_figures(figures: Iterable[FigureSource]) -> Figures:
    """Σ over units, one dict per unit. Missing groups/fields count as 0; unknown ones are ignored.

    The result always holds every group and field, so a report can print a 0 rather than guess.
    """
    result = empty_figures()
    for one in figures:
        for group, fields in result.items():
            given = one.get(group) or {}
            for name in fields:
                fields[name] += int(given.get(name, 0) or 0)
    return result


def sum_reported(figures: Iterable[FigureSource]) -> Figures:
    """Σ like :func:`sum_figures`, over the groups some of them gave only: a group none reported
    stays out (not reported, not zero; issue 17)."""
    items = list(figures)
    given = set().union(*(reported_groups(f) for f in items)) if items else set()
    return {g: v for g, v in sum_figures(items).items() if g in given}


def rate(figures: FigureSource, name: str) -> Fraction | None:
    """One rate of RATE_DEFINITIONS as an exact fraction; None when its denominator is 0."""
    group, num, den = RATE_DEFINITIONS[name]
    values = figures.get(group) or {}
    denominator = int(values.get(den, 0) or 0)
    if denominator == 0:
        return None
    return Fraction(int(values.get(num, 0) or 0), denominator)


def rates(figures: FigureSource) -> dict[str, Fraction | None]:
    """All four rates of SPEC §4.4 from (already summed) figures, in a fixed order."""
    return {name: rate(figures, name) for name in RATE_DEFINITIONS}


def by_kind(items: Iterable[tuple[str, FigureSource]]) -> dict[str, Figures]:
    """Sums per unit kind (the *cấp huyện* / *cấp xã* / *sở, ngành* lines of a report).

    ``items`` are ``(kind, figures)`` pairs, one per unit. Kinds come out in UNIT_KINDS order, then
    any unknown kind alphabetically, so the output is deterministic.
    """
    grouped: dict[str, list[FigureSource]] = {}
    for kind, figures in items:
        grouped.setdefault(kind, []).append(figures)
    order = {kind: i for i, kind in enumerate(UNIT_KINDS)}
    kinds = sorted(grouped, key=lambda k: (order.get(k, len(order)), k))
    return {kind: sum_figures(grouped[kind]) for kind in kinds}


def difference(current: FigureSource, previous: FigureSource) -> Figures:
    """Year-on-year change per field: ``current − previous`` (negative means a decrease)."""
    now, before = sum_figures([current]), sum_figures([previous])
    return {
        group: {name: value - before[group][name] for name, value in fields.items()}
        for group, fields in now.items()
    }
