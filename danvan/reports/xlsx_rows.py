"""Rows written into a write-only sheet's XML as text: openpyxl's bytes, less its cost (issue 20).

openpyxl's write-only mode makes a cell object per value, looks its named style up by name (a
scan of every style's name) and copies it, then writes the cell through five nested lxml writer
contexts: three quarters of a score workbook's time went there (a 25,000-unit province's
workbook, 1.2 million cells, took 18 s), not into the file. Here each row is formatted as text
the way lxml serialises it (ASCII, other characters as decimal references, ``&``, ``<``, ``>``
and carriage returns escaped, an empty cell or row still ``<c …></c>``, ``xml:space`` on padded
text), every cell carrying the style id its named style was given the first time the workbook
used it, so the workbook's style table is built in the same order. openpyxl still writes
everything around the rows (columns, panes, print setup, filters, merged cells): the sheet holds
a marker where its rows go, and the rows, streamed to a temporary file (memory stays flat
however many units), replace the marker when the sheet is closed. The file is byte for byte what
``ws.append`` of styled ``WriteOnlyCell``s wrote (tests/adapters/test_xlsx_rows.py).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from functools import cache
from typing import IO

from openpyxl import LXML
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.xml.functions import Element, tostring

#: Excel's longest text in a cell (openpyxl cuts there too).
_MAX_TEXT = 32767
_MARKER = "danvanRows"
#: Integers below this are written as their digits (openpyxl's "%.16g" writes the same).
_EXACT = 10**16
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;"})

#: A cell to write: its value and the name of its named style.
Styled = tuple[object, str]


def _text(value: str) -> bytes:
    """Text as lxml writes it into an ASCII document."""
    return value.translate(_ESCAPES).encode("ascii", "xmlcharrefreplace")


class SheetRows:
    """Appends rows of :data:`Styled` cells (or None: no cell) to a write-only sheet, numbering
    them from 1 like ``ws.append``; :meth:`close` (or saving the workbook) ends the sheet. A
    row's height comes with it; page breaks are set on the sheet as before. The sheet's head
    (columns, panes, print setup) is written at the first row, so everything about the sheet is
    set before it, as with ``ws.append``, and its tail (filter, merged cells) at :meth:`close`."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.row = 0
        self._ids: dict[str, bytes] = {}
        self._rows: IO[bytes] | None = None

    def append(self, cells: Sequence[Styled | None], height: float | None = None) -> None:
        """One row; ``height`` in points (what ``ws.row_dimensions[row].height`` sets, without
        making a row dimension object per row)."""
        if not LXML:  # openpyxl told not to use lxml (OPENPYXL_LXML): its own, slower way
            if height is not None:
                self.ws.row_dimensions[self.row + 1].height = height
            self.row += 1
            self.ws.append([None if c is None else _openpyxl_cell(self.ws, *c) for c in cells])
            return
        if self._rows is None:
            self._rows = self._open()
        self.row += 1
        r = str(self.row)
        head = f'<row r="{r}"'
        if height is not None:
            head += f' ht="{safe_string(height)}" customHeight="1"'
        else:
            for key, value in self.ws.row_dimensions.get(self.row, {}):
                head += f' {key}="{str(value).translate(_ATTR_ESCAPES)}"'
        out = [head.encode("ascii"), b">"]
        rb, ids, refs = r.encode(), self._ids, _refs(len(cells))
        for col, styled in enumerate(cells):
            if styled is None:
                continue
            value, style = styled
            start = refs[col] + rb + (ids[style] if style in ids else self._style(style))
            kind = type(value)
            if kind is str:
                out.append(start + self._text(value))  # type: ignore[arg-type]
            elif value is None:
                out.append(start + b'" t="n"></c>')
            elif kind is int and -_EXACT < value < _EXACT:  # type: ignore[operator]
                out.append(start + b'" t="n"><v>%d</v></c>' % value)  # type: ignore[str-format]
            elif kind is float and value - value == 0:  # type: ignore[operator]  # finite
                out.append(start + b'" t="n"><v>%.16g</v></c>' % value)  # type: ignore[str-format]
            elif kind is float or kind is int:  # NaN, infinity (no value), a huge integer
                out.append(start + b'" t="n"><v>' + safe_string(value).encode() + b"</v></c>")
            else:  # anything else (a bool, a date): written by openpyxl itself
                out.append(self._other(col + 1, value, style))
        out.append(b"</row>")
        self._rows.write(b"".join(out))

    def _style(self, name: str) -> bytes:
        """``" s="<id>`` for named style ``name`` (nothing for a cell that counts as unstyled):
        asked of openpyxl once per sheet, at the cell that first uses it (ids follow first
        use, as openpyxl numbers them)."""
        probe = WriteOnlyCell(self.ws)
        probe.style = name
        found = b'" s="' + str(probe.style_id).encode() if probe.has_style else b""
        self._ids[name] = found
        return found

    @staticmethod
    def _text(value: str) -> bytes:
        text = value[:_MAX_TEXT]
        if ILLEGAL_CHARACTERS_RE.search(text):
            raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
        if not text:
            return b'" t="inlineStr"></c>'
        space = b' xml:space="preserve"' if text != text.strip() else b""
        return b'" t="inlineStr"><is><t' + space + b">" + _text(text) + b"</t></is></c>"

    def _other(self, column: int, value: object, style: str) -> bytes:
        other = _openpyxl_cell(self.ws, value, style)
        other.row, other.column = self.row, column
        found: list = []
        etree_write_cell(_Into(found), self.ws, other, other.has_style)
        return b"".join(tostring(el) for el in found)

    def _open(self) -> IO[bytes]:
        """The sheet's head written by openpyxl, then its ``sheetData`` holding a marker; the
        rows go to a temporary file until :meth:`close`."""
        ws = self.ws
        ws._get_writer()
        xf = ws._writer.xf.send(True)
        with xf.element("sheetData"):
            xf.write(Element(_MARKER))
        ws._writer.xf.send(None)
        ws._rows = _no_rows()  # the sheet's own row stream: never used, nothing to end
        ws.close = self.close  # saving the workbook closes it so
        return tempfile.TemporaryFile()

    def close(self) -> None:
        """End the sheet (openpyxl writes its tail) and put the rows in place of the marker."""
        if self._rows is None or self._rows.closed:
            return  # no row (or openpyxl's own way, or closed): the workbook's save ends it
        WriteOnlyWorksheet.close(self.ws)
        path = self.ws._writer.out
        with open(path, "rb") as f:
            head, marker, tail = f.read().partition(f"<{_MARKER}/>".encode())
        assert marker, "the sheet's rows marker is missing"
        self._rows.seek(0)
        with open(path, "wb") as f:
            f.write(head)
            shutil.copyfileobj(self._rows, f, 1 << 20)
            f.write(tail)
        self._rows.close()


def _no_rows() -> Iterator[None]:
    yield from ()


@cache
def _refs(n: int) -> tuple[bytes, ...]:
    """``<c r="A``, ``<c r="B``… for the first n columns (the row number follows)."""
    return tuple(b'<c r="' + get_column_letter(j).encode() for j in range(1, n + 1))


def _openpyxl_cell(ws: WriteOnlyWorksheet, value: object, style: str) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"
    c.style = style
    return c


class _Into:
    """What openpyxl's cell writer writes into: here, a list."""

    def __init__(self, found: list) -> None:
        self.write = found.append
