"""Tổng hợp: load a cycle once, compile every compiler bottom-up, write its folder, record it.

Loading is set-based (the whole province in a handful of queries); each compiler's summary is
then a pure computation over the units of its subtree (danvan.rules.compilation).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from itertools import repeat
from pathlib import Path

from sqlmodel import Session, select

from danvan.config.settings import get_settings
from danvan.models import store, versions
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Compilation
from danvan.notify.messages import Queued, default_renderer
from danvan.reports.chart import write_chart_png
from danvan.reports.docx import write_report_docx
from danvan.reports.outputs import FolderWriter, normalise_zip
from danvan.reports.xlsx import write_score_workbook
from danvan.rules import timing
from danvan.rules.compilation import (
    CompiledCycle,
    UnitInput,
    assess_unit,
    compile_cycle,
    dumps_summary,
)
from danvan.rules.domain import CriteriaSet, Figures, OrgUnit
from danvan.rules.errors import reject
from danvan.rules.formats import load_document
from danvan.rules.letterhead import NO_CONFIG, Letterhead, LetterheadConfig, parse_letterhead
from danvan.rules.org import children_map, subtree
from danvan.rules.report import build_report, district_places
from danvan.rules.revision import revision_standing
from danvan.tasks.assistant import add_to_summary, load_assistant
from danvan.tasks.compiled_files import keep_files
from danvan.tasks.files import safe_join
from danvan.tasks.revision import load_returns


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


def _unit_inputs(ctx: CycleContext, session: Session, at: datetime) -> dict[str, UnitInput]:
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    codes = ctx.org.codes_by_id
    latest = {
        codes[u]: lt
        for u, lt in versions.latest_submissions(
            session=session, cycle_id=cycle_id, until=at
        ).items()
    }
    adjustments = versions.latest_adjustments(session=session, cycle_id=cycle_id, until=at)
    adj = {
        codes[u]: {t: (a.value, a.reason) for t, a in by.items()} for u, by in adjustments.items()
    }
    deadline = ctx.deadline("self_assessment")
    returns = load_returns(ctx, session, until=at)
    inputs = {}
    for code in ctx.province_units:
        unit = ctx.units[code]
        if not (unit.active and unit.assessed):
            continue
        lt = latest.get(code)
        sub = lt.submission if lt else None
        rev = None
        if lt is not None and sub is not None:
            rev = revision_standing(
                timing.timeliness(lt.first_submitted_at, deadline, ctx.tz),
                timing.days_late(lt.first_submitted_at, deadline, ctx.tz),
                returns.get(code, ()),
                sub.version,
                ctx.tz,
            )
        inputs[code] = assess_unit(
            unit=unit,
            criteria=ctx.criteria_for(unit),
            status=rev.timeliness if rev else "missing",
            submitted_at=sub.submitted_at if sub else None,
            days_late=rev.days_late if rev else None,
            scores=sub.scores if sub else None,
            bonus=sub.bonus if sub else 0,
            penalty=sub.penalty if sub else 0,
            figures=sub.figures if sub else None,
            adjustments=adj.get(code),
            not_applicable=sub.not_applicable if sub else None,
            revise_by=rev.open.revise_by if rev and rev.open else None,
            return_reason=rev.open.reason if rev and rev.open else None,
            warnings=tuple(sub.warnings or ()) if sub else (),
        )
    return inputs


def _previous_figures(
    ctx: CycleContext, session: Session
) -> tuple[dict[str, Figures] | None, int | None]:
    """The previous cycle's figures per unit code (each unit's latest version) and its year;
    (None, None) without a previous cycle."""
    prev = store.previous_cycle(session=session, cycle=ctx.cycle)
    if prev is None or prev.id is None:
        return None, None
    codes = ctx.org.codes_by_id
    figures = {
        codes[u]: lt.submission.figures
        for u, lt in versions.latest_submissions(session=session, cycle_id=prev.id).items()
    }
    return figures, prev.year


def load_letterhead_config() -> LetterheadConfig:
    """``letterhead.yaml`` from the ``DANVAN_LETTERHEAD`` setting; today's wording when unset."""
    path = get_settings().letterhead
    if path is None:
        return NO_CONFIG
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise reject(
            "letterhead_unreadable", "DANVAN_LETTERHEAD",
            f"Không đọc được tệp mẫu tiêu đề “{path}” ({exc.strerror}).",
        ) from None  # fmt: skip
    return parse_letterhead(load_document(str(path), data), str(path))


def compilers_to_compile(ctx: CycleContext, unit: str | None) -> list[str]:
    """The compilers to compile, deepest first (bottom-up): ``unit`` alone, or the province and
    every active compiler under it."""
    if unit is not None:
        if unit not in ctx.province_units or not ctx.units[unit].compiles:
            raise reject(
                "not_a_compiler", "--unit", f"'{unit}' không phải đơn vị tổng hợp của kỳ này."
            )
        return [unit]
    order = ctx.province_units  # parents before children
    chosen = [c for c in order if ctx.units[c].compiles and ctx.units[c].active]
    return list(reversed(chosen))


