"""Driving the system's Chromium with Playwright, and filling a unit's workbook with openpyxl."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def browser_or_skip() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed here (CI installs it: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_link(page: Any, url: str) -> Any:
    """Open a personal link as an official does: the link's page (whose link it is, no session
    yet), then its button "Mở trang của …", which leads to the unit's own page. Returns the
    response of the link's page."""
    response = page.goto(url)
    with page.expect_navigation():
        page.click("form button:has-text('Mở trang của')")
    return response


def fill_workbook(data: bytes, doc: dict) -> bytes:
    """Fill the unit's workbook (SPEC §3.4.1) as an official would: cells found by their headers
    and codes, never by position."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    scores = book["Chấm điểm"]
    head, cols = _header(scores, ("Mã", "Tiêu chí", "Điểm tự chấm"))
    for row in scores.iter_rows(min_row=head + 1):
        code = row[cols["Mã"] - 1].value
        label = str(row[cols["Tiêu chí"] - 1].value or "").strip()
        target = row[cols["Điểm tự chấm"] - 1]
        if code is not None and str(code) in doc["scores"]:
            target.value = doc["scores"][str(code)]
        elif label == "Điểm thưởng":
            target.value = doc.get("bonus", 0)
        elif label == "Điểm trừ":
            target.value = doc.get("penalty", 0)
    figures = book["Số liệu"]
    head, cols = _header(figures, ("Nhóm", "Mã", "Số liệu"))
    for row in figures.iter_rows(min_row=head + 1):
        group, key = row[cols["Nhóm"] - 1].value, row[cols["Mã"] - 1].value
        if group is None or key is None:
            continue  # a group's title row, not a figure
        value = doc["figures"].get(str(group), {}).get(str(key))
        row[cols["Số liệu"] - 1].value = value if value is not None else 0
    guide = book["Hướng dẫn"]
    for row in guide.iter_rows():
        for cell in row:
            if str(cell.value or "").strip().startswith("Người lập báo cáo"):
                guide.cell(row=cell.row, column=cell.column + 1).value = doc["submitted_by"]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(ws: Any, names: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    for row in ws.iter_rows(max_row=40):
        found = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if all(n in found for n in names):
            return row[0].row, {n: found[n] for n in names}
    raise AssertionError(f"no header {names} in sheet {ws.title}")


def small_png(path: Path) -> None:
    """Keep a committed screenshot small: a 64-colour palette PNG."""
    from PIL import Image

    with Image.open(path) as img:
        img.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )
