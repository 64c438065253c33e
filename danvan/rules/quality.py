"""Số liệu cần kiểm tra: data-quality flags on accepted figures (SPEC §3.8), pure.

A figure can pass every validation rule and still be wrong: 36.970 typed for 3.697, last
year's file sent again. Like DHIS2's outlier and validation-rule analysis these findings are
never a rejection; each is a :class:`Flag` a compiler looks at and marks checked with a note.
The province's own checks (``checks:``) are parsed here too (:mod:`danvan.rules.quality_checks`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from statistics import median

from danvan.rules.aggregate import (
    RATE_DEFINITIONS,
    FigureSource,
    reported_groups,
    sum_reported,
)
from danvan.rules.domain import FIGURE_GROUPS
from danvan.rules.flag_text import ALL_FIGURES, copied_note, peer_note, rule_note, yoy_note
from danvan.rules.quality_checks import Check, evaluate

KINDS = ("yoy_jump", "peer_outlier", "same_as_last_year", "rule")


@dataclass(frozen=True)
class Thresholds:
    """SPEC §3.8's defaults; each is a setting (``DANVAN_FLAG_*``)."""

    yoy_factor: float = 3.0  # at least 3× or at most ⅓ of last year's figure
    yoy_min: int = 50  # … where the larger of the two is at least this
    peer_z: float = 3.5  # modified z-score beyond this
    peer_min_units: int = 8  # at least this many units of the kind with the rate
    peer_min_denominator: int = 20  # a unit's rate counts when its denominator is this or more


@dataclass(frozen=True)
class Flag:
    """One finding: ``{unit, field, kind, value, reference, note}`` (SPEC §3.8)."""

    unit: str
    field: str  # "admin_procedures.received", a rate name, "figures", a check's left side
    kind: str  # one of KINDS
    value: float | None
    reference: float | None  # last year's figure, the peers' median, the check's right side
    note: str  # a Vietnamese sentence for the official (danvan.rules.flag_text)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.unit, self.field, self.kind)


def _figure(figures: FigureSource, group: str, name: str) -> int:
    return int((figures.get(group) or {}).get(name, 0) or 0)


def yoy_jumps(
    unit: str, figures: FigureSource, previous: FigureSource, t: Thresholds
) -> list[Flag]:
    """``yoy_jump``: a figure at least ``yoy_factor``× or at most 1/``yoy_factor`` of last
    year's, where the larger of the two is at least ``yoy_min`` (small counts jump naturally)."""
    out = []
    factor = Fraction(str(t.yoy_factor))
    for group, names in FIGURE_GROUPS.items():
        if not (
            isinstance(figures.get(group), Mapping) and isinstance(previous.get(group), Mapping)
        ):
            continue  # a group not reported this year or last is compared with nothing, not 0
        for name in names:
            now, before = _figure(figures, group, name), _figure(previous, group, name)
            if max(now, before) < t.yoy_min or now == before:
                continue
            if now >= factor * before or now * factor <= before:
                field = f"{group}.{name}"
                out.append(Flag(unit, field, "yoy_jump", now, before, yoy_note(field, now, before)))
    return out


def same_as_last_year(unit: str, figures: FigureSource, previous: FigureSource) -> Flag | None:
    """``same_as_last_year``: every figure equal to last year's (a copied file). All zeros
    both years says nothing (a unit with nothing to report), so it is not flagged."""
    if reported_groups(figures) != reported_groups(previous):
        return None  # a file that reports other groups than last year's is not a copy of it
    pairs = [
        (_figure(figures, g, n), _figure(previous, g, n))
        for g, names in FIGURE_GROUPS.items()
        for n in names
    ]
    if any(a != b for a, b in pairs) or not any(a for a, _ in pairs):
        return None
    return Flag(unit, ALL_FIGURES, "same_as_last_year", None, None, copied_note())


def modified_z_scores(values: Sequence[float]) -> list[float] | None:
    """Iglewicz and Hoaglin's modified z-score, 0.6745·(x − median)/MAD; when MAD is 0, the
    mean absolute deviation × 1.253314 stands for it; ``None`` when both are 0 (all alike)."""
    mid = median(values)
    deviations = [abs(v - mid) for v in values]
    mad = median(deviations)
    if mad > 0:
        return [0.6745 * (v - mid) / mad for v in values]
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad == 0:
        return None
    return [(v - mid) / (1.253314 * mean_ad) for v in values]


def _ratio_median(ratios: Sequence[tuple[int, int]]) -> Fraction:
    """The exact median of ``numerator/denominator`` pairs, from their floats: rounding keeps
    the order, so only the ratios whose float equals a middle one become fractions and are
    compared as such (sorting 25,000 fractions, or even their ties, was most of a country's
    flags). ``n / d`` of two ints is the float of the fraction ``n/d``, correctly rounded."""
    n, half = len(ratios), len(ratios) // 2
    floats = sorted(a / b for a, b in ratios)
    if n % 2:
        return _kth(ratios, floats, half)
    return (_kth(ratios, floats, half - 1) + _kth(ratios, floats, half)) / 2


