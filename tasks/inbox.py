"""Thư mục tiếp nhận: take every new file a shared drive or a mail gateway drops in a folder.

The inbox is a door around the batch: it moves files, and records them through the one entry
point of ``submit FILE…`` (:func:`~danvan.tasks.intake.record_submissions`: read outside any
transaction, recorded set-wise in chunks of 1, 2, 4, … files, each chunk's answers handed on
once it is committed).

Every new file is first *claimed* by an atomic rename into ``processing/<run>/`` — a run's own
folder, next to a lock file the run holds for its whole life. Two runs can never claim the same
file (only one rename succeeds), and a crash loses nothing: a claim whose run no longer holds its
lock is moved back into the inbox by the next run. A file recorded just before a crash comes
round again and is recognised by its sha256 (no second version).

As each chunk is committed its files go to ``accepted/`` or ``rejected/`` with a ``.txt`` of the
answer in Vietnamese beside each, and the units are told through their contacts (the outbox). A
run cut off by the database going away has filed every file it recorded (but those of the chunk
whose commit was on the wire); the files it did not reach go back into the inbox and the run
raises :class:`~danvan.tasks.intake.CutOff` naming them, for the next run.

Only submission files are taken (``.xlsx``, ``.yaml``, ``.yml``, ``.json``); other files
(reports, evidence) stay where they are for the submissions that name them. Office lock
files (``~$…``) and hidden files are ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from danvan.rules.errors import reject
from danvan.tasks.intake import CutOff, FileResult, OnAnswer, record_submissions
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
    with _run_folder(inbox) as mine:
        filing = _Filing(inbox, _claim_all(inbox, mine), at, on_answer)
        try:
            record_submissions(
                list(filing.claimed), at, actor, on_answer=filing.answer, base_dir=str(inbox)
            )
        except CutOff as stop:  # the database: no later file can be answered
            raise CutOff(stop.cause, filing.put_back()) from stop.cause
        except _Unfiled as stop:  # recorded, but no room for its answer: the next run files it
            raise CutOff(stop.cause, filing.put_back()) from stop.cause
        except BaseException:  # a bug, an interrupt: nothing claimed stays behind
            filing.put_back()
            raise
    return InboxRun(results=filing.results, recovered=recovered)


def _claim_all(inbox: Path, mine: Path) -> dict[str, str]:
    """Claim every candidate (one rename each); claimed path → the file's name in the inbox,
    in name order. A file another run renamed first is theirs."""
    claimed: dict[str, str] = {}
    for path in sorted(inbox.iterdir()):
        if not _is_candidate(path):
            continue
        target = mine / path.name
        try:
            os.rename(path, target)  # atomic: exactly one run wins a file
        except FileNotFoundError:
            continue  # another run took it
        claimed[str(target)] = path.name
    return claimed


class _Unfiled(Exception):
    """A recorded file whose answer could not be filed (a full disk): the batch stops there."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


class _Filing:
    """Files each answer away as the batch hands it on; puts back what was never answered."""

    def __init__(
        self, inbox: Path, claimed: dict[str, str], at: datetime, on_answer: OnAnswer | None
    ) -> None:
        self.inbox, self.claimed, self.at, self.on_answer = inbox, claimed, at, on_answer
        self.results: list[FileResult] = []
        self.settled: set[str] = set()  # claimed paths filed away (or left for the next run)

    def answer(self, doc: dict) -> None:
        claimed = doc["file"]
        result = FileResult(**{**doc, "file": self.claimed[claimed]})
        self.settled.add(claimed)  # filed, or left in processing/ for the next run to file
        unfiled: OSError | None = None
        try:
            _file_away(self.inbox, Path(claimed), result, self.at)
        except OSError as exc:
            unfiled = exc
        self.results.append(result)
        if self.on_answer is not None:
            self.on_answer(result.to_dict())
        if unfiled is not None:
            raise _Unfiled(unfiled) from unfiled

    def put_back(self) -> list[str]:
        """Move every claimed file not yet answered back into the inbox; their names there."""
        back = []
        for claimed, name in self.claimed.items():
            if claimed in self.settled:
                continue
            target = _free_name(self.inbox, name)
            with contextlib.suppress(FileNotFoundError):
                os.rename(claimed, target)
                back.append(target.name)
        return back


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
    first = [name, f"{stamp}-{name}"] if stamp else [name]
    numbered = (f"{stamp or 'lai'}-{n}-{name}" for n in range(2, 10_000))  # made only if needed
    for candidate in itertools.chain(first, numbered):
        target = folder / candidate
        if not target.exists() and not (folder / f"{candidate}.txt").exists():
            return target
    return folder / f"{uuid.uuid4().hex}-{name}"


def _file_away(inbox: Path, claimed: Path, result: FileResult, at: datetime) -> None:
    """The answer first, then the file beside it: a file is never in ``accepted/`` or
    ``rejected/`` without its whole answer. An answer that cannot be written (a full disk) is
    taken back and the file stays claimed, for the next run to answer again."""
    folder = inbox / (ACCEPTED if result.accepted else REJECTED)
    target = _free_name(folder, claimed.name, at.strftime("%Y%m%d-%H%M%S"))
    answer = target.with_name(target.name + ".txt")
    try:
        answer.write_text(answer_text(result), encoding="utf-8")
    except OSError:
        answer.unlink(missing_ok=True)
        raise
    os.rename(claimed, target)
