"""Thư mục tiếp nhận: take every new file a shared drive or a mail gateway drops in a folder.

Each file is *claimed* by an atomic rename into ``processing/<run>/`` — a run's own folder,
next to a lock file the run holds for its whole life. Two runs can never claim the same file
(only one rename succeeds), and a crash loses nothing: a claim whose run no longer holds its
lock is moved back into the inbox by the next run. A file recorded just before a crash comes
round again and is recognised by its sha256 (no second version).

After intake the file goes to ``accepted/`` or ``rejected/`` with a ``.txt`` of the answer in
Vietnamese beside it, each file as soon as it is settled, and the unit is told through its
contacts (the outbox). A run cut off by the database going away has filed every file it
recorded; the file in hand goes back into the inbox and the run raises
:class:`~danvan.tasks.intake.CutOff` naming the files it did not reach, still in the inbox for
the next run.

Only submission files are taken (``.xlsx``, ``.yaml``, ``.yml``, ``.json``); other files
(reports, evidence) stay where they are for the submissions that name them. Office lock
files (``~$…``) and hidden files are ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from danvan.rules.errors import reject
from danvan.tasks.guard import PASS_THROUGH
from danvan.tasks.intake import CutOff, CycleContexts, FileResult, OnAnswer, record_one
from danvan.tasks.receipts import answer_text

SUBMISSION_EXTS = (".xlsx", ".yaml", ".yml", ".json")
PROCESSING, ACCEPTED, REJECTED = "processing", "accepted", "rejected"


@dataclass
class InboxRun:
    """One pass over the folder: the answers, and the claims it recovered from dead runs."""

    results: list[FileResult]
    recovered: list[str]


def take_inbox(
    inbox: Path, at: datetime, actor: str = "inbox", on_answer: OnAnswer | None = None
) -> InboxRun:
    """Claim, record and file away every new submission file of ``inbox``; ``on_answer`` is told
    each file's answer as soon as its ``.txt`` is written."""
    if not inbox.is_dir():
        raise reject("inbox_missing", "--inbox", f"Không có thư mục “{inbox}”.")
    for sub in (PROCESSING, ACCEPTED, REJECTED):
        (inbox / sub).mkdir(exist_ok=True)
    recovered = _recover_stale(inbox)
    results: list[FileResult] = []
    contexts = CycleContexts()
    with _run_folder(inbox) as mine:
        candidates = [p for p in sorted(inbox.iterdir()) if _is_candidate(p)]
        for i, path in enumerate(candidates):
            claimed = mine / path.name
            try:
                os.rename(path, claimed)  # atomic: exactly one run wins a file
            except FileNotFoundError:
                continue  # another run took it
            try:
                result = record_one(str(claimed), at, actor, contexts, base_dir=str(inbox))
            except PASS_THROUGH as exc:  # the database went away: nothing more can be answered
                back = _free_name(inbox, path.name)
                os.rename(claimed, back)  # not recorded: back into the inbox for the next run
                raise CutOff(exc, [back.name, *_still_there(candidates[i + 1 :])]) from exc
            result.file = path.name
            unfiled: OSError | None = None
            try:
                _file_away(inbox, claimed, result, at)
            except OSError as exc:  # recorded, but no room for its answer: the next run files it
                unfiled = exc
            results.append(result)
            if on_answer is not None:
                on_answer(result.to_dict())
            if unfiled is not None:
                raise CutOff(unfiled, _still_there(candidates[i + 1 :])) from unfiled
    return InboxRun(results=results, recovered=recovered)


def _still_there(paths: list[Path]) -> list[str]:
    """The names of those files still in the inbox (not taken by another run meanwhile)."""
    return [p.name for p in paths if p.exists()]


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
