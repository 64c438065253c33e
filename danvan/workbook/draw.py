"""Mẫu tự đánh giá: write the workbook each assessed unit fills in (SPEC §3.4.1).

The layout is decided in :mod:`danvan.workbook.layout`; this module only draws it with
openpyxl. Drawing a workbook costs ~50 ms, so it is drawn once per criteria set with the
unit's code and name as placeholders, and each unit's copy is that zip with its shared
strings rewritten (~1 ms): 1,000 units take about a second.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from danvan.rules.domain import OrgUnit
from danvan.workbook import layout as layout_rules
from danvan.workbook.layout import (
    FIGURE_COL,
    FIGURE_HEADERS,
    GUIDE_FIRST_ROW,
    HEADER_ROW,
    SCORE_COL,
    SCORE_HEADERS,
    SHEET_FIGURES,
    SHEET_GUIDE,
    SHEET_IDENTITY,
    SHEET_SCORES,
    UNIT_CODE,
    UNIT_NAME,
    WorkbookLayout,
)

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_INPUT = PatternFill("solid", fgColor="FFF2CC")
_GROUP = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_OPEN = Protection(locked=False)
_SHARED = "xl/sharedStrings.xml"
_LINE = 15.0  # points per line of 11-pt text


def _fit(ws: Worksheet, row: int, texts: Iterable[tuple[str, float]]) -> None:
    """Give a wrapped row the height its longest text needs (readers do not compute it)."""
    lines = max((len(str(t)) / max(w * 1.05, 1) for t, w in texts if t), default=1)
    ws.row_dimensions[row].height = _LINE * max(1, int(lines) + (lines % 1 > 0))


def draw(layout: WorkbookLayout) -> bytes:
    """The workbook of ``layout`` with the unit left as placeholders (see :func:`for_unit`)."""
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = SHEET_GUIDE
    _guide(guide, layout)
    _scores(wb.create_sheet(SHEET_SCORES), layout)
    _figures(wb.create_sheet(SHEET_FIGURES), layout)
    ident = wb.create_sheet(SHEET_IDENTITY)
    for key, value in layout.identity:
        ident.append([key, value])
    ident.sheet_state = "hidden"
    ident.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _print_setup(ws: Worksheet, title_rows: str | None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws: Worksheet) -> None:
    """Locked but usable: people may still insert rows, resize and format."""
    ws.protection.sheet = True
    ws.protection.insertRows = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False


def _guide(ws: Worksheet, layout: WorkbookLayout) -> None:
    ws["A1"] = layout.title
    ws["A1"].font = _TITLE
    ws.merge_cells("A1:B1")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 80
    for i, (label, value) in enumerate(layout.guide):
        row = GUIDE_FIRST_ROW + i
        ws.cell(row, 1, label).font = _BOLD
        ws.cell(row, 1).alignment = _WRAP
        cell = ws.cell(row, 2, value)
        cell.alignment = _WRAP
        _fit(ws, row, [(value, 80)])
        if row in layout.input_rows:
            cell.fill, cell.protection, cell.border = _INPUT, _OPEN, _BOX
    row = GUIDE_FIRST_ROW + len(layout.guide) + 1
    label = ws.cell(row, 1, "Cách ghi và gửi lại")
    label.font, label.alignment = _BOLD, _WRAP
    for i, line in enumerate(layout.instructions):
        ws.cell(row + i, 2, line).alignment = _WRAP
        _fit(ws, row + i, [(line, 80)])
    _protect(ws)
    _print_setup(ws, None)


def _header(ws: Worksheet, layout: WorkbookLayout, names: tuple[str, ...], what: str) -> None:
    last = chr(64 + len(names))
    ws["A1"] = f"{what} NĂM {layout.year}"
    ws["A1"].font = _TITLE
    ws.merge_cells(f"A1:{last}1")
    ws["A2"] = f"Đơn vị: {UNIT_NAME} (mã {UNIT_CODE})"
    ws.merge_cells(f"A2:{last}2")
    for c, name in enumerate(names, start=1):
        cell = ws.cell(HEADER_ROW, c, name)
        cell.font, cell.alignment, cell.border, cell.fill = _BOLD, _CENTER, _BOX, _GROUP
    ws.freeze_panes = f"A{HEADER_ROW + 1}"


def _scores(ws: Worksheet, layout: WorkbookLayout) -> None:
    _header(ws, layout, SCORE_HEADERS, "BẢNG TỰ CHẤM ĐIỂM")
    for col, width in zip("ABCDEF", (7, 56, 10, 11, 10, 30), strict=True):
        ws.column_dimensions[col].width = width
    for r in layout.score_rows:
        cells = [ws.cell(r.row, c) for c in range(1, 7)]
        for cell in cells:
            cell.border, cell.alignment = _BOX, _WRAP
        cells[1].value = r.label
        _fit(ws, r.row, [(r.label, 56)])
        if r.kind == "group":
            for cell in cells:
                cell.fill, cell.font = _GROUP, _BOLD
            continue
        cells[2].value = r.max
        if r.kind == "criterion":
            cells[0].value = r.code
        if r.kind == "total":
            cells[3].value = layout.total_formula
            for cell in cells:
                cell.font = _BOLD
            continue
        cells[2].alignment = cells[3].alignment = _CENTER
        cells[3].number_format = "0.00"
        for cell in (cells[3], *(cells[4:] if r.kind == "criterion" else [])):
            cell.fill, cell.protection = _INPUT, _OPEN
    # One rule for every score cell: Excel has no "step" rule, so a formula checks 0..max (the
    # max is in column C) in quarters; it is relative to the top-left cell of the range.
    d = f"{SCORE_COL}{layout.score_rows[0].row}"
    c = f"C{layout.score_rows[0].row}"
    _validate(
        ws,
        f"{d}:{SCORE_COL}{layout.score_rows[-1].row - 1}",
        "Điểm từ 0 đến điểm tối đa, theo bước 0,25 (ví dụ 9,5).",
        type="custom",
        formula1=f"AND(ISNUMBER({d}),{d}>=0,{d}<={c},MOD({d}*4,1)=0)",
    )
    _protect(ws)
    _print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")


def _figures(ws: Worksheet, layout: WorkbookLayout) -> None:
    _header(ws, layout, FIGURE_HEADERS, "SỐ LIỆU CÔNG TÁC DÂN VẬN CHÍNH QUYỀN")
    for col, width in zip("ABCD", (18, 18, 52, 14), strict=True):
        ws.column_dimensions[col].width = width
    grey = Font(color="808080", size=9)
    for r in layout.figure_rows:
        cells = [ws.cell(r.row, c) for c in range(1, 5)]
        for cell in cells:
            cell.border, cell.alignment = _BOX, _WRAP
        cells[0].value, cells[2].value = r.group, r.label
        _fit(ws, r.row, [(r.label, 52)])
        if r.field is None:
            for cell in cells:
                cell.fill, cell.font = _GROUP, _BOLD
            continue
        cells[1].value = r.field
        cells[0].font = cells[1].font = grey
        cells[3].fill, cells[3].protection = _INPUT, _OPEN
        cells[3].number_format = "#,##0"
    first, last = layout.figure_rows[0].row, layout.figure_rows[-1].row
    _validate(
        ws,
        f"{FIGURE_COL}{first}:{FIGURE_COL}{last}",
        "Ghi số nguyên từ 0 trở lên, không dấu chấm, dấu phẩy.",
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
    )
    _protect(ws)


def _validate(ws: Worksheet, cells: str, error: str, **rule: str) -> None:
    dv = DataValidation(
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error=error,
        **rule,
    )
    dv.add(cells)
    ws.add_data_validation(dv)
    _print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")


def _xml_text(value: str) -> bytes:
    """Text as openpyxl writes it: XML-escaped, non-ASCII as character references."""
    return escape(value).encode("ascii", "xmlcharrefreplace")


@dataclass
class DrawnLayout:
    """A drawn workbook's zip entries, kept to stamp one copy per unit."""

    entries: list[tuple[zipfile.ZipInfo, bytes]]

    @classmethod
    def of(cls, layout: WorkbookLayout) -> DrawnLayout:
        with zipfile.ZipFile(io.BytesIO(draw(layout))) as z:
            return cls([(i, z.read(i)) for i in z.infolist()])

    def for_unit(self, unit: OrgUnit) -> bytes:
        """The workbook with ``unit``'s code and name in place of the placeholders."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in self.entries:
                if info.filename == _SHARED or info.filename.startswith("xl/worksheets/"):
                    data = data.replace(UNIT_CODE.encode(), _xml_text(unit.code))
                    data = data.replace(UNIT_NAME.encode(), _xml_text(unit.name))
                z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()


def unit_workbook(year: int, code: str) -> tuple[str, bytes]:
    """``(file name, bytes)`` of ``code``'s workbook for the cycle of ``year`` (portal download)."""
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, reading

    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    stamps = Stamps(ctx)
    unit = stamps.unit(code)
    return layout_rules.file_name(code, year), stamps.drawn(unit).for_unit(unit)


