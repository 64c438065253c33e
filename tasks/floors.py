"""The floor of each ``danvan bench`` stage: the least the same work could cost, measured in the
same run, on the same machine and database, so that a stage reads as a ratio to its floor.

Why: the machine the bench runs on may be shared (the figures in docs/development.md were taken
beside four other engineers' test suites). Seconds alone then say little; CPU time beside a floor
measured a minute apart says how far the program is from what the work needs. Each floor does
the stage's essential work and nothing of ours: the raw SQL, a write-only file, a parse.
Here, in the core, because only the core speaks SQL; each floor runs on the configured database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import text

from danvan.models.db import get_engine

_SCRATCH = "danvan_bench_floor"


def _scratch_insert(rows: Iterable[dict[str, Any]]) -> int:
    """One batched insert of ``rows`` (code, body) into a scratch table, in one transaction."""
    rows, engine = list(rows), get_engine()
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {_SCRATCH}"))
        conn.execute(text(f"CREATE TABLE {_SCRATCH} (code VARCHAR(64) PRIMARY KEY, body TEXT)"))
        if rows:
            conn.execute(text(f"INSERT INTO {_SCRATCH} (code, body) VALUES (:code, :body)"), rows)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {_SCRATCH}"))
    return len(rows)


def org_floor(units: Sequence[dict[str, Any]]) -> str:
    """An org import's floor: every unit's row in one batched insert."""
    rows = [{"code": u["code"], "body": json.dumps(u, ensure_ascii=False)} for u in units]
    return f"{_scratch_insert(rows)} dòng, một lệnh INSERT"


def json_intake_floor(paths: Sequence[str]) -> str:
    """A batch of JSON files' floor: read, parse, sha256 each, then one batched insert."""
    rows = []
    for path in paths:
        data = Path(path).read_bytes()
        doc = json.loads(data)
        rows.append({"code": doc["unit"], "body": hashlib.sha256(data).hexdigest()})
    return f"đọc + json + sha256 + INSERT {_scratch_insert(rows)} dòng"


def workbook_intake_floor(paths: Sequence[Path]) -> str:
    """A batch of workbooks' floor: every sheet's values read by calamine, sha256, one insert."""
    rows = []
    for path in paths:
        data = path.read_bytes()
        book = CalamineWorkbook.from_path(str(path))
        cells = sum(len(book.get_sheet_by_name(n).to_python()) for n in book.sheet_names)
        rows.append({"code": path.name, "body": f"{hashlib.sha256(data).hexdigest()}:{cells}"})
    return f"calamine + sha256 + INSERT {_scratch_insert(rows)} dòng"


def status_floor(cycle_year: int) -> str:
    """Status's floor: the raw SQL of its read, every unit's latest submission of the cycle."""
    sql = text(
        "SELECT s.unit_id, s.version, s.submitted_at, s.self_total FROM submission s "
        "JOIN (SELECT unit_id, max(version) AS v FROM submission WHERE cycle_id = "
        "(SELECT id FROM cycle WHERE year = :y ORDER BY id DESC LIMIT 1) GROUP BY unit_id) m "
        "ON m.unit_id = s.unit_id AND m.v = s.version"
    )
    with get_engine().connect() as conn:
        n = len(conn.execute(sql, {"y": cycle_year}).all())
    return f"1 truy vấn SQL, {n} dòng"


def write_only_xlsx(path: Path, rows: Iterable[Sequence[Any]]) -> int:
    """A workbook written row by row in openpyxl's write-only mode, no style: a file's floor."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Bảng")
    n = 0
    for row in rows:
        sheet.append(list(row))
        n += 1
    book.save(path)
    return n


def templates_floor(folder: Path, codes: Sequence[str], data: bytes) -> str:
    """Writing every unit's template's floor: one template's bytes written to every unit's file
    (the writer stamps a layout drawn once, so what is left to cost is the files themselves)."""
    folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        (folder / f"{code}.xlsx").write_bytes(data)
    return f"{len(codes)} tệp, cùng {len(data)} byte mỗi tệp"


def compile_floor(folder: Path, compilers: int, units: int) -> str:
    """A compile's floor: per compiler a write-only workbook; the province's holds every unit
    (a row of 16 values), each other compiler's its share."""
    folder.mkdir(parents=True, exist_ok=True)
    share = max(1, units // max(1, compilers - 1))
    for i in range(compilers):
        n = units if i == 0 else share
        rows = ([f"U{r:05d}", f"Đơn vị {r}", *range(14)] for r in range(n))
        write_only_xlsx(folder / f"c{i:04d}.xlsx", rows)
    return f"{compilers} bảng write-only ({units} dòng ở tỉnh)"
