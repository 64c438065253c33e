"""Bảng điểm: the compilation as a workbook officials can sort, filter, sum and print.

Sheets: Xếp hạng (one row per unit: group subtotals, bonus, penalty, totals, band), Điểm chi tiết
(one column per criterion, the appraisal's changes), Số liệu (figures per unit with their rates),
Tổng hợp số liệu (this year, the previous year like for like, the change), Chưa nộp.

Every sheet has a title row, a bordered table with a header that filters and stays frozen with the
name column, widths that fit, and an A4 landscape print setup one page wide with the header
repeated (print titles). Number formats are stored as Excel stores them (``#,##0``, ``0.00%``):
a Vietnamese Excel shows them as ``29.264`` and ``70,41%``. Rates are stored truncated to two
decimals of a percent (SPEC §4.4), so the cell shows what the report says. Text is always written
as text: a name beginning with ``=`` stays a name, never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from danvan.rules.compilation import CompiledCycle, UnitInput, missing_band_label
from danvan.rules.domain import FIGURE_GROUPS
from danvan.rules.labels import (
    FIELD_LABELS,
    GROUP_LABELS,
    LEVEL_OF_KIND,
    RATE_LABELS,
    STATUS_LABELS,
)
from danvan.rules.report_sections import changes
from danvan.rules.text import format_decimal, truncate_percent

INT, SCORE, PERCENT = "#,##0", "0.00", "0.00%"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(name="Times New Roman", bold=True, size=11)
_BODY = Font(name="Times New Roman", size=11)
_TITLE = Font(name="Times New Roman", bold=True, size=14)
_WRAP_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
_WRAP_LEFT = Alignment(wrap_text=True, vertical="top")
_RATES = {  # rate key → (group, numerator, denominator)
    "admin_online": ("admin_procedures", "online", "received"),
    "admin_on_time": ("admin_procedures", "on_time", "resolved"),
    "mediation_success": ("mediation", "successful", "received"),
    "petitions_resolved": ("petitions", "resolved", "in_jurisdiction"),
}
_RATE_AFTER = {"admin_procedures": ("admin_online", "admin_on_time"),
               "mediation": ("mediation_success",), "petitions": ("petitions_resolved",)}  # fmt: skip


class Column:
    """One column: header, width, number format (None: text)."""

    def __init__(self, header: str, width: float, fmt: str | None = None) -> None:
        self.header, self.width, self.fmt = header, width, fmt


def _style(wb: Workbook, fmt: str | None) -> str:
    """One named style per kind of cell (set once, then by name: fast for 1,000 rows)."""
    name = f"danvan-{fmt or 'text'}"
    if name not in wb.named_styles:
        style = NamedStyle(name=name, font=_BODY, border=_BORDER)
        if fmt:
            style.number_format = fmt
        else:
            style.alignment = _WRAP_LEFT
        wb.add_named_style(style)
    return name


def _style_array(wb: Workbook, ws: Worksheet, fmt: str | None) -> StyleArray:
    """The named style's resolved array, copied onto each cell (no per-cell lookups)."""
    probe = ws.cell(ws.max_row + 50, 1)
    probe.style = _style(wb, fmt)
    array = copy(probe._style)
    ws._cells.pop((probe.row, probe.column), None)  # the probe leaves no trace
    return array


def rate(num: int, den: int) -> float | None:
    """A rate as a cell value: the percentage truncated to two decimals, as a fraction of 1."""
    if den == 0:
        return None
    return float(truncate_percent(Fraction(num, den)) / Decimal(100))


def _level(kind: str) -> str:
    return LEVEL_OF_KIND.get(kind, "Cấp tỉnh")


def _table(
    wb: Workbook, name: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence],
    *, freeze: str = "C3", bold_last: bool = False,
) -> Worksheet:  # fmt: skip
    """A titled, bordered, filterable table sheet, printed landscape one page wide."""
    ws = wb.create_sheet(name)
    ws.cell(1, 1, title).font = _TITLE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(columns)))
    ws.row_dimensions[1].height = 24
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(2, j)
        cell.value, cell.data_type = col.header, "s"
        cell.font, cell.alignment, cell.border, cell.fill = _BOLD, _WRAP_CENTER, _BORDER, _HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = col.width
    longest = max((len(c.header) / max(c.width, 1) for c in columns), default=1)
    ws.row_dimensions[2].height = 15 * min(6, max(2, int(longest) + 1))
    styles = [_style_array(wb, ws, col.fmt) for col in columns]
    text_style = _style_array(wb, ws, None)
    r = 2
    for r, values in enumerate(rows, start=3):
        for j, (style, value) in enumerate(zip(styles, values, strict=False), start=1):
            cell = ws.cell(r, j)
            if isinstance(value, str):
                cell.value, cell.data_type = value, "s"  # text stays text: never a formula
                cell._style = copy(text_style)
            else:
                cell.value = value
                cell._style = copy(style)
    if bold_last and r > 2:
        for cell in ws[r]:
            cell.font = _BOLD
    last = get_column_letter(max(1, len(columns)))
    ws.auto_filter.ref = f"A2:{last}{max(r, 2)}"
    ws.freeze_panes = freeze
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"
    return ws


