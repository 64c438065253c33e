"""Rows streamed as whole elements (danvan.reports.xlsx_rows) write the very bytes openpyxl's
``ws.append`` of styled cells writes: the score workbook got faster, not different (issue 20)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from danvan.reports.xlsx_rows import SheetRows
from danvan.reports.xlsx_sheet import INT, PERCENT, body_style, register_styles

ROWS: list[list[tuple[object, str] | None]] = [
    [("KẾT QUẢ — Ủy ban nhân dân <tỉnh> & “Bến”", "danvan-title")],
    [("STT", "danvan-head"), None, ("Tên đơn vị", "danvan-head")],
    [(1, body_style(INT)), ("  padded  ", body_style(None)), ("", body_style(None)),
     (None, body_style(INT)), (87.25, body_style("0.00")), (0.7041, body_style(PERCENT)),
     (float("nan"), body_style(INT)), (10**12, body_style(INT, True)), ("=SUM(A1)", body_style(None)),
     (10**17, body_style(INT)), (float("inf"), body_style(INT)), (1 / 3, body_style("0.00")),
     ("a\r\nb\tc", body_style(None))],
    [],
    [(True, body_style(None)), (date(2024, 11, 15), body_style(None))],
    [("Ghi chú", "danvan-note")],
]  # fmt: skip


def _write(path: Path, put: Callable[[WriteOnlyWorksheet, list], None]) -> bytes:
    wb = Workbook(write_only=True)
    register_styles(wb)
    for name in ("Một", "Hai"):  # a second sheet reuses the style ids the first one made
        ws = wb.create_sheet(name)
        ws.column_dimensions["A"].width = 12
        ws.freeze_panes = "B3"
        ws.row_dimensions[1].height = 24
        put(ws, ROWS)
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        # every part but docProps/core.xml, which carries the saving time
        return b"".join(z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml")


#: Row heights given with the row (``SheetRows.append(…, height)``); row 1's is set on the sheet.
HEIGHTS = {3: 45.0, 5: 37.5}


def _by_openpyxl(ws: WriteOnlyWorksheet, rows: list) -> None:
    for i, row in enumerate(rows, start=1):
        if i in HEIGHTS:
            ws.row_dimensions[i].height = HEIGHTS[i]
        cells = []
        for styled in row:
            if styled is None:
                cells.append(None)
                continue
            c = WriteOnlyCell(ws, value=styled[0])
            if isinstance(styled[0], str):
                c.data_type = "s"
            c.style = styled[1]
            cells.append(c)
        ws.append(cells)


def _by_rows(ws: WriteOnlyWorksheet, rows: list) -> None:
    out = SheetRows(ws)
    for i, row in enumerate(rows, start=1):
        out.append(row, HEIGHTS.get(i))
    out.close()


def test_streamed_rows_are_openpyxls_bytes(tmp_path: Path) -> None:
    ours = _write(tmp_path / "ours.xlsx", _by_rows)
    assert ours == _write(tmp_path / "openpyxl.xlsx", _by_openpyxl)
    assert b"=SUM(A1)" in ours and b"<f>" not in ours  # text stays text, never a formula


def test_without_lxml_openpyxl_writes_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("danvan.reports.xlsx_rows.LXML", False)  # as OPENPYXL_LXML=False does
    ours = _write(tmp_path / "ours.xlsx", _by_rows)
    assert ours == _write(tmp_path / "openpyxl.xlsx", _by_openpyxl)


def test_a_control_character_is_refused_as_openpyxl_refuses_it(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    register_styles(wb)
    out = SheetRows(wb.create_sheet("Một"))
    out.append([("trước", body_style(None))])
    with pytest.raises(IllegalCharacterError):
        out.append([("tên\x07", body_style(None))])
    wb.save(tmp_path / "rest.xlsx")  # saving ends the sheet: its rows are in place, whole
    assert [r for r in load_workbook(tmp_path / "rest.xlsx")["Một"].values] == [("trước",)]
