"""Write-only table sheets for the score workbook: named styles, print setup that stays legible.

The workbook is written in openpyxl's write-only mode (rows streamed to the file, never held as
cell objects: a province's 1,000 units cost no more than a district's 10), each cell carrying one
of a few named styles registered once on the workbook. Text is always written as text: a name
beginning with ``=`` stays a name, never a formula.

Printing (issue 17): a sheet prints one A4 landscape page wide only when that keeps the body text
at 9 pt or more; a wider sheet prints at a fixed scale across several pages, with the header rows
and the name columns repeated on every page, rather than shrunk to 4 or 5 pt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from danvan.reports.xlsx_rows import SheetRows, Styled

INT, SCORE, PERCENT = "#,##0", "0.00", "0.00%"
#: A change (*Tăng (+), giảm (−)*): its sign shown as the header says, the minus the reports'
#: typographic one (``rules.text.MINUS``), not the hyphen Excel draws for ``#,##0``.
SIGNED = '+#,##0;"\u2212"#,##0;0'
BODY_PT = 11
#: The smallest scale at which 11 pt body text still prints at 9 pt or more.
MIN_SCALE = 82
#: A4 landscape less 0,4" margins each side, in pixels at 96 dpi (what a column width is made of).
_PAGE_PX = 1046
#: A4 landscape height less the top and bottom margins and the footer, in points at 100 %.
_PAGE_PT = 480.0

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "Times New Roman"
_STYLES: dict[str, dict] = {
    "danvan-title": {"font": Font(name=_FONT, bold=True, size=14)},
    "danvan-block": {"font": Font(name=_FONT, bold=True, size=12)},
    # a title kept inside the repeated name column of a sheet printed across pages (issue 17)
    "danvan-title-wrap": {"font": Font(name=_FONT, bold=True, size=14),
                          "alignment": Alignment(wrap_text=True, vertical="top")},
    "danvan-block-wrap": {"font": Font(name=_FONT, bold=True, size=12),
                          "alignment": Alignment(wrap_text=True, vertical="top")},
    "danvan-note-wrap": {"font": Font(name=_FONT, italic=True, size=BODY_PT),
                         "alignment": Alignment(wrap_text=True, vertical="top")},
    "danvan-note": {"font": Font(name=_FONT, italic=True, size=BODY_PT),
                    "alignment": Alignment(wrap_text=False, vertical="top")},
    "danvan-head": {"font": Font(name=_FONT, bold=True, size=BODY_PT), "border": _BORDER,
                    "fill": PatternFill("solid", fgColor="DDEBF7"),
                    "alignment": Alignment(wrap_text=True, horizontal="center", vertical="center")},
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One column: header, width (Excel characters), number format (None: text)."""

    header: str
    width: float
    fmt: str | None = None


@dataclass(frozen=True)
class Formatted:
    """A value with its own number format (a rate in a column of counts)."""

    value: float | None
    fmt: str


@cache
def body_style(fmt: str | None, bold: bool = False) -> str:
    """The named style of a body cell of format ``fmt`` (None: wrapped text)."""
    return f"danvan-{'bold-' if bold else ''}{fmt or 'text'}"


def register_styles(wb: Workbook) -> None:
    """Every named style the workbook uses, added once (cells then refer to them by name)."""
    for name, attrs in _STYLES.items():
        wb.add_named_style(NamedStyle(name=name, **attrs))
    for fmt in (None, INT, SIGNED, SCORE, PERCENT):
        for bold in (False, True):
            style = NamedStyle(name=body_style(fmt, bold), border=_BORDER,
                               font=Font(name=_FONT, size=BODY_PT, bold=bold))  # fmt: skip
            if fmt:  # on top like the name beside it, whose row may wrap to several lines
                style.number_format = fmt
                style.alignment = Alignment(vertical="top")
            else:
                style.alignment = Alignment(wrap_text=True, vertical="top")
            wb.add_named_style(style)