_NOT_APPLICABLE = "Không áp dụng"


def _groups(c: CompiledCycle) -> list[str]:
    codes: dict[str, None] = {}
    for cs in c.criteria_by_kind.values():
        codes.update(dict.fromkeys(g.code for g in cs.groups))
    return list(codes)


def _subtotals(c: CompiledCycle, u: UnitInput, groups: Sequence[str]) -> list[float | str]:
    cs = c.criteria_for(u.kind)
    by_group = {g.code: [cr.code for cr in g.criteria] for g in (cs.groups if cs else ())}
    return [
        sum(u.final_scores.get(k, 0) for k in by_group[g]) if g in by_group else "" for g in groups
    ]


def _name_width(c: CompiledCycle) -> float:
    longest = max((len(c.display_name(u.code)) for u in c.units), default=20)
    return float(min(60, max(28, longest * 0.9)))


def _ranking_sheet(wb: Workbook, c: CompiledCycle) -> None:
    groups = _groups(c)
    columns = [
        Column("STT", 6), Column("Tên đơn vị", _name_width(c)), Column("Cấp", 11),
        *(Column(f"Nhóm {g}", 9, SCORE) for g in groups),
        Column("Điểm thưởng", 9, SCORE), Column("Điểm trừ", 9, SCORE),
        Column("Tổng điểm tự chấm", 11, SCORE), Column("Tổng điểm thẩm định", 11, SCORE),
        Column("Xếp loại", 12), Column("Số tiêu chí 0 điểm", 9, INT),
        Column("Tình trạng nộp", 11), Column("Số ngày trễ", 8, INT), Column("Mã đơn vị", 16),
    ]  # fmt: skip
    rows: list[list] = []
    for r in c.ranked:
        u = c.unit(r.unit)
        rows.append([r.rank, c.display_name(u.code), _level(u.kind), *_subtotals(c, u, groups),
                     u.final_bonus, u.final_penalty, u.self_total, r.total, r.band,
                     r.zero_criteria, STATUS_LABELS[u.status], u.days_late or None, u.code])  # fmt: skip
    for code in (m for m in c.summary["missing"] if m in c.direct):
        u = c.unit(code)
        rows.append([len(rows) + 1, c.display_name(code), _level(u.kind), *[""] * len(groups),
                     "", "", "", "", missing_band_label(c.missing_band(code)), "", STATUS_LABELS["missing"],
                     "", code])  # fmt: skip
    title = (
        f"KẾT QUẢ CHẤM ĐIỂM, XẾP LOẠI CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {c.year} — {c.compiler.name}"
    )
    _table(wb, "Xếp hạng", title, columns, rows)


def _detail_sheet(wb: Workbook, c: CompiledCycle) -> None:
    criteria: dict[str, str] = {}
    for cs in c.criteria_by_kind.values():
        for cr in cs.criteria:
            criteria.setdefault(cr.code, f"{cr.code}. {cr.name} (tối đa {format_decimal(cr.max)})")
    columns = [
        Column("Tên đơn vị", _name_width(c)),
        *(Column(label, 14, SCORE) for label in criteria.values()),
        Column("Điểm thưởng", 10, SCORE), Column("Điểm trừ", 10, SCORE),
        Column("Tổng điểm thẩm định", 11, SCORE), Column("Điều chỉnh khi thẩm định, tiêu chí không áp dụng", 45),
        Column("Mã đơn vị", 16),
    ]  # fmt: skip
    rows = []
    for u in sorted((u for u in c.units if u.submitted), key=lambda u: u.code):
        adjusted = "; ".join(
            f"{'Điểm thưởng' if t == 'bonus' else 'Điểm trừ' if t == 'penalty' else 'Tiêu chí ' + t}:"
            f" {format_decimal(old)} → {format_decimal(new)} ({reason})"
            for t, old, new, reason in changes(u)
        )
        not_applicable = "; ".join(
            f"Tiêu chí {k}: {_NOT_APPLICABLE.lower()} ({why})"
            for k, why in u.not_applicable.items()
            if k not in u.final_scores
        )
        note = "; ".join(x for x in (adjusted, not_applicable) if x)
        rows.append([c.display_name(u.code),
                     *(u.final_scores.get(k, _NOT_APPLICABLE if k in u.not_applicable else "")
                       for k in criteria),
                     u.final_bonus, u.final_penalty, u.final_total, note, u.code])  # fmt: skip
    _table(wb, "Điểm chi tiết", f"ĐIỂM THẨM ĐỊNH THEO TIÊU CHÍ NĂM {c.year}", columns, rows,
           freeze="B3")  # fmt: skip


