"""Biên nhận: after files are recorded, each sending unit is told what became of its file,
through its contacts (the outbox), whatever door the file came through: ``danvan submit``, the
portal's upload or the inbox folder (SPEC §4.5); a refusal is told by message only from the
inbox, whose sender is not there to read the answer. One message per version: the outbox's key (unit,
kind ``receipt-v<N>``, the local day the version was first received) keeps a re-run, or the same
file sent again another day, from telling anyone twice; a refusal's kind is
``receipt-x<answer digest>`` on the day it was refused.

The receipt itself (:func:`receipts_for`) is read back from what was recorded, never from the
door's own answer, so the portal's page, the CLI and the message say the same: the *Số tiếp
nhận*, the instant, the version, the totals read and the files received with their sizes.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from danvan.models.context import CycleContext, cached_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Delivery, StoredFile, Submission, SubmissionFile
from danvan.notify.messages import Queued, default_renderer
from danvan.rules import timing
from danvan.rules.errors import Rejected
from danvan.rules.receipt import ROLE_LABELS, receipt_number, size_text
from danvan.rules.text import format_decimal
from danvan.tasks.courier import Courier
from danvan.tasks.intake_contexts import known
from danvan.tasks.intake_result import FileResult
from danvan.tasks.outbox import deliver, enqueue, enqueue_new
from danvan.tasks.remind import cycle_info


@dataclass(frozen=True)
class ReceivedFile:
    """One file of a version as received: the submission itself (``id`` None) or a report or
    evidence file (``id``: its ``submission_file`` row, the key its download goes by)."""

    id: int | None
    role: str  # submission | report | evidence
    label: str  # Tệp tự đánh giá | Báo cáo | Minh chứng
    criterion: str | None
    name: str
    size: int
    size_text: str


@dataclass(frozen=True)
class Receipt:
    """Biên nhận of one version (SPEC §4.5), as every door and the message show it."""

    number: str
    year: int
    unit: str
    version: int
    received_at: datetime
    received_text: str  # local: ``20/11/2024 14:05``
    self_total: str
    bonus: str
    penalty: str
    files: tuple[ReceivedFile, ...]

    def to_dict(self) -> dict:
        return asdict(self) | {"received_at": self.received_at.isoformat()}


def _receipt_reads() -> tuple[Any, Any]:
    """The two reads of :func:`receipts_for`, built once from the tables' columns: the versions
    with their file's size, and the files sent with them (no ORM objects: a portal upload reads
    its receipt in its own transaction, and building the statements and the ORM objects cost
    more CPU than running them)."""
    sub, stored, sent = (m.__table__ for m in (Submission, StoredFile, SubmissionFile))
    versions = (
        sa_select(
            sub.c.id, sub.c.unit_id, sub.c.version, sub.c.file_name, sub.c.submitted_at,
            sub.c.self_total, sub.c.bonus, sub.c.penalty, stored.c.size,
        )
        .join(stored, stored.c.sha256 == sub.c.file_sha256)
        .where(sub.c.cycle_id == bindparam("cycle_id"))
        .where(sub.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
        .where(sub.c.version.in_(bindparam("versions", expanding=True)))
    )  # fmt: skip
    files = (
        sa_select(
            sent.c.id, sent.c.submission_id, sent.c.role, sent.c.criterion, sent.c.file_name,
            sent.c.size,
        )
        .where(sent.c.submission_id.in_(bindparam("ids", expanding=True)))
        .order_by(sent.c.id)
    )  # fmt: skip
    return versions, files


_VERSIONS, _FILES = _receipt_reads()


def receipts_for(
    session: Session, ctx: CycleContext, wanted: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Receipt]:
    """The receipts of ``(unit, version)`` pairs of one cycle, read in two queries whatever their
    number (a batch of 999 files is one read, not 999)."""
    pairs = {(code, v) for code, v in wanted if code in ctx.org.ids}
    if not pairs:
        return {}
    assert ctx.cycle.id is not None
    conn, codes = session.connection(), ctx.org.codes_by_id
    ids = sorted({ctx.org.ids[code] for code, _ in pairs})
    found = conn.execute(
        _VERSIONS,
        {"cycle_id": ctx.cycle.id, "unit_ids": ids, "versions": sorted({v for _, v in pairs})},
    )
    subs = [row for row in found if (codes[row.unit_id], row.version) in pairs]
    attached: dict[int, list[Any]] = {}
    if subs:
        for row in conn.execute(_FILES, {"ids": [s.id for s in subs]}):
            attached.setdefault(row.submission_id, []).append(row)
    out = {}
    for sub in subs:
        code = codes[sub.unit_id]
        files = [_file(None, "submission", None, sub.file_name, sub.size)]
        files += [
            _file(f.id, f.role, f.criterion, f.file_name, f.size) for f in attached.get(sub.id, [])
        ]
        out[(code, sub.version)] = Receipt(
            number=receipt_number(ctx.cycle.year, code, sub.version),
            year=ctx.cycle.year,
            unit=code,
            version=sub.version,
            received_at=sub.submitted_at,
            received_text=timing.to_local(sub.submitted_at, ctx.tz).strftime("%d/%m/%Y %H:%M"),
            self_total=format_decimal(sub.self_total),
            bonus=format_decimal(sub.bonus),
            penalty=format_decimal(sub.penalty),
            files=tuple(files),
        )
    return out


def _file(id: int | None, role: str, criterion: str | None, name: str, size: int) -> ReceivedFile:
    label = ROLE_LABELS.get(role, role) + (f" ({criterion})" if criterion else "")
    return ReceivedFile(id, role, label, criterion, name, size, size_text(size))


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


def queue_receipts(
    session: Session, ctx: CycleContext, results: Sequence[FileResult], at: datetime
) -> int:
    """In the transaction that recorded ``results`` (accepted files of ``ctx``'s cycle): queue
    each unit's receipt in the outbox, once per version; returns how many were new. Delivering
    them is :func:`tell_senders`, after the commit (on the portal: outside the request)."""
    told = [r for r in results if _has_contacts(ctx, r.unit)]  # most units: nobody to tell
    request = known()  # the portal's upload: its answer page shows the receipt, read here once
    shown = told if request is None or request.ctx.cycle.id != ctx.cycle.id else results
    if not shown:
        return 0
    found = receipts_for(session, ctx, [(r.unit, r.version) for r in shown if r.unit and r.version])
    if request is not None and shown is results:
        request.receipts.update(found)
    if not told:
        return 0
    queued = _messages(ctx, told, found, at)
    if not queued:
        return 0
    assert ctx.cycle.id is not None
    cycle_id, ids = ctx.cycle.id, ctx.org.ids
    new = enqueue_new(session=session, cycle_id=cycle_id, ids=ids, items=queued, at=at)
    if request is not None:  # the courier is handed these rows after the answer
        request.queued.setdefault(cycle_id, []).extend(new)
    return len(new)


def _has_contacts(ctx: CycleContext, code: str | None) -> bool:
    unit = ctx.units.get(code or "")
    return unit is not None and bool(unit.contacts) and unit.code in ctx.in_province


def _messages(
    ctx: CycleContext,
    results: Sequence[FileResult],
    found: dict[tuple[str, int], Receipt],
    at: datetime,
) -> list[Queued]:
    """The message of each file's answer to its unit's contacts (a unit without any: none)."""
    renderer = default_renderer()
    info = cycle_info(ctx)
    queued = []
    for r in results:
        unit = ctx.units.get(r.unit or "")
        if unit is None or not unit.contacts or r.unit not in ctx.in_province:
            continue
        receipt = found.get((unit.code, r.version or 0)) if r.accepted else None
        if r.accepted and receipt is None:  # recorded after all, then gone: nothing to say
            continue
        answer = r.to_dict() | {"file": Path(r.file).name, "receipt": receipt}
        message = renderer.receipt(unit.name, info, answer)
        digest = hashlib.sha256(answer_text(r).encode()).hexdigest()[:12]
        tag = f"v{r.version}" if r.accepted else f"x{digest}"
        # once per version: keyed by the day it was first received, not the day it came again
        day = timing.local_date(receipt.received_at if receipt else at, ctx.tz)
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
    return queued


def tell_senders(
    results: Sequence[FileResult], at: datetime, refusals: bool = False, later: bool = False
) -> list[dict]:
    """Tell each unit named by a file what became of it, once per file and answer: the receipt
    (version N, on time or late, or received before; queued by the intake's own transaction),
    and with ``refusals`` the refusal with its reasons. Refusals are told only where nobody saw
    the answer (the inbox folder): at the CLI and on the portal the sender reads it at once, and
    a refused file changes nothing.

    Only these messages are sent (not everything pending in the cycle: that is ``remind``'s
    work). ``later``: hand them to this process's courier (:mod:`danvan.tasks.courier`) and
    return at once — the portal, whose answer must not wait for a slow or dead contact."""
    if later:
        RECEIPTS.post(_handed(results), at)
        return []
    return _tell(results, at, refusals, {}, entries=True)


@dataclass(frozen=True)
class Handed:
    """Outbox rows a portal upload queued (in its recording's transaction), handed to the
    courier by id."""

    cycle_id: int
    ids: tuple[int, ...]


def _handed(results: Sequence[FileResult]) -> list[FileResult | Handed]:
    """What the portal's courier is given: the rows the upload's recording queued, by id (no
    read of the tree or the outbox to find them again), and the accepted files that queued none
    (the same file again: its receipt, if it failed before, is tried again). Outside a portal
    request, the accepted files (the courier finds their rows)."""
    request = known()
    if request is None:
        return [r for r in results if r.accepted]
    handed: list[FileResult | Handed] = [
        Handed(cycle_id, tuple(ids)) for cycle_id, ids in request.queued.items() if ids
    ]
    # a unit nobody to tell: no courier's run at all
    return handed + [
        r for r in results if r.accepted and r.duplicate and _has_contacts(request.ctx, r.unit)
    ]


def _courier(items: list[FileResult | Handed], at: datetime) -> None:
    """The receipts' courier's work: a burst of uploads' rows, sent in one run per cycle."""
    rows: dict[int, set[int]] = {}
    for item in items:
        if isinstance(item, Handed):
            rows.setdefault(item.cycle_id, set()).update(item.ids)
    found = [item for item in items if isinstance(item, FileResult)]
    _tell(found, at, False, rows, entries=False)


def _tell(
    results: Sequence[FileResult],
    at: datetime,
    refusals: bool,
    rows: dict[int, set[int]],
    entries: bool,
) -> list[dict]:
    """:func:`tell_senders`' work; ``rows``: outbox rows to send besides (cycle id → ids);
    ``entries``: return what was sent (the courier's caller has nobody to tell)."""
    sent: list[dict] = []
    found = _by_cycle([r for r in results if r.accepted or refusals]) if results else []
    for ctx, items in found:
        assert ctx.cycle.id is not None
        items = [r for r in items if _has_contacts(ctx, r.unit)]  # most units: nobody to tell
        refused = _messages(ctx, [r for r in items if not r.accepted], {}, at)
        if refused:  # a write only when there is something to queue (SQLite: one writer)
            with transaction(get_engine()) as session:
                cycle_id, ids = ctx.cycle.id, ctx.org.ids
                enqueue(session=session, cycle_id=cycle_id, ids=ids, items=refused, at=at)
        if not items:
            continue
        with reading(get_engine()) as session:
            rows.setdefault(ctx.cycle.id, set()).update(waiting(session, ctx, items))
    for cycle_id, ids in rows.items():
        if ids:
            sent += deliver(cycle_id, at, only=sorted(ids), entries=entries).sent
    return sent


#: Seconds without a new upload's receipt before the courier sends (issue 18): a burst of
#: uploads is answered first, its receipts sent once it has passed (at most 10 s later), so
#: the sending does not take the interpreter and the cores from uploads still waiting.
RECEIPTS_QUIET = 0.25

#: The portal's receipts, delivered after its answers (a burst of uploads: one delivery run).
RECEIPTS: Courier[FileResult | Handed] = Courier("receipts", _courier, quiet=RECEIPTS_QUIET)


def _by_cycle(results: Sequence[FileResult]) -> list[tuple[CycleContext, list[FileResult]]]:
    """The answers grouped by their cycle: a year's only cycle (the tree read once), or, where
    several provinces have one that year, each file's unit's (its province's)."""
    by_year: dict[int, list[FileResult]] = {}
    for r in results:
        if r.unit and r.year:
            by_year.setdefault(r.year, []).append(r)
    groups: dict[int, tuple[CycleContext, list[FileResult]]] = {}
    with reading(get_engine()) as session:
        for year, items in by_year.items():
            try:
                found = [(cached_context(session, year), items)]
            except Rejected:  # no cycle that year (nobody to tell), or several: by unit
                found = []
                for r in items:
                    with contextlib.suppress(Rejected):
                        found.append((cached_context(session, year, r.unit), [r]))
            for ctx, told in found:
                assert ctx.cycle.id is not None
                groups.setdefault(ctx.cycle.id, (ctx, []))[1].extend(told)
    return list(groups.values())


def waiting(session: Session, ctx: CycleContext, results: Sequence[FileResult]) -> list[int]:
    """The outbox rows of these answers' messages still to send (pending, or failed before)."""
    kinds: dict[int, set[str]] = {}
    for r in results:
        if r.unit not in ctx.org.ids:
            continue
        if r.accepted:
            kind = f"receipt-v{r.version}"
        else:
            kind = f"receipt-x{hashlib.sha256(answer_text(r).encode()).hexdigest()[:12]}"
        kinds.setdefault(ctx.org.ids[r.unit or ""], set()).add(kind[:32])
    if not kinds:
        return []
    rows = session.execute(
        sa_select(Delivery.id, Delivery.unit_id, Delivery.kind).where(
            Delivery.cycle_id == ctx.cycle.id,
            col(Delivery.status).in_(("pending", "failed")),
            col(Delivery.unit_id).in_(sorted(kinds)),
            col(Delivery.kind).startswith("receipt-"),
        )
    ).all()
    return sorted(i for i, unit_id, kind in rows if kind in kinds.get(unit_id, ()))
