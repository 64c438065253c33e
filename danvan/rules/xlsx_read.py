"""Đọc sổ Excel: a gated XLSX as grids of plain values, with python-calamine.

Every workbook passes :func:`~danvan.rules.xlsx_gate.check_xlsx` first; only then does
calamine (fast, written in Rust, no formula evaluation) read the cached values. What calamine
cannot say — that a cell holds a formula that was never calculated — is found by looking
around each ``<f>`` element of the sheets we read (the gate has already bounded their size
and refused any DOCTYPE, so ElementTree may parse the small workbook parts).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook

from danvan.rules.errors import reject
from danvan.rules.text import normalize_text
from danvan.rules.xlsx_gate import XlsxLimits, check_xlsx

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class Workbook:
    """The sheets of a workbook as rows of values (``None`` for empty cells)."""

    sheets: dict[str, list[list[Any]]]
    #: per sheet, the cells (``D12``) holding a formula with no cached value
    no_value: dict[str, set[str]]


def read_xlsx(
    name: str, data: bytes, limits: XlsxLimits, *, only: Iterable[str] | None = None
) -> Workbook:
    """Gate, then read every sheet (or those named in ``only``). Raises :class:`Rejected`."""
    check_xlsx(name, data, limits)
    wanted = {normalize_text(s) for s in only} if only is not None else None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: dict[str, list[list[Any]]] = {}
        for sheet_name in book.sheet_names:
            if wanted is not None and normalize_text(sheet_name) not in wanted:
                continue
            rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            sheets[sheet_name] = [[None if v == "" else v for v in row] for row in rows]
        book.close()
    except CalamineError as exc:
        raise reject(
            "xlsx_damaged",
            "",
            f"Không đọc được tệp Excel ({type(exc).__name__}); hãy mở và lưu lại bằng Excel.",
            file=name,
        ) from None
    try:
        no_value = _uncalculated(data, list(sheets))
    except (ElementTree.ParseError, KeyError, ValueError):
        raise reject(
            "xlsx_damaged",
            "",
            "Cấu trúc tệp Excel bị hỏng (workbook.xml); hãy mở và lưu lại bằng Excel.",
            file=name,
        ) from None
    return Workbook(sheets=sheets, no_value=no_value)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the zip, from workbook.xml and its relationships."""
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    out = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        out[sheet.get("name", "")] = posixpath.normpath(part)
    return out


def _uncalculated(data: bytes, names: list[str]) -> dict[str, set[str]]:
    """Cells whose formula has no cached ``<v>``: only around each ``<f>``, not a full parse."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _sheet_parts(archive)
        present = set(archive.namelist())
        for name in names:
            part = parts.get(name)
            if part is None or part not in present:
                continue
            xml = archive.read(part)  # bounded: the gate has measured it
            cells = set()
            for m in _FORMULA.finditer(xml):
                start = max(xml.rfind(b"<c ", 0, m.start()), xml.rfind(b":c ", 0, m.start()))
                end = xml.find(b"c>", m.end())
                cell = xml[start:end]
                ref = _REF.search(cell)
                value = _VALUE.search(cell)
                if ref and (value is None or not value.group(1).strip()):
                    cells.add(ref.group(1).decode())
            if cells:
                out[name] = cells
    return out


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_REF = re.compile(rb"\br=\"([A-Z]+\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