def prepare(year: int, at: datetime, unit: str | None = None) -> list[Compiled]:
    """Load once and compute every compilation asked for (pure computations after loading)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        inputs = _unit_inputs(ctx, session, at)
        previous, previous_year = _previous_figures(ctx, session)
        assistant = load_assistant(ctx, session, at)
    letterheads = load_letterhead_config()
    on = timing.local_date(at, ctx.tz)
    deadline = ctx.deadline("self_assessment")
    provisional = deadline if on <= deadline else None
    children = children_map(ctx.units)
    kinds_sets: Mapping[str, CriteriaSet] = {
        kind: ctx.criteria_sets[code] for kind, code in ctx.cycle.criteria_by_kind.items()
    }
    out = []
    for code in compilers_to_compile(ctx, unit):
        tree = subtree(ctx.units, code, children)
        units = [inputs[c] for c in tree if c in inputs]
        direct = {c for c in tree if ctx.compilers.get(c) == code}
        data = compile_cycle(
            compiler=ctx.units[code],
            cycle_year=year,
            units=units,
            direct=direct,
            previous=previous,
            stand_ins=ctx.stand_ins,
            criteria_by_kind=kinds_sets,
            places=district_places(ctx.units, code, tree),
            previous_cycle_year=previous_year,
        )
        add_to_summary(data.summary, assistant, tree, direct)
        parent = ctx.units.get(ctx.units[code].parent or "")
        lh = letterheads.letterhead_for(ctx.units[code], parent)
        out.append(
            Compiled(data, on, ctx.tz, parent, ctx.cycle.reference, ctx.cycle.request,
                     provisional, lh, at)
        )  # fmt: skip
    return out


def write_outputs(
    compiled: list[Compiled], out_dir: str, units_by_code: Mapping | None = None
) -> list[dict]:
    """Each compiler's folder: summary.json, the score workbook, the chart and the report.

    Written atomically (``danvan.reports.outputs``): a reader, a second compile into the same
    folder or a kill at any point never leaves a half-written file under a final name. Many
    compilers (a province of districts, the country's 300) are written by a pool of worker
    processes, one folder each at a time (:func:`compile_workers`): the files are what costs
    (the chart, the workbook, the report: ~97 % of a compile), every folder is independent of the
    others, and each is the same bytes whichever process writes it.
    """
    for c in compiled:
        safe_join(out_dir, c.data.compiler.code)  # a stored code can never lead outside --out
    workers = compile_workers(len(compiled))
    if workers <= 1:
        return [write_one(c, out_dir)[0] for c in compiled]
    context = multiprocessing.get_context("forkserver")  # never fork a process with threads
    context.set_forkserver_preload([__name__])
    # the largest first (the province's workbook alone can be a tenth of the work): a worker
    # never starts it last while the other has nothing left to do
    order = sorted(range(len(compiled)), key=lambda i: -len(compiled[i].data.units))
    written: list[dict] = [{}] * len(compiled)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        done = pool.map(write_one, [compiled[i] for i in order], repeat(out_dir))
        for i, (doc, cpu) in zip(order, done, strict=True):
            written[i] = doc
            WORKER_CPU.append(cpu)
    return written


#: CPU seconds the worker processes spent writing (``danvan bench`` adds them to a stage's CPU
#: time: a forkserver's workers are not this process's children, so rusage never sees them).
WORKER_CPU: list[float] = []
#: Below this many compilers per worker, starting a pool costs more than it saves.
COMPILERS_PER_WORKER = 4


def compile_workers(compilers: int) -> int:
    """How many processes write ``compilers`` folders: ``DANVAN_COMPILE_WORKERS`` (default: the
    machine's cores), never more than one per COMPILERS_PER_WORKER compilers; 1: in-process."""
    cores = get_settings().compile_workers or os.cpu_count() or 1
    return max(1, min(cores, compilers // COMPILERS_PER_WORKER))


def write_one(c: Compiled, out_dir: str) -> tuple[dict, float]:
    """One compiler's folder (see :func:`write_outputs`), and the CPU seconds it took."""
    cpu = time.process_time()
    code, year = c.data.compiler.code, c.data.year
    folder = Path(out_dir) / code
    report = build_report(
        c.data, on=c.on, parent=c.parent, letterhead=c.letterhead,
        plan_reference=c.reference or None, request=c.request or None,
        provisional_until=c.provisional_until,
    )  # fmt: skip
    assert c.at is not None  # prepare() always stamps the compile instant
    names = [f"bieu-do-{code}-{year}.png", f"bang-diem-{code}-{year}.xlsx"]
    names.append(f"bao-cao-tong-hop-{code}-{year}.docx")
    docx = partial(write_report_docx, created=c.at)
    with FolderWriter(folder) as out:
        chart = out.stage(names[0], partial(write_chart_png, c.data))
        out.stage(names[1], _office(write_score_workbook, c.at, c.data))
        out.stage(names[2], _office(docx, c.at, report, chart))
        out.commit(dumps_summary(c.data.summary).encode("utf-8"))
    files = sorted([*names, "summary.json"])
    doc = {"compiler": code, "folder": str(folder), "files": files}
    return doc, time.process_time() - cpu


def _office(
    write: Callable[..., None], at: datetime, value: object, *more: object
) -> Callable[[Path], None]:
    """A writer of an office file (``write(value, path, *more)``) stamped with ``at``."""

    def run(path: Path) -> None:
        write(value, path, *more)
        normalise_zip(path, at)

    return run


def record(
    year: int,
    compiled: list[Compiled],
    at: datetime,
    actor: str = "cli",
    out_dir: str | None = None,
) -> int:
    """One ``Compilation`` row per compiler (the same T and summary again: nothing new); with
    ``out_dir``, its written files kept in the database too, so any machine can hand them out."""
    new = 0
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        # two compiles: one row. Taken up front in id order, like every writer holding several
        # units' locks (``return``), so two of them never wait for each other in a circle.
        for compiler_id in sorted({ctx.org.ids[c.data.compiler.code] for c in compiled}):
            store.lock_unit(session=session, unit_id=compiler_id)
        for c in compiled:
            digest = store.sha256(dumps_summary(c.data.summary).encode())
            compiler_id = ctx.org.ids[c.data.compiler.code]
            exists = session.exec(
                select(Compilation).where(
                    Compilation.cycle_id == ctx.cycle.id,
                    Compilation.compiler_id == compiler_id,
                    Compilation.compiled_at == at,
                    Compilation.summary_sha256 == digest,
                )
            ).first()
            if out_dir is not None:
                row = exists or _add_compilation(session, ctx, compiler_id, at, digest)
                assert row.id is not None
                folder = Path(out_dir) / c.data.compiler.code
                names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name[0] != ".")
                keep_files(session, compilation_id=row.id, folder=folder, names=names, at=at)
            if exists:
                continue
            if out_dir is None:
                _add_compilation(session, ctx, compiler_id, at, digest)
            store.audit(
                session=session,
                at=at,
                actor=actor,
                action="compile",
                entity="compilation",
                key=f"{year}/{c.data.compiler.code}",
                sha256=digest,
            )
            new += 1
    return new


def _add_compilation(
    session: Session, ctx: CycleContext, compiler_id: int, at: datetime, digest: str
) -> Compilation:
    assert ctx.cycle.id is not None
    row = Compilation(
        cycle_id=ctx.cycle.id, compiler_id=compiler_id, compiled_at=at, summary_sha256=digest
    )
    session.add(row)
    session.flush()
    return row


def artifact_key(year: int, code: str) -> str:
    """Prefect artifact keys take lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", f"compile-{year}-{code}".lower()).strip("-")


def summary_markdown(c: Compiled) -> str:
    """The Prefect UI's view of one compilation (markdown artifact)."""
    s = c.data.summary
    lines = [
        f"# Tổng hợp {s['compiler']} — năm {s['cycle']}",
        "",
        f"- Phải nộp: **{s['expected']}**, đã nộp: **{s['submitted']}** "
        f"(đúng hạn {s['on_time']}, trễ {s['late']}), chưa nộp: **{len(s['missing'])}**",
        "- Xếp loại: " + ", ".join(f"{band}: {n}" for band, n in s["bands"].items()),
    ]
    if s["missing"]:
        lines.append("- Chưa nộp: " + ", ".join(s["missing"]))
    return "\n".join(lines) + "\n"


def ranking_rows(c: Compiled) -> list[dict]:
    return [dict(r) for r in c.data.summary["ranking"]]


def compiled_messages(year: int, written: list[dict], at: datetime) -> tuple[int, list]:
    """Tell each compiler its compilation is ready, with the report attached (kind ``compiled``).

    At most one such message per compiler and day (the outbox's key), however often it compiles.
    """
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    assert ctx.cycle.id is not None
    day = timing.local_date(at, ctx.tz)
    shown = timing.to_local(at, ctx.tz).strftime("%H:%M ngày %d/%m/%Y")
    queued = []
    renderer = default_renderer()
    for w in written:
        unit = ctx.units[w["compiler"]]
        report = next((f for f in w["files"] if f.startswith("bao-cao-tong-hop-")), None)
        if not unit.contacts or report is None:
            continue
        milestone = "province_scoring" if unit.code == ctx.province else "district_compilation"
        message = renderer.compiled(unit.name, year, shown, report)
        attach = str(Path(w["folder"]) / report)
        queued.append(Queued(unit.code, milestone, "compiled", day, message.subject, message.body,
                             tuple(unit.contacts), attach=attach))  # fmt: skip
    return ctx.cycle.id, queued