def _kth(ratios: Sequence[tuple[int, int]], floats: list[float], k: int) -> Fraction:
    """The ``k``-th smallest ratio (0-based), exactly: among those whose float is the ``k``-th
    smallest float, at its rank after the fewer ones. Units sharing a ratio (a country has
    thousands of ties) make one fraction per distinct pair, not one each."""
    f = floats[k]
    below = bisect_left(floats, f)
    tied: Counter[Fraction] = Counter()
    for (a, b), n in Counter(r for r in ratios if r[0] / r[1] == f).items():
        tied[Fraction(a, b)] += n
    left = k - below
    for value in sorted(tied):
        left -= tied[value]
        if left < 0:
            return value
    raise AssertionError("the k-th float is among the ratios")


def peer_outliers(units: Mapping[str, tuple[str, FigureSource]], t: Thresholds) -> list[Flag]:
    """``peer_outlier``: a unit's rate far from its peers' (units of the same kind), for each
    rate with at least ``peer_min_units`` units whose denominator is ``peer_min_denominator``+.

    ``units``: code → (kind, figures), every submitting unit of the province. Rates are kept as
    their two counts (``rate``'s fraction, not reduced) and made fractions only where exactness
    matters: the median's ties and the flagged units.
    """
    out = []
    by_kind: dict[str, list[tuple[str, FigureSource]]] = {}
    for c in sorted(units):  # one pass, not one per kind: a country has 25,000 units
        kind, figures = units[c]
        by_kind.setdefault(kind, []).append((c, figures))
    floor = t.peer_min_denominator
    for kind in sorted(by_kind):
        rated_by: dict[str, list[tuple[str, int, int]]] = {name: [] for name in RATE_DEFINITIONS}
        for c, figures in by_kind[kind]:  # each unit's figures read once for every rate
            for name, (group, num, den) in RATE_DEFINITIONS.items():
                values = figures.get(group) or {}
                d = int(values.get(den, 0) or 0)
                if d >= floor and d != 0:  # 0: no rate
                    rated_by[name].append((c, int(values.get(num, 0) or 0), d))
        for name, rated in rated_by.items():
            if len(rated) < t.peer_min_units:
                continue
            scores = modified_z_scores([a / b for _, a, b in rated])
            if scores is None:
                continue
            mid = _ratio_median([(a, b) for _, a, b in rated])  # a fraction, or the mean of two
            for (code, a, b), z in zip(rated, scores, strict=True):
                if abs(z) > t.peer_z:
                    out.append(_peer_flag(code, name, Fraction(a, b), mid, len(rated)))
    return out


def _peer_flag(code: str, name: str, value: Fraction, mid: Fraction, n: int) -> Flag:
    note = peer_note(name, value, mid, n)
    return Flag(code, name, "peer_outlier", round(float(value), 6), round(float(mid), 6), note)


def rule_flags(unit: str, figures: FigureSource, checks: Iterable[Check]) -> list[Flag]:
    """``rule``: each of the province's checks that does not hold for this unit's figures."""
    out = []
    for check in checks:
        left, right = evaluate(check.left, figures), evaluate(check.right, figures)
        if not check.holds(left, right):
            value, reference = float(left), float(right)
            note = check.message or rule_note(
                check.left_text, check.op, check.right_text, left, right
            )
            out.append(Flag(unit, check.left_text, "rule", value, reference, note))
    return out


def previous_for(
    code: str,
    previous_by_unit: Mapping[str, FigureSource],
    stand_ins: Mapping[str, Sequence[str]],
) -> FigureSource | None:
    """Last cycle's figures a unit is compared with: its own, or for a merged unit the sum of its
    predecessors' (``stand_ins``, as ``previous_year`` counts them); ``None`` when none of them
    reported (nothing to compare: no ``yoy_jump``, no ``same_as_last_year``)."""
    olds = [previous_by_unit[c] for c in stand_ins.get(code, [code]) if c in previous_by_unit]
    return sum_reported(olds) if olds else None


@dataclass(frozen=True)
class UnitFigures:
    """What the flags of one unit are computed from."""

    code: str
    kind: str
    figures: FigureSource
    previous: FigureSource | None  # last cycle's (a merged unit: its predecessors' sum)
    checks: tuple[Check, ...] = ()


def flags_for(units: Sequence[UnitFigures], t: Thresholds = Thresholds()) -> list[Flag]:
    """Every flag of every unit, in unit order then kind: the one computation every door shows.

    ``units``: every submitting unit of the province (peers are compared across all of them).
    """
    by_unit: dict[str, list[Flag]] = {}  # only the units with a flag (a country: a few hundred)
    for u in units:
        found: list[Flag] = []
        if u.previous is not None:
            copied = same_as_last_year(u.code, u.figures, u.previous)
            found += [copied] if copied else yoy_jumps(u.code, u.figures, u.previous, t)
        if u.checks:
            found += rule_flags(u.code, u.figures, u.checks)
        if found:
            by_unit[u.code] = found
    for flag in peer_outliers({u.code: (u.kind, u.figures) for u in units}, t):
        by_unit.setdefault(flag.unit, []).append(flag)
    return [f for code in sorted(by_unit) for f in by_unit[code]]