def styled(value: object, style: str) -> Styled:
    """A streamed cell of a named style; text typed as text (never a formula)."""
    return (value, style)


def cell(value: object, fmt: str | None, bold: bool = False) -> Styled:
    """A body cell: a number in its column's format, text (a dash, *Không áp dụng*) as text."""
    return (value, body_style(None if isinstance(value, str) else fmt, bold))


def lines_needed(values: Sequence[object], columns: Sequence[Column]) -> int:
    """How many wrapped lines a row needs (its row height is set, so pages can be counted)."""
    most = 1
    for value, col in zip(values, columns, strict=False):
        if isinstance(value, str) and value:
            per_line = max(1, int(col.width * 1.1))
            most = max(most, -(-len(value) // per_line))
    return min(most, 12)


def print_scale(columns: Sequence[Column]) -> int | None:
    """None when the sheet fits one page wide at a legible size, else the scale to print at."""
    width_px = sum(col.width * 7 + 5 for col in columns)
    if width_px * MIN_SCALE / 100 <= _PAGE_PX:
        return None
    return MIN_SCALE


def setup_print(ws: WriteOnlyWorksheet, columns: Sequence[Column], repeat_cols: str) -> int:
    """A4 landscape, page numbers, header rows repeated; one page wide when legible (see module
    doc), else at :data:`MIN_SCALE` % with the name columns repeated. Returns the scale in %."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_options.horizontalCentered = True
    ws.HeaderFooter.oddFooter.center.text = "Trang &P/&N"
    scale = print_scale(columns)
    if scale is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        return 100
    ws.page_setup.scale = scale
    ws.print_title_cols = repeat_cols
    return scale


def table_sheet(
    wb: Workbook, name: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence],
    *, freeze: str = "C3", bold_last: bool = False, repeat_cols: str = "A:B",
    notes: Sequence[str] = (),
) -> WriteOnlyWorksheet:  # fmt: skip
    """A titled, bordered, filterable table sheet (rows streamed), printed as the module says."""
    ws = wb.create_sheet(name)
    for j, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = header_height(columns)
    ws.freeze_panes = freeze
    ws.print_title_rows = "2:2"
    setup_print(ws, columns, repeat_cols)
    out = SheetRows(ws)
    out.append([styled(title, "danvan-title")])
    out.append([styled(col.header, "danvan-head") for col in columns])
    rows = list(rows)
    for i, values in enumerate(rows):
        bold = bold_last and i == len(rows) - 1
        lines = lines_needed(values, columns)
        # wrapped text gets its height: LibreOffice does not size streamed rows
        out.append(
            [
                cell(v.value, v.fmt, bold) if isinstance(v, Formatted) else cell(v, col.fmt, bold)
                for v, col in zip(values, columns, strict=False)
            ],
            15.0 * lines if lines > 1 else None,
        )
    last = get_column_letter(max(1, len(columns)))
    ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    ws.merged_cells.add(f"A1:{last}1")
    for note in notes:
        out.append([])
        out.append([styled(note, "danvan-note")])
    out.close()
    return ws


def wrapped_height(text: str, width: float, size: float) -> float:
    """The height (pt) of ``text`` in bold ``size`` pt wrapped within a column ``width`` wide
    (characters of the 11 pt body font): a title that must be read on every printed page."""
    per_line = max(1, int(width * 11 / size * 0.85))
    lines = -(-len(text) // per_line)
    return max(24.0, lines * size * 1.35)


def header_height(columns: Sequence[Column]) -> float:
    longest = max((len(c.header) / max(c.width, 1) for c in columns), default=1)
    return 15.0 * min(6, max(2, int(longest) + 1))


def page_break(ws: WriteOnlyWorksheet, after_row: int) -> None:
    """A manual page break after ``after_row`` (a block or a page of a block ends there)."""
    ws.row_breaks.append(Break(id=after_row))


def page_rows(scale: int) -> float:
    """The printable height of a page in points of the sheet (before scaling)."""
    return _PAGE_PT * 100 / scale
