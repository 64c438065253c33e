"""Tổng hợp, xếp loại: a compiler's compilation as a value (SPEC §4.4 ``summary.json``).

Loading from the database and writing files happen elsewhere; here the inputs are plain values
(one :class:`UnitInput` per assessed unit of the compiler's subtree) and the output is the
``summary.json`` document, built in a fixed order so that :func:`dumps_summary` is reproducible
byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from danvan.rules import scoring
from danvan.rules.aggregate import FigureSource, by_kind, rates, sum_figures, unreported
from danvan.rules.compilation_rank import (
    band_order,
    missing_bands,
    quota_counts,
    rank_direct,
)
from danvan.rules.domain import NOT_RANKED, CriteriaSet, Figures, OrgUnit
from danvan.rules.quota import final_moves
from danvan.rules.ranking import RankedUnit, band_counts


@dataclass(frozen=True)
class UnitInput:
    """One assessed unit as a compilation sees it: standing, final scores and figures.

    ``figures`` is None for a missing unit. ``reasons`` maps an adjusted target (criterion code,
    ``bonus`` or ``penalty``) to the reason of its latest adjustment (thẩm định).
    """

    code: str
    name: str
    kind: str
    status: str  # on_time | late | missing
    days_late: int | None = None
    submitted_at: datetime | None = None  # of the latest version, the one that counts
    self_total: float | None = None
    final_total: float | None = None
    band: str | None = None
    zero_criteria: int = 0
    figures: Figures | None = None
    self_scores: Mapping[str, float] = field(default_factory=dict)
    final_scores: Mapping[str, float] = field(default_factory=dict)
    self_bonus: float = 0
    self_penalty: float = 0
    final_bonus: float = 0
    final_penalty: float = 0
    reasons: Mapping[str, str] = field(default_factory=dict)
    not_applicable: Mapping[str, str] = field(default_factory=dict)  # criterion → reason
    rules: tuple[str, ...] = ()  # band rules that changed its band (quota: see the ranking)
    revise_by: date | None = None  # set while returned for revision (đang bổ sung)
    return_reason: str | None = None
    warnings: tuple[Mapping[str, str], ...] = ()

    @property
    def revising(self) -> bool:
        return self.revise_by is not None

    @property
    def submitted(self) -> bool:
        return self.status != "missing"

    @property
    def adjusted(self) -> bool:
        """True when the appraisal changed anything (a reason is recorded for every change)."""
        return bool(self.reasons)


def assess_unit(
    *,
    unit: OrgUnit,
    criteria: CriteriaSet,
    status: str,
    submitted_at: datetime | None = None,
    days_late: int | None = None,
    scores: Mapping[str, float] | None = None,
    bonus: float = 0,
    penalty: float = 0,
    figures: Figures | None = None,
    adjustments: Mapping[str, tuple[float, str]] | None = None,
    not_applicable: Mapping[str, str] | None = None,
    revise_by: date | None = None,
    return_reason: str | None = None,
    warnings: Sequence[Mapping[str, str]] = (),
) -> UnitInput:
    """Build a UnitInput from the latest submission and the latest adjustment per target.

    Keeps the scoring rules in one place (scoring.final_scores/unit_total/decide_band) so that the
    loader never re-implements them. ``adjustments`` maps target → (value, reason).
    ``not_applicable``: criteria the unit marked N/A (an adjusted one is scored again).
    """
    if status == "missing" or scores is None:
        return UnitInput(code=unit.code, name=unit.name, kind=unit.kind, status="missing")
    adj = adjustments or {}
    na = dict(not_applicable or {})
    a = scoring.assess(
        criteria, unit.kind, scores, bonus, penalty, {t: v for t, (v, _) in adj.items()}, na,
        days_late,
    )  # fmt: skip
    return UnitInput(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        status=status,
        days_late=days_late,
        submitted_at=submitted_at,
        self_total=a.self_total,
        final_total=a.final_total,
        band=a.decision.band,
        zero_criteria=a.zero_criteria,
        figures=figures,
        self_scores=dict(scores),
        final_scores=a.final_scores,
        self_bonus=bonus,
        self_penalty=penalty,
        final_bonus=a.final_bonus,
        final_penalty=a.final_penalty,
        reasons={t: r for t, (_, r) in adj.items()},
        not_applicable=na,
        rules=a.decision.rules,
        revise_by=revise_by,
        return_reason=return_reason,
        warnings=tuple(warnings),
    )


def rates_json(values: Mapping[str, Fraction | None]) -> dict[str, float | None]:
    """Exact fractions → JSON numbers: the closest double to n/d (never rounded to a few places).

    The exact numerator and denominator are the summed figures next to them in the document.
    """
    return {k: (None if v is None else v.numerator / v.denominator) for k, v in values.items()}


def _check_unique(units: Sequence[UnitInput]) -> None:
    seen: set[str] = set()
    for u in units:
        if u.code in seen:
            raise ValueError(f"{u.code}: a unit is counted once per compilation")
        seen.add(u.code)


def build_summary(
    *,
    compiler: OrgUnit,
    cycle_year: int,
    units: Sequence[UnitInput],
    direct: Collection[str],
    previous: Iterable[FigureSource] | None,
    criteria_by_kind: Mapping[str, CriteriaSet] | None = None,
    previous_unreported: Sequence[str] = (),
) -> dict[str, Any]:
    """SPEC §4.4 ``summary.json``.

    ``units``: the assessed units of the compiler's subtree (the compiler too when assessed);
    counts, figures and by_kind are over them. ``direct``: codes the compiler compiles directly;
    the ranking and band counts are over those that submitted. ``previous``: last year's figures
    of the same subtree (one dict per unit), or None when there is no previous cycle;
    ``previous_unreported``: the groups none of those units gave last year. A group nobody
    reported is summed as 0 but named in ``not_reported`` (issue 17), so that no output states
    a 0 nobody gave or compares with one.
    """
    _check_unique(units)
    submitted = [u for u in units if u.submitted]
    quotas = quota_counts(compiler, units, direct, criteria_by_kind)
    ranked = rank_direct(units, direct, criteria_by_kind, final_moves(quotas))
    unranked = missing_bands(units, direct, criteria_by_kind)
    counts = band_counts(ranked, band_order(criteria_by_kind))
    for _, band in unranked:
        if band != NOT_RANKED:
            counts[band] = counts.get(band, 0) + 1
    totals = sum_figures(u.figures or {} for u in submitted)
    not_reported = {
        "figures": unreported(u.figures for u in submitted),
        "previous_year": [] if previous is None else list(previous_unreported),
    }
    kinds = by_kind((u.kind, u.figures or {}) for u in units)
    return {
        "compiler": compiler.code,
        "cycle": cycle_year,
        "expected": len(units),
        "submitted": len(submitted),
        "on_time": sum(1 for u in units if u.status == "on_time"),
        "late": sum(1 for u in units if u.status == "late"),
        "missing": sorted(u.code for u in units if not u.submitted),
        "figures": totals,
        "rates": rates_json(rates(totals)),
        "by_kind": {kind: _kind_line(kind, figs, submitted) for kind, figs in kinds.items()},
        "ranking": [
            {
                "unit": r.unit,
                "total": r.total,
                "band": r.band,
                "rank": r.rank,
                "rules": list(r.rules),
            }
            for r in ranked
        ]
        + [
            {"unit": code, "total": None, "band": band, "rank": None, "rules": ["missing_band"]}
            for code, band in unranked
        ],
        "bands": counts,
        # only with a ``scope: province`` quota (rules/quota.py): other summaries are unchanged
        **({"top_band_quota": [q.as_json() for q in quotas]} if quotas else {}),
        "previous_year": None if previous is None else sum_figures(previous),
        # only when a group is not reported (a file's ``figures: {}``): other summaries unchanged
        **({"not_reported": not_reported} if any(not_reported.values()) else {}),
        "revising": [
            {"unit": u.code, "revise_by": u.revise_by.isoformat(), "reason": u.return_reason}
            for u in sorted(units, key=lambda u: u.code)
            if u.revise_by is not None
        ],
        "warnings": [
            {"unit": u.code, **w} for u in sorted(units, key=lambda u: u.code) for w in u.warnings
        ],
    }


def _kind_line(kind: str, figures: Figures, submitted: Sequence[UnitInput]) -> dict[str, Any]:
    """One kind's line of ``by_kind``: its sums, rates and, as at the top (issue 17), the groups
    none of its submitters gave (``not_reported.figures``, only when some): a kind's 0 there was
    given by nobody, so a reader of the line says *chưa báo cáo*, never 0."""
    missing = unreported(u.figures for u in submitted if u.kind == kind)
    line: dict[str, Any] = {"figures": figures, "rates": rates_json(rates(figures))}
    return {**line, "not_reported": {"figures": missing}} if missing else line


def previous_year(
    previous_by_unit: Mapping[str, FigureSource] | None,
    submitters: Iterable[str],
    stand_ins: Mapping[str, Sequence[str]] | None = None,
) -> Figures | None:
    """Last year's figures, like for like (SPEC §4.4): summed over this cycle's submitters only.

    A unit that has not reported yet must never read as a fall, so only the units whose figures
    are in this year's sums count. ``stand_ins`` maps a unit code to the codes whose previous-year
    figures count for it (a commune merged in 2025 stands on its predecessors' figures); a unit
    not in it stands for itself. Each previous-year unit counts once even when two successors name
    it. None when there is no previous cycle (``previous_by_unit`` is None).
    """
    if previous_by_unit is None:
        return None
    return sum_figures(previous_units(previous_by_unit, submitters, stand_ins))


def previous_units(
    previous_by_unit: Mapping[str, FigureSource],
    submitters: Iterable[str],
    stand_ins: Mapping[str, Sequence[str]] | None = None,
) -> list[FigureSource]:
    """The previous-year figures :func:`previous_year` sums, one per unit counted."""
    chosen: dict[str, None] = {}
    for code in submitters:
        for old in (stand_ins or {}).get(code, [code]):
            chosen.setdefault(old, None)
    return [previous_by_unit[c] for c in chosen if c in previous_by_unit]


def quota_moves(summary: Mapping[str, Any]) -> dict[str, str]:
    """The bands a ``summary.json`` says the province-wide count moved, unit → band."""
    return {
        u: q["lower"] for q in summary.get("top_band_quota", []) if q["final"] for u in q["moved"]
    }


def dumps_summary(summary: Mapping[str, Any]) -> str:
    """The summary as UTF-8 JSON text: same summary, same bytes (fixed key order, indent 2, \\n).

    Keys are not re-sorted: build_summary already emits them in a meaningful fixed order (SPEC's
    key order, FIGURE_GROUPS order, kinds in UNIT_KINDS order, bands best first, missing sorted).
    """
    return json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


@dataclass(frozen=True)
class CompiledCycle:
    """Everything the report, workbook and chart need: the inputs and the summary built from them."""

    compiler: OrgUnit
    year: int
    units: tuple[UnitInput, ...]
    direct: frozenset[str]
    criteria_by_kind: Mapping[str, CriteriaSet]
    previous: Figures | None
    summary: dict[str, Any]
    ranked: tuple[RankedUnit, ...]
    #: unit code → the district it belongs to (``huyện Bình Sơn``), for units under a district that
    #: appear in a higher compiler's lists: a commune is named with its district there.
    places: Mapping[str, str] = field(default_factory=dict)
    #: the year of the cycle ``previous`` comes from: the province's previous cycle, which after a
    #: gap (no 2024 cycle) is not ``year - 1``; None: none, or ``year - 1`` by default
    previous_cycle_year: int | None = None

    def display_name(self, code: str) -> str:
        """The unit's name as a list of this compiler reads it (``UBND xã X (huyện Y)``)."""
        name = self.unit(code).name
        place = self.places.get(code)
        return f"{name} ({place})" if place else name

    def unit(self, code: str) -> UnitInput:
        return self._by_code[code]

    @property
    def _by_code(self) -> dict[str, UnitInput]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {u.code: u for u in self.units}
            object.__setattr__(self, "_cache", cache)
        return cache

    def criteria_for(self, kind: str) -> CriteriaSet | None:
        return self.criteria_by_kind.get(kind) or self.criteria_by_kind.get("default")

    def missing_band(self, code: str) -> str:
        """The band of a directly compiled unit that never submitted, as ``summary.json`` has it:
        the set's ``missing_band`` or *không xếp loại*. Every output asks here (one story)."""
        for entry in self.summary["ranking"]:
            if entry["unit"] == code and entry["rank"] is None:
                return str(entry["band"])
        return NOT_RANKED

    def reported(self, group: str, *, previous: bool = False) -> bool:
        """Whether some unit counted gave ``group`` this year (or last, with ``previous``)."""
        key = "previous_year" if previous else "figures"
        return group not in self.summary.get("not_reported", {}).get(key, ())

    @property
    def quotas(self) -> list[dict[str, Any]]:
        """The ``scope: province`` quotas as ``summary.json`` has them (rules/quota.py)."""
        return list(self.summary.get("top_band_quota", []))

    @property
    def banded(self) -> int:
        """Units given a band: the ranked ones and those ``missing_band`` bands (SPEC §4.4)."""
        return sum(self.summary["bands"].values())


def compile_cycle(
    *,
    compiler: OrgUnit,
    cycle_year: int,
    units: Sequence[UnitInput],
    direct: Collection[str],
    previous: Mapping[str, FigureSource] | None,
    criteria_by_kind: Mapping[str, CriteriaSet],
    stand_ins: Mapping[str, Sequence[str]] | None = None,
    places: Mapping[str, str] | None = None,
    previous_cycle_year: int | None = None,
) -> CompiledCycle:
    """build_summary plus the inputs kept together, for the report, workbook and chart renderers.

    ``previous`` is last year's figures per unit code (None: no previous cycle); only this
    cycle's submitters count, through ``stand_ins`` (see :func:`previous_year`).
    """
    submitters = [u.code for u in units if u.submitted]
    prev = previous_year(previous, submitters, stand_ins)
    before = [] if previous is None else previous_units(previous, submitters, stand_ins)
    summary = build_summary(
        compiler=compiler,
        cycle_year=cycle_year,
        units=units,
        direct=direct,
        previous=None if prev is None else [prev],
        criteria_by_kind=criteria_by_kind,
        previous_unreported=unreported(before),
    )
    return CompiledCycle(
        compiler=compiler,
        year=cycle_year,
        units=tuple(units),
        direct=frozenset(direct),
        criteria_by_kind=dict(criteria_by_kind),
        previous=prev,
        summary=summary,
        ranked=tuple(rank_direct(units, direct, criteria_by_kind, quota_moves(summary))),
        places=dict(places or {}),
        previous_cycle_year=previous_cycle_year,
    )
