"""Compare two folders of compiled reports (``danvan compile --out``, ``danvan demo``'s
``bao-cao``), made by two versions of the code at the same ``--at``: every file name, every
``summary.json`` byte, every DOCX's ``word/document.xml`` and every workbook's cell values and
number formats. Prints each difference; exit 1 when there is one.

Why: a change made for speed (the chart's layout, how tables are built) must not change what an
official reads. PNG charts are compared by size only (their pixels move by design when the
layout does; look at them).

    .venv/bin/python .ci/compare_outputs.py BEFORE AFTER
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook


def _docx_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml")


def _cells(path: Path) -> dict[tuple[str, str], tuple[object, str]]:
    book = load_workbook(path)
    out = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out[(ws.title, c.coordinate)] = (c.value, c.number_format)
    return out


def compare(before: Path, after: Path) -> list[str]:
    diffs: list[str] = []
    names_b = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names_a = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    for missing in sorted(names_b ^ names_a):
        diffs.append(f"{missing}: only in {'before' if missing in names_b else 'after'}")
    for name in sorted(names_b & names_a):
        b, a = before / name, after / name
        if name.suffix == ".docx":
            if _docx_xml(b) != _docx_xml(a):
                diffs.append(f"{name}: word/document.xml differs")
        elif name.suffix == ".xlsx":
            cb, ca = _cells(b), _cells(a)
            for key in sorted(set(cb) | set(ca)):
                if cb.get(key) != ca.get(key):
                    diffs.append(f"{name}!{key[0]}!{key[1]}: {cb.get(key)!r} → {ca.get(key)!r}")
        elif name.suffix == ".png":
            continue
        elif b.read_bytes() != a.read_bytes():
            diffs.append(f"{name}: bytes differ")
    return diffs


if __name__ == "__main__":
    found = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "no difference (PNG charts not compared)")
    sys.exit(1 if found else 0)
