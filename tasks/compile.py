"""Tổng hợp: load a cycle once, then compute, write and drop one compiler at a time; record.

Loading and each compiler's computation are ``tasks.compile_load``. A compiler's folder is
written as soon as its compilation is computed, in-process or by a pool of worker processes, and
the compilation is dropped once written: what the recording and the Prefect artifacts need of it
(its code, the sha256 of the ``summary.json`` written, a few lines) is all a compile keeps, so
its memory does not grow with the number of compilers (issue 20: a country's 301).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from pathlib import Path

from sqlmodel import Session, select

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Compilation
from danvan.notify.messages import Queued, default_renderer
from danvan.rules import timing
from danvan.tasks.compile_load import (  # noqa: F401 (load_letterhead_config: tests use it here)
    compile_one,
    compilers_to_compile,
    load,
    load_letterhead_config,
)
from danvan.tasks.compile_pool import writers_context
from danvan.tasks.compile_requests import close_done, stop_if_cancelled
from danvan.tasks.compile_write import Compiled, write_one
from danvan.tasks.compiled_files import keep_files
from danvan.tasks.files import safe_join


@dataclass(frozen=True)
class Written:
    """What a compile keeps of one compiler once its folder is written (the compilation itself
    is dropped): the command's answer, the digest the recording stores, the Prefect artifacts."""

    code: str
    doc: dict  # {"compiler", "folder", "files"}: the command's answer
    digest: str  # sha256 of the summary.json written
    tz: str
    markdown: str  # the Prefect UI's view (summary_markdown)
    ranking: list[dict]


def compile_and_write(
    year: int, at: datetime, out_dir: str, unit: str | None = None, request: int | None = None
) -> list[Written]:
    """Compile ``unit`` (default: the province and every compiler under it) as of ``at`` and
    write each compiler's folder: summary.json, the score workbook, the chart and the report.

    Loaded once (:func:`tasks.compile_load.load`); then each compilation is computed just before
    it is written and dropped once it is: at most ``workers + 2`` of them exist at a time.
    Written atomically (``danvan.reports.outputs``): a reader, a second compile into the same
    folder or a kill at any point never leaves a half-written file under a final name. Many
    compilers (a province of districts, the country's 300) are written by a pool of worker
    processes, one folder each at a time (:func:`compile_workers`), the largest by a thread of
    this process meanwhile: the files are what costs (the chart, the workbook, the report: ~97 %
    of a compile), every folder is independent of the others, and each is the same bytes
    whichever process writes it. The answer lists the compilers bottom-up whatever order they
    were written in. ``request``: the portal's "Tổng hợp ngay" being run; once it is cancelled
    the compile stops before its next compiler (``CompileCancelled``; folders already written
    stay whole).
    """
    codes: list[str] = []

    def known(ctx: CycleContext) -> None:
        codes.extend(compilers_to_compile(ctx, unit))
        for code in codes:
            safe_join(out_dir, code)  # a stored code can never lead outside --out
        if compile_workers(len(codes)) > 1:
            _start_writers()  # their imports (~1 s of CPU) overlap the loading below

    loaded = load(year, at, known)
    workers = compile_workers(len(codes))
    if workers <= 1:
        written = []
        for code in codes:
            stop_if_cancelled(request)
            c = compile_one(loaded, code)
            written.append(_written(c, *write_one(c, out_dir)))
        return written
    # the largest first (the province's workbook alone can be a tenth of the work), and written
    # here, in a thread, while the workers write the rest: its units are this process's already
    # (a worker would unpickle a copy of every unit of the province: 70 MB at 25,000 units).
    # Once the thread is free it takes the next compiler too, like a worker: it works while the
    # workers start, and the last folders are spread over every writer (the critical path).
    order = sorted(codes, key=lambda c: -loaded.size(c))
    done: dict[str, Written] = {}
    with ProcessPoolExecutor(workers, mp_context=_writers()) as pool, ThreadPoolExecutor(1) as here:
        running: dict[Future, tuple[Compiled, bool]] = {}  # → (compilation, by a worker)
        pooled, busy_here = 0, False  # the pool: one writing and one waiting per worker at most
        for code in order:
            stop_if_cancelled(request)
            c = compile_one(loaded, code)
            if busy_here:
                running[pool.submit(write_one, c, out_dir)] = (c, True)
                pooled += 1
            else:
                running[here.submit(write_one, c, out_dir)] = (c, False)
                busy_here = True
            del c
            while busy_here and pooled > workers:  # every writer has work: computed just in time
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    c, worker = running.pop(future)
                    _collect(c, future.result(), done, worker=worker)
                    pooled -= worker
                    busy_here = busy_here and worker
        for future, (c, worker) in running.items():
            _collect(c, future.result(), done, worker=worker)
    return [done[code] for code in codes]


