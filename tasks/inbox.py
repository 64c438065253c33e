"""Thư mục tiếp nhận: take every new file a shared drive or a mail gateway drops in a folder.

Each file is *claimed* by an atomic rename into ``processing/<run>/`` — a run's own folder,
next to a lock file the run holds for its whole life. Two runs can never claim the same file
(only one rename succeeds), and a crash loses nothing: a claim whose run no longer holds its
lock is moved back into the inbox by the next run. A file recorded just before a crash comes
round again and is recognised by its sha256 (no second version).

After intake the file goes to ``accepted/`` or ``rejected/`` with a ``.txt`` of the answer in
Vietnamese beside it, and the unit is told through its contacts (the outbox).

Only submission files are taken (``.xlsx``, ``.yaml``, ``.yml``, ``.json``); other files
(reports, evidence) stay where they are for the submissions that name them. Office lock
files (``~$…``) and hidden files are ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from danvan.models.context import load_context
from danvan.models.db import get_engine, reading
from danvan.notify.messages import default_renderer
from danvan.rules import timing
from danvan.rules.errors import reject
from danvan.tasks.intake import CycleContexts, FileResult, record_one
from danvan.tasks.outbox import Queued, dispatch
from danvan.tasks.remind import cycle_info

SUBMISSION_EXTS = (".xlsx", ".yaml", ".yml", ".json")
PROCESSING, ACCEPTED, REJECTED = "processing", "accepted", "rejected"


@dataclass
class InboxRun:
    """One pass over the folder: the answers, and the claims it recovered from dead runs."""

    results: list[FileResult]
    recovered: list[str]


def take_inbox(inbox: Path, at: datetime, actor: str = "inbox") -> InboxRun:
    """Claim, record and file away every new submission file of ``inbox``."""
    if not inbox.is_dir():
        raise reject("inbox_missing", "--inbox", f"Không có thư mục “{inbox}”.")
    for sub in (PROCESSING, ACCEPTED, REJECTED):
        (inbox / sub).mkdir(exist_ok=True)
    recovered = _recover_stale(inbox)
    results: list[FileResult] = []
    contexts = CycleContexts()
    with _run_folder(inbox) as mine:
        for path in sorted(inbox.iterdir()):
            if not _is_candidate(path):
                continue
            claimed = mine / path.name
            try:
                os.rename(path, claimed)  # atomic: exactly one run wins a file
            except FileNotFoundError:
                continue  # another run took it
            result = record_one(str(claimed), at, actor, contexts, base_dir=str(inbox))
            result.file = path.name
            _file_away(inbox, claimed, result, at)
            results.append(result)
    return InboxRun(results=results, recovered=recovered)


def _is_candidate(path: Path) -> bool:
    name = path.name
    return (
        not name.startswith((".", "~$"))
        and name.lower().endswith(SUBMISSION_EXTS)
        and path.is_file()
        and not path.is_symlink()
    )


@contextmanager
def _run_folder(inbox: Path) -> Iterator[Path]:
    """``processing/<run>/`` with ``processing/<run>.lock`` held (flock) while the run lives."""
    run = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    folder = inbox / PROCESSING / run
    lock = inbox / PROCESSING / f"{run}.lock"
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        folder.mkdir()
        try:
            yield folder
        finally:
            with contextlib.suppress(OSError):
                folder.rmdir()  # empty unless a file could not be filed away
            lock.unlink(missing_ok=True)


def _recover_stale(inbox: Path) -> list[str]:
    """Put back into the inbox the files of runs that died holding them."""
    back: list[str] = []
    processing = inbox / PROCESSING
    for folder in sorted(p for p in processing.iterdir() if p.is_dir()):
        lock = processing / f"{folder.name}.lock"
        if _held(lock):
            continue
        for path in sorted(folder.iterdir()):
            target = _free_name(inbox, path.name)
            os.rename(path, target)
            back.append(target.name)
        with contextlib.suppress(OSError):
            folder.rmdir()
        lock.unlink(missing_ok=True)
    return back


def _held(lock: Path) -> bool:
    """Is a living run holding this lock? (No lock file at all: the run never started or died.)"""
    try:
        handle = open(lock)  # noqa: SIM115 - closed below in every path
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _free_name(folder: Path, name: str, stamp: str = "") -> Path:
    """``name`` in ``folder``; when taken ``<stamp>-name``, then ``<stamp>-N-name`` (never
    overwrite an earlier file or its answer)."""
    tried = [name, f"{stamp}-{name}"] if stamp else [name]
    tried += [f"{stamp or 'lai'}-{n}-{name}" for n in range(2, 10_000)]
    for candidate in tried:
        target = folder / candidate
        if not target.exists() and not (folder / f"{candidate}.txt").exists():
            return target
    return folder / f"{uuid.uuid4().hex}-{name}"


def _file_away(inbox: Path, claimed: Path, result: FileResult, at: datetime) -> None:
    folder = inbox / (ACCEPTED if result.accepted else REJECTED)
    target = _free_name(folder, claimed.name, at.strftime("%Y%m%d-%H%M%S"))
    os.rename(claimed, target)
    target.with_name(target.name + ".txt").write_text(answer_text(result), encoding="utf-8")


def answer_text(result: FileResult) -> str:
    """The answer as the CLI prints it, in Vietnamese (the ``.txt`` beside the file)."""
    if result.accepted:
        when = "đúng hạn" if result.status == "on_time" else f"trễ {result.days_late} ngày"
        again = " (tệp đã nhận trước đó, không tạo phiên bản mới)" if result.duplicate else ""
        return f"{result.file}: ĐÃ NHẬN {result.unit} phiên bản {result.version}, {when}{again}\n"
    lines = [f"{result.file}: BỊ TỪ CHỐI"]
    for p in result.problems:
        where = f"{p['field']}: " if p["field"] else ""
        lines.append(f"  - {where}{p['message']} [{p['code']}]")
    return "\n".join(lines) + "\n"


def notify_senders(results: list[FileResult], at: datetime) -> list[dict]:
    """Tell each unit named by a file what became of it, once per file and answer."""
    by_year: dict[int, list[FileResult]] = {}
    for r in results:
        if r.unit and r.year:
            by_year.setdefault(r.year, []).append(r)
    sent: list[dict] = []
    renderer = default_renderer()
    for year, items in by_year.items():
        with reading(get_engine()) as session:
            try:
                ctx = load_context(session=session, year=year)
            except Exception:  # a refused file may name a year without a cycle: nobody to tell
                continue
        info = cycle_info(ctx)
        day = timing.local_date(at, ctx.tz)
        queued = []
        for r in items:
            unit = ctx.units.get(r.unit or "")
            if unit is None or not unit.contacts or r.unit not in ctx.province_units:
                continue
            message = renderer.receipt(unit.name, info, r.to_dict())
            digest = hashlib.sha256(answer_text(r).encode()).hexdigest()[:12]
            tag = f"v{r.version}" if r.accepted else f"x{digest}"
            queued.append(
                Queued(
                    unit=unit.code,
                    milestone="self_assessment",
                    kind=f"receipt-{tag}"[:32],
                    day=day,
                    subject=message.subject,
                    body=message.body,
                    to=unit.contacts,
                )
            )
        if queued:
            assert ctx.cycle.id is not None
            sent += dispatch(ctx.cycle.id, queued, at)
    return sent
