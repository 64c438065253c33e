"""Rows streamed into a write-only sheet's XML as one element each: openpyxl's bytes, less its cost.

openpyxl's write-only mode makes a cell object per value, looks its named style up by name (a
scan of every style's name) and copies it, then writes the cell through five nested writer
contexts: three quarters of a score workbook's time went there, not into the file (issue 20).
Here each row is built as a single lxml element, every cell carrying the style id its named style
was given the first time the workbook used it, and handed to openpyxl's own sheet stream: the
sheet's XML is byte for byte what ``ws.append`` of styled ``WriteOnlyCell``s wrote (an empty cell
or row still ``<c …></c>``, text inline, ``xml:space`` on padded text), and the workbook's style
table is built in the same order, so the whole file is the same bytes.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from lxml.etree import Element, SubElement
from openpyxl import LXML
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
#: Excel's longest text in a cell (openpyxl cuts there too).
_MAX_TEXT = 32767

#: A cell to write: its value and the name of its named style.
Styled = tuple[object, str]


class SheetRows:
    """Appends rows of :data:`Styled` cells (or None: no cell) to a write-only sheet, numbering
    them from 1 like ``ws.append``. Row heights and page breaks are set on the sheet as before,
    ahead of the row; the sheet's head (columns, panes, print setup) is written at the first
    row, so everything about the sheet is set before it, as with ``ws.append``."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.row = 0
        self._ids: dict[str, tuple[str, bool]] = {}
        self._stream: Generator[None, Any, None] | None = None

    def append(self, cells: Sequence[Styled | None]) -> None:
        if not LXML:  # openpyxl told not to use lxml (OPENPYXL_LXML): its own, slower way
            self.ws.append([None if c is None else _openpyxl_cell(self.ws, *c) for c in cells])
            return
        if self._stream is None:
            self._stream = self._open()
        self.row += 1
        r = str(self.row)
        attrs = {"r": r}
        attrs.update(self.ws.row_dimensions.get(self.row, {}))
        row = Element("row", attrs)
        row.text = ""  # an empty row is written <row …></row>, as openpyxl's writer does
        for col, styled in enumerate(cells, start=1):
            if styled is not None:
                self._cell(row, get_column_letter(col) + r, *styled)
        self._stream.send(row)

    def _style(self, name: str) -> tuple[str, bool]:
        """The style id of named style ``name`` and whether a cell of it counts as styled: asked
        of openpyxl once per sheet, at the cell that first uses it (ids follow first use)."""
        found = self._ids.get(name)
        if found is None:
            probe = WriteOnlyCell(self.ws)
            probe.style = name
            found = self._ids[name] = (str(probe.style_id), probe.has_style)
        return found

    def _cell(self, row: Any, ref: str, value: object, style: str) -> None:
        sid, has_style = self._style(style)
        attrs = {"r": ref, "s": sid} if has_style else {"r": ref}
        if isinstance(value, str):
            text = value[:_MAX_TEXT]
            if ILLEGAL_CHARACTERS_RE.search(text):
                raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
            attrs["t"] = "inlineStr"
            c = SubElement(row, "c", attrs)
            if not text:
                c.text = ""
                return
            t = SubElement(
                SubElement(c, "is"), "t", {_SPACE: "preserve"} if text != text.strip() else {}
            )
            t.text = text
        elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            attrs["t"] = "n"
            c = SubElement(row, "c", attrs)
            if value is None:
                c.text = ""
            else:
                SubElement(c, "v").text = safe_string(value)
        else:  # anything else (a bool, a date): written by openpyxl itself
            other = _openpyxl_cell(self.ws, value, style)
            other.column, other.row = column_index_from_string(ref.rstrip("0123456789")), self.row
            etree_write_cell(_Into(row), self.ws, other, other.has_style)

    def _open(self) -> Generator[None, Any, None]:
        """openpyxl's row stream (``WriteOnlyWorksheet._write_rows``) fed whole rows: the sheet's
        ``close`` ends it as it ends its own."""
        self.ws._get_writer()
        stream = _rows(self.ws)
        next(stream)
        self.ws._rows = stream
        return stream


def _openpyxl_cell(ws: WriteOnlyWorksheet, value: object, style: str) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"
    c.style = style
    return c


class _Into:
    """What openpyxl's cell writer writes into: here, the row being built."""

    def __init__(self, row: Any) -> None:
        self.write = row.append


def _rows(ws: WriteOnlyWorksheet) -> Generator[None, Any, None]:
    xf = ws._writer.xf.send(True)
    with xf.element("sheetData"):
        try:
            while True:
                xf.write((yield))
        except GeneratorExit:
            pass
    ws._writer.xf.send(None)
