"""Thẩm định: a compiler's adjustment of its units' scores (SPEC §3.5).

Each line changes one thing — a criterion's score, the bonus or the penalty — and must say why:
the reason is what the unit will read. Who may act: an active compiler, on the active units it
compiles, directly or below (its subtree without itself), until its own deadline — a district
until ``district_compilation`` (or the date the province reopened it to), the province until
publication. The same target written twice for one unit in one file is refused: which line
should win is not obvious.

Which adjustment counts (``effective``): the one of the highest level — the province's word
stands over a district's, whenever each was written — and the latest at that level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import Adjustment, Appraisal, CriteriaSet, OrgUnit
from danvan.rules.errors import Problems
from danvan.rules.org import is_below
from danvan.rules.text import format_date_short

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


@dataclass(frozen=True)
class Recorded:
    """An adjustment as kept: its target, value, who made it (``level``: the depth of the
    appraising compiler in the tree, 0 for the province) and its place in time."""

    target: str
    value: float
    reason: str
    level: int
    recorded_at: datetime
    seq: int = 0  # the order of recording, for two adjustments at one instant


def effective(records: Iterable[Recorded]) -> dict[str, Recorded]:
    """Per target, the adjustment that counts: the highest level's, the latest at that level.

    A district's appraisal written after the province's does not undo the province's.
    """
    best: dict[str, Recorded] = {}
    for r in records:
        cur = best.get(r.target)
        if cur is None or _rank(r) > _rank(cur):
            best[r.target] = r
    return best


def _rank(r: Recorded) -> tuple[int, datetime, int]:
    return (-r.level, r.recorded_at, r.seq)


def acts_until(
    by_unit: OrgUnit, *, district_deadline: date, reopened_until: date | None = None
) -> date | None:
    """The last day a compiler may appraise; ``None``: until publication (the province)."""
    if by_unit.kind == "province":
        return None
    if reopened_until is not None and reopened_until > district_deadline:
        return reopened_until
    return district_deadline


def check_appraisal(
    appraisal: Appraisal,
    *,
    by_unit: OrgUnit | None,
    units: Mapping[str, OrgUnit],
    criteria_for_unit: Callable[[str], CriteriaSet],
    cycle_year: int | None = None,
    on: date | None = None,
    until: date | None = None,
) -> None:
    """Who may adjust what, and whether each new value fits the unit's criteria set.

    ``on`` is the local date of the appraisal and ``until`` the appraising compiler's last day
    (``acts_until``); without ``on`` no deadline is checked.
    """
    p = Problems()
    if cycle_year is not None and appraisal.year != cycle_year:
        p.add("wrong_year", "year", f"Năm {appraisal.year} không phải năm của kỳ ({cycle_year}).")
    may_act = False
    if by_unit is None:
        p.add("unknown_unit", "by", f"Không có đơn vị mã “{appraisal.by}”.")
    elif not by_unit.compiles:
        p.add("not_a_compiler", "by", f"“{by_unit.name}” không phải đơn vị tổng hợp, xếp loại.")
    elif not by_unit.active:
        p.add("unit_inactive", "by", f"“{by_unit.name}” không còn hoạt động.")
    elif on is not None and until is not None and on > until:
        p.add(
            "appraisal_closed",
            "by",
            f"“{by_unit.name}” chỉ được thẩm định đến hết {format_date_short(until)}; "
            "cần UBND tỉnh gia hạn (danvan reopen).",
        )
    else:
        may_act = True
    seen: set[tuple[str, str]] = set()
    for i, adj in enumerate(appraisal.adjustments):
        at = f"adjustments[{i}]"
        unit = units.get(adj.unit)
        if unit is None:
            p.add("unknown_unit", f"{at}.unit", f"Không có đơn vị mã “{adj.unit}”.")
            continue
        if not unit.active:
            p.add("unit_inactive", f"{at}.unit", f"“{unit.name}” không còn hoạt động.")
            continue
        if may_act and by_unit is not None and not is_below(units, adj.unit, by_unit.code):
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
