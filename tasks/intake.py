"""Tiếp nhận: record self-assessment files (SPEC §4.1), each accepted or refused on its own.

A valid file is recorded even when others of the batch are rejected; a rejected file changes
nothing. The original bytes (and the narrative report file it names) are kept with their sha256.
Sending the very same file again is recognised and records no new version, so a re-run of
``submit`` at the same instant gives the same result.

A batch is read first, outside any transaction (:mod:`danvan.tasks.intake_read`), then recorded
set-wise, a chunk of files per transaction in a handful of statements
(:mod:`danvan.tasks.intake_record`), each file's answer handed on once its chunk is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from danvan.models.db import get_engine, transaction
from danvan.tasks.guard import PASS_THROUGH, internal_error
from danvan.tasks.intake_contexts import CachedContexts, CycleContexts
from danvan.tasks.intake_read import Attachment, Incoming, prepare, read_submission
from danvan.tasks.intake_record import record_set
from danvan.tasks.intake_result import CutOff, FileResult, OnAnswer, rejected

__all__ = [
    "Attachment",
    "CutOff",
    "CycleContexts",
    "FileResult",
    "Incoming",
    "OnAnswer",
    "read_submission",
    "record_one",
    "record_submissions",
]

#: Files recorded per transaction, at most: a few statements each, short enough that another
#: writer (SQLite's one writer; a unit's lock on PostgreSQL) waits a fraction of a second. A
#: batch starts with one file and doubles (1, 2, 4, …): its first answers come at once.
CHUNK = 200


def record_one(
    path: str,
    at: datetime,
    actor: str = "cli",
    contexts: CycleContexts | None = None,
    *,
    expected_unit: str | None = None,
    base_dir: str | None = None,
) -> FileResult:
    """Validate and record one submission file at instant ``at``, in its own transaction.

    ``expected_unit``: the unit known to be sending (the portal's signed-in unit); a workbook
    made for another unit is then refused. ``base_dir``: where the report and evidence files
    sit (default: beside the file).
    """
    contexts = contexts or CycleContexts()
    (answer,) = _record_chunk([path], at, actor, contexts, expected_unit, base_dir)
    return answer


def _record_chunk(
    paths: Sequence[str],
    at: datetime,
    actor: str,
    contexts: CycleContexts,
    expected_unit: str | None,
    base_dir: str | None = None,
) -> list[FileResult]:
    """Read ``paths``, then record those readable, one transaction per cycle they name."""
    answers: list[FileResult | None] = []
    by_cycle: dict[int, list[tuple[int, Incoming]]] = {}
    for i, path in enumerate(paths):
        read = prepare(path, contexts, base_dir)
        if isinstance(read, Incoming):
            by_cycle.setdefault(read.ctx.cycle.id or 0, []).append((i, read))
            read = None
        answers.append(read)
    for placed in by_cycle.values():
        done = _record_items([item for _, item in placed], at, actor, expected_unit)
        for (i, _), answer in zip(placed, done, strict=True):
            answers[i] = answer
    return [a for a in answers if a is not None]


def _record_items(
    items: list[Incoming], at: datetime, actor: str, expected_unit: str | None
) -> list[FileResult]:
    """One transaction for the set; if it fails for a reason that is not the database's (a bug,
    a value nobody thought of), each file again in its own, so that only that file is refused."""
    try:
        with transaction(get_engine()) as session:
            return record_set(session, items[0].ctx, items, at, actor, expected_unit)
    except PASS_THROUGH:
        raise
    except Exception as exc:
        if len(items) == 1:
            return [rejected(items[0].path, internal_error(exc, items[0].path), items[0].doc)]
    return [a for item in items for a in _record_items([item], at, actor, expected_unit)]


def record_submissions(
    paths: list[str],
    at: datetime,
    actor: str = "cli",
    expected_unit: str | None = None,
    from_cache: bool = False,
    on_answer: OnAnswer | None = None,
    base_dir: str | None = None,
) -> list[dict]:
    """One batched step for all files (coarse on purpose: one Prefect task, not one per file).

    ``expected_unit``: the unit known to be sending (the portal's signed-in unit).
    ``from_cache``: take the cycle from the long-lived cache of the tree (the portal, whose
    process lives across uploads) instead of loading it for this batch.
    ``on_answer``: told each file's answer as soon as its chunk is committed, so that a batch
    cut off midway has answered every file it recorded but those of the chunk whose commit
    was on the wire; the cut-off itself raises :class:`CutOff` naming the files not reached
    (that chunk first: sending them again answers "received before").
    ``base_dir``: where the report and evidence files sit (default: beside each file; the
    inbox's files are read from ``processing/`` while what they name stays in the inbox).
    """
    contexts = CachedContexts() if from_cache else CycleContexts()
    answers: list[dict] = []
    start, size = 0, 1
    while start < len(paths):
        chunk = paths[start : start + size]
        try:
            done = _record_chunk(chunk, at, actor, contexts, expected_unit, base_dir)
        except PASS_THROUGH as exc:  # the database, not a file: no later file can be answered
            raise CutOff(exc, paths[start:]) from exc
        for result in done:
            answer = result.to_dict()
            answers.append(answer)
            if on_answer is not None:
                on_answer(answer)
        start, size = start + len(chunk), min(CHUNK, size * 2)
    return answers