def _writers() -> BaseContext:
    """The worker processes' start method: ``forkserver`` (never fork a process with threads),
    its server preloading the writers only, no database layer (``tasks/compile_write.py``), and
    its processes never re-running the caller's main module (``tasks/compile_pool.py``: a
    user's script calling the compile at its top level)."""
    return writers_context([write_one.__module__])


def _start_writers() -> None:
    """Start the forkserver now (a new interpreter importing the writers: about a second of CPU
    on the other core), so that the pool's first worker forks from a ready server instead of
    waiting for it after the loading; an already running one (a portal's) is kept."""
    _writers()
    forkserver.ensure_running()


def _collect(
    c: Compiled, result: tuple[dict, str, float], done: dict[str, Written], *, worker: bool
) -> None:
    doc, digest, cpu = result
    if worker:  # a thread's CPU is this process's already
        WORKER_CPU.append(cpu)
    done[c.data.compiler.code] = _written(c, doc, digest, cpu)


def _written(c: Compiled, doc: dict, digest: str, _cpu: float) -> Written:
    code = c.data.compiler.code
    return Written(code, doc, digest, c.tz, summary_markdown(c), ranking_rows(c))


#: CPU seconds the worker processes spent writing (``danvan bench`` adds them to a stage's CPU
#: time: a forkserver's workers are not this process's children, so rusage never sees them).
WORKER_CPU: list[float] = []


def writers_cpu() -> float | None:
    """CPU seconds of the writers' forkserver since it started: its own (the writers' imports)
    and its finished workers' (start-up and every folder they wrote: the pool has joined them);
    None without one, or where ``/proc`` does not tell (``WORKER_CPU`` is what is known then).

    ``danvan bench`` counts this instead of ``WORKER_CPU``: a compile's CPU includes starting
    its worker processes, which ``WORKER_CPU`` never saw (issue 20).
    """
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime, stime, cutime, cstime (fields 14-17 of proc(5)), in clock ticks
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


#: Below this many compilers per worker, starting a pool costs more than it saves.
COMPILERS_PER_WORKER = 4


def compile_workers(compilers: int) -> int:
    """How many processes write ``compilers`` folders: ``DANVAN_COMPILE_WORKERS`` (default: the
    machine's cores), never more than one per COMPILERS_PER_WORKER compilers; 1: in-process."""
    cores = get_settings().compile_workers or os.cpu_count() or 1
    return max(1, min(cores, compilers // COMPILERS_PER_WORKER))


def record(
    year: int,
    compiled: list[Written],
    at: datetime,
    actor: str = "cli",
    out_dir: str | None = None,
    request: int | None = None,
) -> int:
    """One ``Compilation`` row per compiler (the same T and summary again: nothing new); with
    ``out_dir``, its written files kept in the database too, so any machine can hand them out.
    ``request``: the portal's request this compile runs, closed as done in the same transaction
    (cancelled first: ``CompileCancelled``, and nothing is recorded)."""
    new = 0
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        # two compiles: one row. Taken up front in id order, like every writer holding several
        # units' locks (``return``), so two of them never wait for each other in a circle.
        for compiler_id in sorted({ctx.org.ids[c.code] for c in compiled}):
            store.lock_unit(session=session, unit_id=compiler_id)
        if request is not None:
            close_done(session, request, {c.code: c.doc["files"] for c in compiled})
        for c in compiled:
            digest = c.digest  # of the summary.json written (encoded once, by write_one)
            compiler_id = ctx.org.ids[c.code]
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
                folder = Path(out_dir) / c.code
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
                key=f"{year}/{c.code}",
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
    shown = timing.shown(at, ctx.tz)
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