def _figure_columns() -> list[tuple[str, str | None, str | None]]:
    """(group, field, rate key) in reading order: a group's fields, then its rates."""
    cols: list[tuple[str, str | None, str | None]] = []
    for g, fields in FIGURE_GROUPS.items():
        cols += [(g, f, None) for f in fields]
        cols += [(g, None, k) for k in _RATE_AFTER.get(g, ())]
    return cols


def _figure_values(figs: dict, cols: Sequence[tuple[str, str | None, str | None]]) -> list:
    out: list = []
    for g, f, k in cols:
        if f is not None:
            out.append(int((figs.get(g) or {}).get(f, 0)))
        else:
            group, num, den = _RATES[k or ""]
            values = figs.get(group) or {}
            out.append(rate(int(values.get(num, 0)), int(values.get(den, 0))))
    return out


def _figures_sheet(wb: Workbook, c: CompiledCycle) -> None:
    cols = _figure_columns()
    columns = [
        Column("Tên đơn vị", _name_width(c)), Column("Cấp", 11),
        *(Column(f"{GROUP_LABELS[g]}: {FIELD_LABELS[g][f]}", 13, INT) if f
          else Column(RATE_LABELS[k or ""], 11, PERCENT) for g, f, k in cols),
    ]  # fmt: skip
    rows: list[list] = [
        [c.display_name(u.code), _level(u.kind), *_figure_values(u.figures or {}, cols)]
        for u in sorted((u for u in c.units if u.submitted), key=lambda u: u.code)
    ]
    rows.append(["Tổng cộng", "", *_figure_values(c.summary["figures"], cols)])
    _table(wb, "Số liệu", f"SỐ LIỆU CÁC ĐƠN VỊ NĂM {c.year}", columns, rows, bold_last=True)


def _comparison_sheet(wb: Workbook, c: CompiledCycle) -> None:
    now, before = c.summary["figures"], c.previous
    y = c.year
    py = c.previous_cycle_year or y - 1
    columns = [
        Column("Nhóm", 58), Column("Chỉ tiêu", 42), Column(f"Năm {y}", 14, INT),
        Column(f"Năm {py} (cùng đơn vị)", 16, INT), Column("Tăng (+), giảm (−)", 14, INT),
    ]  # fmt: skip
    rows: list[list] = []
    for g, fields in FIGURE_GROUPS.items():
        for f in fields:
            prev = None if before is None else before[g][f]
            diff = None if prev is None else now[g][f] - prev
            rows.append([GROUP_LABELS[g], FIELD_LABELS[g][f], now[g][f], prev, diff])
    for k, (g, num, den) in _RATES.items():
        prev_rate = None if before is None else rate(before[g][num], before[g][den])
        row = [GROUP_LABELS[g], RATE_LABELS[k], rate(now[g][num], now[g][den]), prev_rate, None]
        rows.append(row)
    ws = _table(wb, "Tổng hợp số liệu",
                f"TỔNG HỢP SỐ LIỆU NĂM {y} SO VỚI CÙNG KỲ NĂM {py}", columns, rows)  # fmt: skip
    for r in range(3 + len(rows) - len(_RATES), 3 + len(rows)):
        for j in (3, 4):
            ws.cell(r, j).number_format = PERCENT
    note = ws.cell(ws.max_row + 2, 1)
    missing = len(c.summary["missing"])
    note.value = (
        f"Cùng kỳ năm {py} tính trên chính các đơn vị đã nộp năm {y}"
        + (f"; chưa có số liệu của {missing} đơn vị chưa nộp." if missing else ".")
        if before is not None
        else f"Không có kỳ đánh giá năm {y - 1} để so sánh."
    )
    note.data_type, note.font = "s", _BODY


def write_score_workbook(data: CompiledCycle, path: Path) -> None:
    """Write ``bang-diem-<code>-<year>.xlsx`` (the path is the caller's choice)."""
    wb = Workbook()
    wb.remove(wb.active)
    _ranking_sheet(wb, data)
    _detail_sheet(wb, data)
    _figures_sheet(wb, data)
    _comparison_sheet(wb, data)
    missing = [data.unit(code) for code in data.summary["missing"]]
    _table(wb, "Chưa nộp", f"CÁC ĐƠN VỊ CHƯA NỘP BÁO CÁO NĂM {data.year}",
           [Column("STT", 6), Column("Tên đơn vị", _name_width(data)), Column("Cấp", 12),
            Column("Mã đơn vị", 18)],
           ([i, data.display_name(u.code), _level(u.kind), u.code]
            for i, u in enumerate(missing, start=1)), freeze="A3")  # fmt: skip
    wb.properties.creator = data.compiler.name
    wb.properties.title = f"Bảng điểm công tác dân vận chính quyền năm {data.year}"
    wb.save(path)
