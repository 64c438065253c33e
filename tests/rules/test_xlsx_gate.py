"""Hostile workbooks are refused before any spreadsheet library parses them (SPEC §4.7)."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from danvan.rules.errors import Rejected
from danvan.rules.xlsx_gate import XlsxLimits, check_xlsx

LIMITS = XlsxLimits()
SHEET = "xl/worksheets/sheet1.xml"


def plain_xlsx(rows: int = 3) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["key", "value"])
    for i in range(rows):
        ws.append([f"scores.{i}", i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, *, add: dict[str, bytes] | None = None, edit=None) -> bytes:
    """A copy of ``data`` with entries added or their bytes edited."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if edit:
                body = edit(info.filename, body)
            dst.writestr(info.filename, body, zipfile.ZIP_DEFLATED)
        for name, body in (add or {}).items():
            dst.writestr(name, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _in(part: str, old: bytes, new: bytes):
    return lambda name, body: body.replace(old, new, 1) if name == part else body


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "&lol%d;&lol%d;">' % (i + 1, i, i) for i in range(30))
    + b"]>"
)


def million_rows() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "key"
    ws.cell(1_000_000, 1, "x")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bomb(size: int = 300 * 1024 * 1024, lie: bool = False) -> bytes:
    """A valid-looking XLSX whose sheet inflates to ``size`` bytes of spaces.

    ``lie``: the zip headers declare 1 KB instead (readers that trust them are fooled).
    """
    base = zipfile.ZipFile(io.BytesIO(plain_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in base.infolist():
            if info.filename != SHEET:
                z.writestr(info.filename, base.read(info))
        with z.open(SHEET, "w", force_zip64=False) as stream:
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                stream.write(chunk)
    data = bytearray(out.getvalue())
    if lie:
        for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            start = 0
            while (i := data.find(sig, start)) >= 0:
                name_len = struct.unpack_from("<H", data, i + (26 if sig == b"PK\x03\x04" else 28))[
                    0
                ]
                name_at = i + (30 if sig == b"PK\x03\x04" else 46)
                if bytes(data[name_at : name_at + name_len]) == SHEET.encode():
                    struct.pack_into("<I", data, i + offset, 1024)
                start = i + 4
    return bytes(data)


CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
HOSTILE = {
    "pdf-renamed": (b"%PDF-1.7\n...", "wrong_file_type"),
    "text-renamed": (b"unit: X\n", "wrong_file_type"),
    "password": (CFB + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64, "xlsx_encrypted"),
    "legacy-xls": (CFB + b"Workbook" + b"\x00" * 64, "xlsx_legacy"),
    "entity-bomb": (
        rezip(plain_xlsx(), edit=_in(SHEET, b"<worksheet", ENTITY_BOMB + b"<worksheet")),
        "xlsx_dtd",
    ),
    "external-link": (
        rezip(plain_xlsx(), add={"xl/externalLinks/externalLink1.xml": b"<a/>"}),
        "xlsx_external_link",
    ),
    "macro": (rezip(plain_xlsx(), add={"xl/vbaProject.bin": b"\x00" * 100}), "xlsx_macro"),
    "xlsm-renamed": (
        rezip(
            plain_xlsx(),
            edit=_in(
                "[Content_Types].xml",
                b"spreadsheetml.sheet.main+xml",
                b"sheet.macroEnabled.main+xml",
            ),
        ),
        "xlsx_macro",
    ),
    "million-rows": (million_rows(), "xlsx_too_many_rows"),
    "many-parts": (
        rezip(plain_xlsx(), add={f"xl/media/i{i}.png": b"x" for i in range(1200)}),
        "xlsx_too_many_parts",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_workbook_is_refused(case):
    data, code = HOSTILE[case]
    with pytest.raises(Rejected) as exc:
        check_xlsx(f"{case}.xlsx", data, LIMITS)
    assert [p.code for p in exc.value.problems] == [code]
    assert exc.value.file == f"{case}.xlsx"


def test_plain_workbook_passes():
    check_xlsx("ok.xlsx", plain_xlsx(), LIMITS)


def test_row_limit_is_a_setting():
    with pytest.raises(Rejected):
        check_xlsx("rows.xlsx", plain_xlsx(rows=20), XlsxLimits(max_rows=10))
    check_xlsx("rows.xlsx", plain_xlsx(rows=20), XlsxLimits(max_rows=100))


_MEASURE = """
import json, resource, sys, time
from danvan.rules.errors import Rejected
from danvan.rules.xlsx_gate import XlsxLimits, check_xlsx
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    check_xlsx("bomb.xlsx", data, XlsxLimits())
    code = None
except Rejected as exc:
    code = exc.problems[0].code
seconds = time.perf_counter() - start
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(json.dumps({"code": code, "seconds": seconds, "grown": grown}))
"""


@pytest.mark.parametrize("lie", [False, True], ids=["honest", "lying-headers"])
def test_zip_bomb_refused_fast_in_little_memory(tmp_path, lie):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb(lie=lie))
    assert path.stat().st_size < 2 * 1024 * 1024
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    assert got["code"] in {"xlsx_too_large", "xlsx_zip_bomb", "xlsx_damaged"}
    assert got["seconds"] < 2
    assert got["grown"] < 100 * 1024 * 1024


def test_submit_and_org_import_refuse_hostile_workbooks(sqlite_url, tmp_path: Path, cli):
    big = tmp_path / "org.xlsx"
    big.write_bytes(million_rows())
    r = cli("org", "import", big)
    assert r.exit_code == 1 and "[xlsx_too_many_rows]" in r.stderr and "org.xlsx" in r.stderr
    paths = []
    for case in ("million-rows", "macro", "password", "entity-bomb"):
        paths.append(tmp_path / f"{case}.xlsx")
        paths[-1].write_bytes(HOSTILE[case][0])
    paths.append(tmp_path / "bomb.xlsx")
    paths[-1].write_bytes(bomb())
    r = cli("submit", *paths, "--format", "json")
    assert r.exit_code == 1
    codes = [f["problems"][0]["code"] for f in r.json()["files"]]
    assert codes == [
        "xlsx_too_many_rows",
        "xlsx_macro",
        "xlsx_encrypted",
        "xlsx_dtd",
        "xlsx_too_large",
    ]
