"""Bảng điểm: the compilation as a workbook officials can sort, filter, sum and print.

Sheets: Xếp hạng (one row per unit: group subtotals, bonus, penalty, totals, band), Điểm chi tiết
(one block per criteria set: each unit under its own set's criteria and maxima, the appraisal's
changes and how N/A criteria counted), Số liệu (figures per unit with their rates), Tổng hợp số
liệu (this year, the previous year like for like, the change), Chưa nộp.

Written in write-only mode with named styles (danvan.reports.xlsx_sheet). Number formats are
stored as Excel stores them (``#,##0``, ``0.00%``): a Vietnamese Excel shows them as ``29.264``
and ``70,41%``. Rates are stored truncated to two decimals of a percent (SPEC §4.4), so the cell
shows what the report says.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook

from danvan.reports.xlsx_detail import detail_sheet, name_width
from danvan.reports.xlsx_sheet import (
    INT,
    PERCENT,
    SCORE,
    SIGNED,
    Column,
    Formatted,
    register_styles,
    table_sheet,
)
from danvan.rules.aggregate import reported_groups
from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import FIGURE_GROUPS
from danvan.rules.labels import (
    FIELD_LABELS,
    GROUP_LABELS,
    LEVEL_OF_KIND,
    RATE_LABELS,
    STATUS_LABELS,
)
from danvan.rules.score_table import (
    GroupColumn,
    band_label,
    group_columns,
    group_value,
    missing_band_label,
    unit_groups,
)
from danvan.rules.text import truncate_percent

_RATES = {  # rate key → (group, numerator, denominator)
    "admin_online": ("admin_procedures", "online", "received"),
    "admin_on_time": ("admin_procedures", "on_time", "resolved"),
    "mediation_success": ("mediation", "successful", "received"),
    "petitions_resolved": ("petitions", "resolved", "in_jurisdiction"),
}
_RATE_AFTER = {"admin_procedures": ("admin_online", "admin_on_time"),
               "mediation": ("mediation_success",), "petitions": ("petitions_resolved",)}  # fmt: skip


def rate(num: int, den: int) -> float | None:
    """A rate as a cell value: the percentage truncated to two decimals, as a fraction of 1."""
    if den == 0:
        return None
    return float(truncate_percent(Fraction(num, den)) / Decimal(100))


def _level(kind: str) -> str:
    return LEVEL_OF_KIND.get(kind, "Cấp tỉnh")


def _group_cells(c: CompiledCycle, u: UnitInput, cols: Sequence[GroupColumn]) -> list[object]:
    """A unit's group cells: points, or a truncated share of its own maximum (see score_table)."""
    groups = unit_groups(c, u)
    out: list[object] = []
    for col in cols:
        value = group_value(col, groups.get(col.code))
        if value is None:
            out.append("–")
        elif isinstance(value, Fraction):
            out.append(Formatted(float(truncate_percent(value) / Decimal(100)), PERCENT))
        else:
            out.append(value)
    return out


def _ranking_sheet(wb: Workbook, c: CompiledCycle) -> None:
    groups = group_columns(c)
    columns = [
        Column("STT", 5), Column("Tên đơn vị", min(name_width(c), 36)), Column("Cấp", 9),
        *(Column(g.header, 9, SCORE) for g in groups),
        Column("Điểm thưởng", 8, SCORE), Column("Điểm trừ", 8, SCORE),
        Column("Tổng điểm tự chấm", 10, SCORE), Column("Tổng điểm thẩm định", 10, SCORE),
        Column("Xếp loại", 10), Column("Số tiêu chí 0 điểm", 8, INT),
        Column("Tình trạng nộp", 9), Column("Số ngày trễ", 7, INT), Column("Mã đơn vị", 13),
    ]  # fmt: skip
    rows: list[list] = []
    for r in c.ranked:
        u = c.unit(r.unit)
        rows.append([r.rank, c.display_name(u.code), _level(u.kind), *_group_cells(c, u, groups),
                     u.final_bonus, u.final_penalty, u.self_total, r.total, band_label(c, r.unit, r.band),
                     r.zero_criteria, STATUS_LABELS[u.status], u.days_late or None, u.code])  # fmt: skip
    for code in (m for m in c.summary["missing"] if m in c.direct):
        u = c.unit(code)
        rows.append([len(rows) + 1, c.display_name(code), _level(u.kind), *[""] * len(groups),
                     "", "", "", "", missing_band_label(c.missing_band(code)), "", STATUS_LABELS["missing"],
                     "", code])  # fmt: skip
    title = (
        f"KẾT QUẢ CHẤM ĐIỂM, XẾP LOẠI CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {c.year} — {c.compiler.name}"
    )
    table_sheet(wb, "Xếp hạng", title, columns, rows)


def _figure_columns() -> list[tuple[str, str | None, str | None]]:
    """(group, field, rate key) in reading order: a group's fields, then its rates."""
    cols: list[tuple[str, str | None, str | None]] = []
    for g, fields in FIGURE_GROUPS.items():
        cols += [(g, f, None) for f in fields]
        cols += [(g, None, k) for k in _RATE_AFTER.get(g, ())]
    return cols


