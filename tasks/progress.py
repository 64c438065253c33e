"""Tiến độ: the cycle's progress as the Prefect UI shows it, and which compilations are now due.

A compiler whose every unit has submitted need not wait for its deadline (SPEC §5): its
compilation runs as soon as that happens, and again whenever a later version or an appraisal
changes what it would compile (``changed_at`` below, part of the run's idempotency key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select

from danvan.models.context import load_context
from danvan.models.db import get_engine, reading
from danvan.models.tables import Adjustment, Compilation, Submission
from danvan.rules import timing
from danvan.tasks.views import cycle_status


@dataclass(frozen=True)
class ReadyCompiler:
    """A compiler whose units have all submitted and that has not compiled since the last change."""

    code: str
    changed_at: datetime


def progress_key(province: str, year: int) -> str:
    """``tien-do-qng-2024``: artifact keys take lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", f"tien-do-{province}-{year}".lower()).strip("-")


def progress(year: int, at: datetime) -> tuple[str, str, list[dict]]:
    """(artifact key, markdown summary, one row per compiler) of the cycle at ``at``."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        doc = cycle_status(session, year=year, at=at)
    s = doc["summary"]
    rows = [
        {"compiler": code, **{k: c[k] for k in ("expected", "submitted", "on_time", "late")},
         "missing": c["missing"]}
        for code, c in doc["compilers"].items()
    ]  # fmt: skip
    failed = doc["deliveries"]["failed"]
    lines = [
        f"# Tiến độ kỳ {year} ({ctx.province}) lúc {timing.iso_local(at, ctx.tz)}",
        "",
        f"Đã nộp **{s['submitted']}/{s['expected']}** đơn vị: {s['on_time']} đúng hạn, "
        f"{s['late']} trễ, **{s['missing']} chưa nộp**.",
        "",
        "| nơi tổng hợp | phải nộp | đã nộp | đúng hạn | trễ | chưa nộp |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['compiler']} | {r['expected']} | {r['submitted']} | {r['on_time']} | "
            f"{r['late']} | {r['missing']} |"
            for r in rows
        ),
        "",
        f"Tin gửi lỗi (sẽ gửi lại): {len(failed)}.",
    ]
    missing = [u["code"] for u in doc["units"] if u["status"] == "missing"]
    if missing:
        lines += ["", "Chưa nộp: " + ", ".join(missing)]
    return progress_key(ctx.province, year), "\n".join(lines), rows


def ready_compilers(year: int, at: datetime) -> list[ReadyCompiler]:
    """Compilers with nothing missing whose latest compilation predates the latest change."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        if ctx.published:
            return []
        doc = cycle_status(session, year=year, at=at)
        cid = ctx.cycle.id
        last_submit = dict(
            session.exec(
                select(Submission.unit_id, func.max(Submission.submitted_at))
                .where(Submission.cycle_id == cid, col(Submission.submitted_at) <= at)
                .group_by(Submission.unit_id)
            ).all()
        )
        last_adjust = dict(
            session.exec(
                select(Adjustment.unit_id, func.max(Adjustment.recorded_at))
                .where(Adjustment.cycle_id == cid, col(Adjustment.recorded_at) <= at)
                .group_by(Adjustment.unit_id)
            ).all()
        )
        compiled = dict(
            session.exec(
                select(Compilation.compiler_id, func.max(Compilation.compiled_at))
                .where(Compilation.cycle_id == cid)
                .group_by(Compilation.compiler_id)
            ).all()
        )
    ids = ctx.org.ids
    ready = []
    for code, counts in doc["compilers"].items():
        if counts["missing"] or not counts["expected"]:
            continue
        units = [u["code"] for u in doc["units"] if u["compiler"] == code]
        stamps = [t for u in units for t in (last_submit.get(ids[u]), last_adjust.get(ids[u])) if t]
        changed = max(stamps)
        done = compiled.get(ids[code])
        if done is None or done < changed:
            ready.append(ReadyCompiler(code, changed))
    return ready
