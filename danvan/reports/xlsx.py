"""Bảng điểm: the compilation as a workbook officials can sort, filter and sum.

Sheets: Xếp hạng, Điểm chi tiết (self vs final per criterion, with the appraisal reasons),
Số liệu (figures per unit, then the totals), Chưa nộp. Numbers are stored as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import FIGURE_GROUPS, KIND_LABELS
from danvan.rules.labels import FIELD_LABELS, GROUP_LABELS, STATUS_LABELS, level_label

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _level(kind: str) -> str:
    return level_label(KIND_LABELS.get(kind, kind))


def _sheet(
    wb: Workbook, title: str, header: Sequence[str], widths: Sequence[int], rows: Iterable[Sequence]
) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font, cell.alignment = _BOLD, _WRAP
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append(list(row))
    return ws


_NOT_APPLICABLE = "Không áp dụng"


def _ranking_rows(c: CompiledCycle) -> Iterable[Sequence]:
    for r in c.ranked:
        u = c.unit(r.unit)
        yield (r.rank, r.unit, u.name, _level(u.kind), u.self_total, r.total,
               r.band, r.zero_criteria, STATUS_LABELS[u.status], u.days_late)  # fmt: skip


def _detail_rows(c: CompiledCycle) -> Iterable[Sequence]:
    for u in sorted((u for u in c.units if u.submitted), key=lambda u: u.code):
        criteria = c.criteria_for(u.kind)
        names = (
            {cr.code: (cr.group, cr.name, cr.max) for cr in criteria.criteria} if criteria else {}
        )
        for code, own in u.self_scores.items():
            group, name, top = names.get(code, ("", "", None))
            yield (u.code, u.name, group, code, name, top, own, u.final_scores.get(code, own),
                   u.reasons.get(code, ""))  # fmt: skip
        for code, why in u.not_applicable.items():  # tiêu chí không áp dụng, with the unit's reason
            if code not in u.self_scores:
                group, name, top = names.get(code, ("", "", None))
                final = u.final_scores.get(code, _NOT_APPLICABLE)
                yield (u.code, u.name, group, code, name, top, _NOT_APPLICABLE, final,
                       u.reasons.get(code, why))  # fmt: skip
        for target, label, own, final in (
            ("bonus", "Điểm thưởng", u.self_bonus, u.final_bonus),
            ("penalty", "Điểm trừ", u.self_penalty, u.final_penalty),
        ):
            top = (
                (criteria.bonus_max if target == "bonus" else criteria.penalty_max)
                if criteria
                else None
            )
            yield (u.code, u.name, "", target, label, top, own, final, u.reasons.get(target, ""))


def _figure_columns() -> list[tuple[str, str]]:
    return [(g, f) for g, fields in FIGURE_GROUPS.items() for f in fields]


def _figure_rows(c: CompiledCycle, columns: list[tuple[str, str]]) -> Iterable[Sequence]:
    units: list[UnitInput] = sorted((u for u in c.units if u.submitted), key=lambda u: u.code)
    for u in units:
        figs = u.figures or {}
        values = [int((figs.get(g) or {}).get(f, 0)) for g, f in columns]
        yield (u.code, u.name, _level(u.kind), *values)
    total = c.summary["figures"]
    yield ("", "Tổng cộng", "", *(total[g][f] for g, f in columns))


def write_score_workbook(data: CompiledCycle, path: Path) -> None:
    """Write ``bang-diem-<code>-<year>.xlsx`` (the path is the caller's choice)."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Xếp hạng",
           ("Xếp hạng", "Mã đơn vị", "Tên đơn vị", "Cấp", "Điểm tự chấm", "Điểm thẩm định",
            "Xếp loại", "Số tiêu chí 0 điểm", "Tình trạng nộp", "Số ngày trễ"),
           (10, 18, 45, 18, 14, 16, 14, 12, 14, 12), _ranking_rows(data))  # fmt: skip
    _sheet(wb, "Điểm chi tiết",
           ("Mã đơn vị", "Tên đơn vị", "Nhóm", "Tiêu chí", "Nội dung tiêu chí", "Điểm tối đa",
            "Tự chấm", "Thẩm định", "Lý do điều chỉnh"),
           (18, 40, 8, 10, 50, 12, 10, 11, 45), _detail_rows(data))  # fmt: skip
    columns = _figure_columns()
    header = ["Mã đơn vị", "Tên đơn vị", "Cấp"] + [
        f"{GROUP_LABELS[g]}: {FIELD_LABELS[g][f]}" for g, f in columns
    ]
    ws = _sheet(
        wb, "Số liệu", header, (18, 40, 18, *[16] * len(columns)), _figure_rows(data, columns)
    )
    ws.row_dimensions[1].height = 75
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
    missing = (data.unit(code) for code in data.summary["missing"])
    _sheet(wb, "Chưa nộp", ("Mã đơn vị", "Tên đơn vị", "Cấp"), (18, 45, 18),
           ((u.code, u.name, _level(u.kind)) for u in missing))  # fmt: skip
    wb.save(path)