#: A cell of a figure group the unit (or every unit) did not report: never a 0 (issue 17).
NOT_GIVEN = "chưa báo cáo"


def _figure_values(
    figs: dict, cols: Sequence[tuple[str, str | None, str | None]], given: Collection[str]
) -> list:
    out: list = []
    for g, f, k in cols:
        if (_RATES[k][0] if k else g) not in given:
            out.append(NOT_GIVEN)
        elif f is not None:
            out.append(int((figs.get(g) or {}).get(f, 0)))
        else:
            group, num, den = _RATES[k or ""]
            values = figs.get(group) or {}
            out.append(rate(int(values.get(num, 0)), int(values.get(den, 0))))
    return out


def _figures_sheet(wb: Workbook, c: CompiledCycle) -> None:
    cols = _figure_columns()
    columns = [
        Column("Tên đơn vị", name_width(c)), Column("Cấp", 11),
        *(Column(f"{GROUP_LABELS[g]}: {FIELD_LABELS[g][f]}", 13, INT) if f
          else Column(RATE_LABELS[k or ""], 11, PERCENT) for g, f, k in cols),
    ]  # fmt: skip
    rows: list[list] = [
        [c.display_name(u.code), _level(u.kind),
         *_figure_values(u.figures or {}, cols, reported_groups(u.figures))]
        for u in sorted((u for u in c.units if u.submitted), key=lambda u: u.code)
    ]  # fmt: skip
    given = [g for g in FIGURE_GROUPS if c.reported(g)]
    rows.append(["Tổng cộng", "", *_figure_values(c.summary["figures"], cols, given)])
    table_sheet(wb, "Số liệu", f"SỐ LIỆU CÁC ĐƠN VỊ NĂM {c.year}", columns, rows, bold_last=True,
                repeat_cols="A:A")  # fmt: skip


def _comparison_sheet(wb: Workbook, c: CompiledCycle) -> None:
    now, before = c.summary["figures"], c.previous
    y = c.year
    py = c.previous_cycle_year or y - 1
    columns = [
        Column("Nhóm", 58), Column("Chỉ tiêu", 42), Column(f"Năm {y}", 14, INT),
        Column(f"Năm {py} (cùng đơn vị)", 16, INT), Column("Tăng (+), giảm (−)", 14, SIGNED),
    ]  # fmt: skip
    rows: list[list] = []
    for g, fields in FIGURE_GROUPS.items():
        has, had = c.reported(g), before is not None and c.reported(g, previous=True)
        for f in fields:
            this = now[g][f] if has else NOT_GIVEN
            prev = None if before is None else before[g][f] if had else NOT_GIVEN
            diff = now[g][f] - before[g][f] if has and had and before is not None else None
            rows.append([GROUP_LABELS[g], FIELD_LABELS[g][f], this, prev, diff])
    for k, (g, num, den) in _RATES.items():
        has, had = c.reported(g), before is not None and c.reported(g, previous=True)
        prev_rate = rate(before[g][num], before[g][den]) if had and before is not None else None
        now_rate = rate(now[g][num], now[g][den])
        rows.append([GROUP_LABELS[g], RATE_LABELS[k],
                     Formatted(now_rate, PERCENT) if has else NOT_GIVEN,
                     Formatted(prev_rate, PERCENT) if had or before is None else NOT_GIVEN,
                     None])  # fmt: skip
    missing = len(c.summary["missing"])
    note = (
        f"Cùng kỳ năm {py} tính trên chính các đơn vị đã nộp năm {y}"
        + (f"; chưa có số liệu của {missing} đơn vị chưa nộp." if missing else ".")
        if before is not None
        else f"Không có kỳ đánh giá năm {y - 1} để so sánh."
    )
    table_sheet(wb, "Tổng hợp số liệu", f"TỔNG HỢP SỐ LIỆU NĂM {y} SO VỚI CÙNG KỲ NĂM {py}",
                columns, rows, notes=[note])  # fmt: skip


def write_score_workbook(data: CompiledCycle, path: Path) -> None:
    """Write ``bang-diem-<code>-<year>.xlsx`` (the path is the caller's choice)."""
    wb = Workbook(write_only=True)
    register_styles(wb)
    _ranking_sheet(wb, data)
    detail_sheet(wb, data)
    _figures_sheet(wb, data)
    _comparison_sheet(wb, data)
    missing = [data.unit(code) for code in data.summary["missing"]]
    table_sheet(wb, "Chưa nộp", f"CÁC ĐƠN VỊ CHƯA NỘP BÁO CÁO NĂM {data.year}",
           [Column("STT", 6), Column("Tên đơn vị", name_width(data)), Column("Cấp", 12),
            Column("Mã đơn vị", 18)],
           ([i, data.display_name(u.code), _level(u.kind), u.code]
            for i, u in enumerate(missing, start=1)), freeze="A3", repeat_cols="A:B")  # fmt: skip
    wb.properties.creator = data.compiler.name
    wb.properties.title = f"Bảng điểm công tác dân vận chính quyền năm {data.year}"
    wb.save(path)