def write_templates(
    year: int, *, out: Path, unit: str | None = None, under: str | None = None
) -> list[Path]:
    """Write the workbooks of one unit, or of every assessed unit (under ``under``)."""
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, reading

    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    stamps = Stamps(ctx)
    units = [stamps.unit(unit)] if unit else stamps.assessed(under)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for u in units:
        path = out / layout_rules.file_name(u.code, year)
        path.write_bytes(stamps.drawn(u).for_unit(u))
        written.append(path)
    return written


class Stamps:
    """One drawn layout per criteria set of the cycle, the units to stamp it for."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self._drawn: dict[str, DrawnLayout] = {}

    def unit(self, code: str) -> OrgUnit:
        from danvan.rules.errors import reject

        u = self.ctx.units.get(code)
        if u is None or code not in self.ctx.province_units:
            raise reject("unknown_unit", "--unit", f"Không có đơn vị mã “{code}”.")
        if not (u.active and u.assessed):
            raise reject(
                "unit_not_assessed", "--unit", f"Đơn vị “{u.name}” không thuộc diện tự đánh giá."
            )
        return u

    def assessed(self, under: str | None) -> list[OrgUnit]:
        from danvan.rules.errors import reject
        from danvan.rules.org import subtree

        root = under or self.ctx.province
        if root not in self.ctx.province_units:
            raise reject("unknown_unit", "--under", f"Không có đơn vị mã “{root}”.")
        codes: Iterable[str] = subtree(self.ctx.units, root)
        return [u for c in codes if (u := self.ctx.units[c]).active and u.assessed]

    def drawn(self, unit: OrgUnit) -> DrawnLayout:
        criteria = self.ctx.criteria_for(unit)
        if criteria.code not in self._drawn:
            cycle = self.ctx.cycle
            layout = layout_rules.build_layout(
                criteria,
                year=cycle.year,
                reference=cycle.reference,
                title=cycle.title,
                deadline=cycle.self_assessment_deadline,
            )
            self._drawn[criteria.code] = DrawnLayout.of(layout)
        return self._drawn[criteria.code]
