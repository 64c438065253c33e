"""Tổng hợp ngay: a compiler's request to compile now, claimed, run in the background and read
back as it goes (issue 18). The portal used to wait 7–12 s on the compile; now it claims a row
(:func:`claim`), a runner (a thread of the portal, or a run of the ``tong-hop`` deployment when
a Prefect server is configured) moves it queued → running → done/failed, and the page reads it
(:func:`request_view`).

Why a row and not a flag in memory: two clicks, or two portal workers, must start one compile.
The claim takes the compiler's unit lock (``store.lock_unit``; SQLite serialises writers) and
finds an open request before adding one. Why a lease: a runner killed mid-compile would leave
the row "running" for ever; its lease (``models.lease``) drops with its process, so the next
read says it failed and the next click starts a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import describe_failure, get_engine, reading, redacted_context, transaction
from danvan.models.lease import RunLease, run_alive
from danvan.models.tables import CompileRequest, Cycle, Unit

logger = logging.getLogger("danvan.compile_requests")

OPEN = ("queued", "running")
#: What a request whose runner died says (the compile's files, if any, are whole or absent:
#: ``compile`` writes atomically).
INTERRUPTED = "Lần tổng hợp bị gián đoạn (máy chạy đã dừng); bấm Tổng hợp ngay để chạy lại. [compile_interrupted]"


@dataclass(frozen=True)
class RequestView:
    """One request as the progress page shows it."""

    id: int
    year: int
    compiler: str
    at: datetime
    status: str  # queued | running | done | failed
    files: list[str]
    problem: str | None
    run_id: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def hold_lease() -> RunLease:
    """A lease for a runner in this process (entered: release it with ``__exit__``)."""
    return RunLease(get_engine()).__enter__()


def claim(
    *, year: int, code: str, at: datetime, actor: str, lease: str | None = None
) -> tuple[RequestView, bool]:
    """The compiler's open request, or a new one queued at ``at``; True when new (the caller
    starts it). ``lease``: the token of the runner that will run a new one in this process."""
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year, unit=code)
        assert ctx.cycle.id is not None
        unit_id = ctx.org.ids[code]
        store.lock_unit(session=session, unit_id=unit_id)  # two clicks: the second waits here
        for row in _open(session, ctx.cycle.id, unit_id):
            if _settle(session, row) in OPEN:
                return _view(row, year, code), False
        row = CompileRequest(
            cycle_id=ctx.cycle.id, unit_id=unit_id, at=at, actor=actor, lease=lease
        )
        session.add(row)
        session.flush()
        return _view(row, year, code), True


def give_up(request_id: int, problem: str) -> None:
    """A request still queued whose run will never start (cancelled, crashed on the server)."""
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is not None and row.status == "queued":
            row.status, row.problem = "failed", problem
            session.add(row)


def set_run(request_id: int, run_id: str | None) -> None:
    """The Prefect flow run that will run the request (None: the server would not take it,
    and the request failed)."""
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        assert row is not None
        if run_id is None:
            row.status = "failed"
            row.problem = (
                "Máy chủ Prefect không nhận lần tổng hợp (chưa có deployment tong-hop: "
                "danvan serve). [deployment_missing]"
            )
        row.run_id = run_id
        session.add(row)


def start(request_id: int, lease: str) -> tuple[int, str, datetime, str] | None:
    """Mark the request running under ``lease``; its (year, compiler, at, actor), or None when
    it is not queued any more (a run of the same request started twice runs once)."""
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is None or row.status != "queued":
            return None
        row.status, row.lease = "running", lease
        session.add(row)
        return _year(session, row.cycle_id), _code(session, row.unit_id), row.at, row.actor


def finish(request_id: int, files: list[str] | None, problem: str | None = None) -> None:
    """Done with the compiler's files, or failed with a Vietnamese line (``problem``)."""
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        assert row is not None
        row.status = "failed" if problem else "done"
        row.files, row.problem = files, problem
        session.add(row)


def fail(request_id: int, exc: BaseException) -> None:
    """A compile that failed with no rule's answer (the disk, the database, a bug): a sentence
    for the compiler, the code and a redacted context in the log. No server path on the page:
    the operator finds it in the log."""
    sentence, code = describe_failure(exc)
    logger.error("compile request %s failed [%s] %s", request_id, code, redacted_context(exc))
    if code == "os_error":
        sentence = (
            "Máy chủ không ghi được các tệp báo cáo; người vận hành cần kiểm tra thư mục kết quả."
        )
    finish(request_id, None, f"{sentence} Bấm Tổng hợp ngay để thử lại. [{code}]")


def request_view(*, year: int, code: str, request_id: int) -> RequestView | None:
    """The request as it stands (a dead runner's reads as failed); None when it is not this
    compiler's in this cycle (the page answers 404: no hint of another's)."""
    with reading(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is None or _code(session, row.unit_id) != code:
            return None
        if _year(session, row.cycle_id) != year:
            return None
        view = _view(row, year, code)
        dead = row.status in OPEN and row.lease and not run_alive(session, row.lease)
    if not dead:
        return view
    # The lease is dropped just after the runner's last commit: read the row again (a new
    # snapshot) before calling it interrupted.
    with reading(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        assert row is not None
        view = _view(row, year, code)
    if view.status in OPEN:
        return RequestView(**{**view.__dict__, "status": "failed", "problem": INTERRUPTED})
    return view


def _open(session: Session, cycle_id: int, unit_id: int) -> list[CompileRequest]:
    stmt = select(CompileRequest).where(
        CompileRequest.cycle_id == cycle_id,
        CompileRequest.unit_id == unit_id,
        col(CompileRequest.status).in_(OPEN),
    )
    return list(session.exec(stmt).all())


def _settle(session: Session, row: CompileRequest) -> str:
    """An open request whose runner is gone is failed (inside the claim's transaction)."""
    if row.lease and not run_alive(session, row.lease):
        session.refresh(row)  # finished just before its lease went (PostgreSQL reads it)
        if row.status in OPEN:
            row.status, row.problem = "failed", INTERRUPTED
            session.add(row)
    return row.status


def _view(row: CompileRequest, year: int, code: str) -> RequestView:
    assert row.id is not None
    return RequestView(
        id=row.id, year=year, compiler=code, at=row.at, status=row.status,
        files=list(row.files or []), problem=row.problem, run_id=row.run_id,
    )  # fmt: skip


def _code(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    assert unit is not None
    return unit.code


def _year(session: Session, cycle_id: int) -> int:
    cycle = session.get(Cycle, cycle_id)
    assert cycle is not None
    return cycle.year
