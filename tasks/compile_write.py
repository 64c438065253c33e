"""Tổng hợp, the writing half: one compiler's folder from its compilation.

What a worker process of a compile runs (``tasks.compile``): its forkserver preloads this module
only, which imports the renderers and the rules but no database layer (SQLAlchemy, SQLModel,
the tables), so every worker starts from ~70 MB instead of ~120 MB (issue 20: a compile's
memory, main process and workers together).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path

from danvan.reports.chart import write_chart_png
from danvan.reports.docx import write_report_docx
from danvan.reports.outputs import FolderWriter, normalise_zip
from danvan.reports.xlsx import write_score_workbook
from danvan.rules.compilation import CompiledCycle, dumps_summary
from danvan.rules.domain import OrgUnit
from danvan.rules.letterhead import Letterhead
from danvan.rules.report import build_report


@dataclass(frozen=True)
class Compiled:
    """One compiler's compilation, ready to be written: the value and what its report needs."""

    data: CompiledCycle
    on: date  # the date written on the report (local)
    tz: str
    parent: OrgUnit | None  # for the letterhead ("UBND TỈNH …" above a district's office)
    reference: str
    request: str = ""  # the request letter the plan names (cited in the opening)
    provisional_until: date | None = None  # the deadline, when compiled before it
    letterhead: Letterhead | None = None
    at: datetime | None = None  # the compile instant (the DOCX's creation date)


def write_one(c: Compiled, out_dir: str) -> tuple[dict, str, float]:
    """One compiler's folder (see ``tasks.compile.compile_and_write``), the sha256 of its
    ``summary.json`` (encoded once, here: the recording stores this digest) and the CPU seconds
    it took."""
    cpu = time.process_time()
    code, year = c.data.compiler.code, c.data.year
    folder = Path(out_dir) / code
    report = build_report(
        c.data, on=c.on, parent=c.parent, letterhead=c.letterhead,
        plan_reference=c.reference or None, request=c.request or None,
        provisional_until=c.provisional_until,
    )  # fmt: skip
    assert c.at is not None  # compile_one() always stamps the compile instant
    names = [f"bieu-do-{code}-{year}.png", f"bang-diem-{code}-{year}.xlsx"]
    names.append(f"bao-cao-tong-hop-{code}-{year}.docx")
    docx = partial(write_report_docx, created=c.at)
    summary = dumps_summary(c.data.summary).encode("utf-8")
    with FolderWriter(folder) as out:
        chart = out.stage(names[0], partial(write_chart_png, c.data))
        out.stage(names[1], _office(write_score_workbook, c.at, c.data))
        out.stage(names[2], _office(docx, c.at, report, chart))
        out.commit(summary)
    files = sorted([*names, "summary.json"])
    doc = {"compiler": code, "folder": str(folder), "files": files}
    return doc, hashlib.sha256(summary).hexdigest(), time.process_time() - cpu


def _office(
    write: Callable[..., None], at: datetime, value: object, *more: object
) -> Callable[[Path], None]:
    """A writer of an office file (``write(value, path, *more)``) stamped with ``at``."""

    def run(path: Path) -> None:
        write(value, path, *more)
        normalise_zip(path, at)

    return run
