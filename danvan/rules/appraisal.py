"""Thẩm định: a compiler's adjustment of its units' scores (SPEC §3.5).

Each line changes one thing — a criterion's score, the bonus or the penalty — and must say why:
the reason is what the unit will read. A compiler may adjust only the units it compiles,
directly or below (its subtree without itself); the province may adjust any unit. The same
target written twice for one unit in one file is refused: which line should win is not obvious.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import Adjustment, Appraisal, CriteriaSet, OrgUnit
from danvan.rules.errors import Problems
from danvan.rules.org import is_below

_LINE = ("unit", "reason", "criterion", "score", "bonus", "penalty")


def parse_appraisal(doc: object, file: str) -> Appraisal:
    """Read the file's shape: every line names a unit, a reason and exactly one change."""
    p = Problems()
    top = f.mapping(doc, "", p)
    p.raise_if_any(file)
    assert top is not None
    f.unknown_keys(top, ("year", "by", "adjustments"), "", p)
    year = f.year(top.get("year"), "year", p)
    by = f.code_field(top, "by", "by", p)
    raw = top.get("adjustments")
    items = f.sequence(raw, "adjustments", p) if raw is not None else []
    if not items and not p:
        p.add("missing_field", "adjustments", "Chưa có nội dung điều chỉnh nào.")
    lines = [a for i, item in enumerate(items or []) if (a := _line(item, i, p)) is not None]
    p.raise_if_any(file)
    assert year and by
    return Appraisal(year=year, by=by, adjustments=tuple(lines))


def _line(item: object, i: int, p: Problems) -> Adjustment | None:
    at = f"adjustments[{i}]"
    before = len(p.items)
    m = f.mapping(item, at, p)
    if m is None:
        return None
    f.unknown_keys(m, _LINE, at, p)
    unit = f.code_field(m, "unit", f"{at}.unit", p)
    reason = f.text(m, "reason", f"{at}.reason", p)
    criterion = f.code_field(m, "criterion", f"{at}.criterion", p, required=False)
    values = {k: _value(m, k, f"{at}.{k}", p) for k in ("score", "bonus", "penalty")}
    changes = [k for k in ("score", "bonus", "penalty") if k in m]
    if criterion is not None and "score" not in m:
        p.add("missing_field", f"{at}.score", "Có tiêu chí nhưng thiếu điểm điều chỉnh.")
    elif "score" in m and criterion is None and "criterion" not in m:
        p.add("missing_field", f"{at}.criterion", "Có điểm nhưng thiếu mã tiêu chí.")
    elif not changes:
        p.add("adjustment_empty", at, "Cần ghi một trong: criterion + score, bonus, penalty.")
    elif len(changes) > 1:
        p.add(
            "adjustment_ambiguous",
            at,
            "Mỗi dòng chỉ điều chỉnh một mục: criterion + score, hoặc bonus, hoặc penalty.",
        )
    if unit is None or reason is None or len(p.items) > before:
        return None
    return Adjustment(unit=unit, reason=reason, criterion=criterion, **values)


def _value(m: Mapping[str, Any], key: str, field: str, p: Problems) -> float | None:
    if key not in m:
        return None
    n = f.number(m[key])
    if n is None:
        p.add("score_not_number", field, f"Điểm phải là số, không phải {m[key]!r}.")
    return n


def check_appraisal(
    appraisal: Appraisal,
    *,
    by_unit: OrgUnit | None,
    units: Mapping[str, OrgUnit],
    criteria_for_unit: Callable[[str], CriteriaSet],
    cycle_year: int | None = None,
) -> None:
    """Who may adjust what, and whether each new value fits the unit's criteria set."""
    p = Problems()
    if cycle_year is not None and appraisal.year != cycle_year:
        p.add("wrong_year", "year", f"Năm {appraisal.year} không phải năm của kỳ ({cycle_year}).")
    if by_unit is None:
        p.add("unknown_unit", "by", f"Không có đơn vị mã “{appraisal.by}”.")
    elif not by_unit.compiles:
        p.add("not_a_compiler", "by", f"“{by_unit.name}” không phải đơn vị tổng hợp, xếp loại.")
    seen: set[tuple[str, str]] = set()
    for i, adj in enumerate(appraisal.adjustments):
        at = f"adjustments[{i}]"
        unit = units.get(adj.unit)
        if unit is None:
            p.add("unknown_unit", f"{at}.unit", f"Không có đơn vị mã “{adj.unit}”.")
            continue
        if by_unit is not None and by_unit.compiles and not _in_scope(by_unit, adj.unit, units):
            p.add(
                "outside_scope",
                f"{at}.unit",
                f"“{by_unit.name}” không tổng hợp, xếp loại “{unit.name}”.",
            )
        if not unit.assessed:
            p.add("unit_not_assessed", f"{at}.unit", f"“{unit.name}” không thuộc diện đánh giá.")
            continue
        if (adj.unit, adj.target) in seen:
            p.add("adjustment_duplicated", at, "Cùng một mục của đơn vị được điều chỉnh hai lần.")
        seen.add((adj.unit, adj.target))
        _check_value(adj, criteria_for_unit(adj.unit), at, p)
    p.raise_if_any()


def _in_scope(by_unit: OrgUnit, code: str, units: Mapping[str, OrgUnit]) -> bool:
    return by_unit.kind == "province" or is_below(units, code, by_unit.code)


def _check_value(adj: Adjustment, cs: CriteriaSet, at: str, p: Problems) -> None:
    if adj.criterion is not None:
        known = {c.code: c.max for c in cs.criteria}
        if adj.criterion not in known:
            p.add(
                "unknown_criterion",
                f"{at}.criterion",
                f"Tiêu chí “{adj.criterion}” không có trong bộ tiêu chí {cs.code}.",
            )
            return
        field, most, code = f"{at}.score", known[adj.criterion], "score_out_of_range"
    elif adj.bonus is not None:
        field, most, code = f"{at}.bonus", cs.bonus_max, "bonus_out_of_range"
    else:
        field, most, code = f"{at}.penalty", cs.penalty_max, "penalty_out_of_range"
    value = adj.value
    if not 0 <= value <= most:
        p.add(code, field, f"Điểm {f.num(value)} ngoài khoảng 0 đến {f.num(most)}.")
    elif not f.on_step(value):
        p.add("score_off_step", field, f"Điểm {f.num(value)} phải chấm theo bước 0,25.")
