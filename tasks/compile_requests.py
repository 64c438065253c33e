"""Tổng hợp ngay: a compiler's request to compile now, claimed, run in the background and read
back as it goes (issue 18). The portal used to wait 7–12 s on the compile; now it claims a row
(:func:`claim`), a runner (a thread of the portal, or a run of the ``tong-hop`` deployment when
a Prefect server is configured) moves it queued → running → done/failed, the compiler may
cancel it meanwhile (``tasks.compile_cancel``), and the page reads it (:func:`request_view`).

Why a row and not a flag in memory: two clicks, or two portal workers, must start one compile.
The claim takes the compiler's unit lock (``store.lock_unit``; SQLite serialises writers) and
finds an open request before adding one. Why a lease: a runner killed mid-compile would leave
the row "running" for ever; its lease (``models.lease``) drops with its process, so the next
read says it failed and the next click starts a new one. Why a wait: a request no runner
starts (a Prefect server with no worker, or its pool paused) would stay "queued" for ever; past
``DANVAN_COMPILE_START_MINUTES`` after it was asked, the first read at ``at`` (the page's, or the
next click's claim) fails it ``[compile_not_started]`` by a conditional update — of several
readers at once exactly one changes the row — and that one, in the same transaction, records the
operators' alert (``tasks.alerts``), then cancels the Prefect run and sends the alert.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import describe_failure, get_engine, reading, redacted_context, transaction
from danvan.models.lease import RunLease, run_alive
from danvan.models.tables import CompileRequest, Cycle, Unit
from danvan.rules import compile_wait
from danvan.rules.alerts import compile_not_started
from danvan.runtime.api import PrefectUnavailable, configured_api_url, connect
from danvan.tasks.alerts import record_alerts, send_soon

logger = logging.getLogger("danvan.compile_requests")

OPEN = ("queued", "running")
ENDED = ("done", "failed", "cancelled")
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
    status: str  # queued | running | done | failed | cancelled
    files: list[str]
    problem: str | None
    run_id: str | None

    @property
    def finished(self) -> bool:
        return self.status in ENDED

    @property
    def ran(self) -> bool:
        """Is the page's "running" step shown as passed? Not for a request given up while
        queued (no runner started it), nor for a cancelled one (stopped, whatever it had done)."""
        return self.status in ("running", "done", "failed") and not (
            self.status == "failed" and compile_wait.never_ran(self.problem)
        )


class CompileCancelled(Exception):
    """Raised in a compile whose request was cancelled (:func:`stop_if_cancelled`): it stops
    before its next compiler and records nothing."""


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
        expired: list[tuple[int, str | None]] = []
        joined = [
            row
            for row in _open(session, ctx.cycle.id, unit_id)
            if settle(session, row, year, code, at, expired) in OPEN
        ]
        if joined:
            view, new = view_of(joined[0], year, code), False
        else:
            row = CompileRequest(
                cycle_id=ctx.cycle.id, unit_id=unit_id, at=at, actor=actor, lease=lease
            )
            session.add(row)
            session.flush()
            view, new = view_of(row, year, code), True
    after_expiry(expired, at)
    return view, new


def give_up(request_id: int, problem: str) -> None:
    """A request still queued whose run will never start (cancelled, crashed on the server)."""
    with transaction(get_engine()) as session:
        _fail_queued(session, request_id, problem)


#: What a request says when the server has no ``tong-hop`` deployment to run it.
NO_DEPLOYMENT = (
    "Máy chủ Prefect không nhận lần tổng hợp (chưa có deployment tong-hop: danvan serve). "
    "[deployment_missing]"
)


def set_run(request_id: int, run_id: str | None) -> None:
    """The Prefect flow run that will run the request (None: the server has no deployment to
    take it, and the request failed; a request cancelled meanwhile stays so)."""
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        assert row is not None
        if run_id is None and row.status in OPEN:
            row.status, row.problem = "failed", NO_DEPLOYMENT
        row.run_id = run_id
        session.add(row)


def start(request_id: int, lease: str) -> tuple[int, str, datetime, str] | None:
    """Mark the request running under ``lease``; its (year, compiler, at, actor), or None when
    it is not queued any more (a run of the same request started twice runs once)."""
    with transaction(get_engine()) as session:
        stmt = (
            update(CompileRequest)
            .where(col(CompileRequest.id) == request_id, col(CompileRequest.status) == "queued")
            .values(status="running", lease=lease)
        )  # conditional: a request given up meanwhile (not started in time) stays failed
        if not session.execute(stmt).rowcount:
            return None
        row = session.get(CompileRequest, request_id)
        assert row is not None
        return year_of(session, row.cycle_id), code_of(session, row.unit_id), row.at, row.actor


def finish(request_id: int, files: list[str] | None, problem: str | None = None) -> None:
    """Done with the compiler's files, or failed with a Vietnamese line (``problem``); a request
    cancelled meanwhile (or already closed by the compile's recording) is left as it is."""
    with transaction(get_engine()) as session:
        _close(session, request_id, "failed" if problem else "done", files, problem)


def close_done(session: Session, request_id: int, files_of: Mapping[str, list[str]]) -> None:
    """In the compile's recording transaction (after its unit locks): the request done with its
    compiler's files (``files_of``: each compiler's), or :class:`CompileCancelled`, rolling the
    recording back, when it was cancelled first. One conditional update: a cancel and the
    recording never both win (``tasks.compile_cancel``)."""
    row = session.get(CompileRequest, request_id)
    code = code_of(session, row.unit_id) if row is not None else ""
    files = [f for f in files_of.get(code, []) if f != "summary.json"]
    if not _close(session, request_id, "done", files, None):
        raise CompileCancelled(request_id)


def stop_if_cancelled(request_id: int | None) -> None:
    """:class:`CompileCancelled` when the request has been cancelled (a compile looks between
    its steps: the cancel may come from another portal process, so the row says it)."""
    if request_id is None:
        return
    with reading(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is not None and row.status == "cancelled":
            raise CompileCancelled(request_id)


def _close(
    session: Session, request_id: int, status: str, files: list[str] | None, problem: str | None
) -> bool:
    stmt = (
        update(CompileRequest)
        .where(col(CompileRequest.id) == request_id, col(CompileRequest.status).in_(OPEN))
        .values(status=status, files=files, problem=problem)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


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


def request_view(
    *, year: int, code: str, request_id: int, at: datetime | None = None
) -> RequestView | None:
    """The request as it stands at ``at`` (a dead runner's reads as failed; one still queued
    past its wait is failed here, see the module); None when it is not this compiler's in this
    cycle (the page answers 404: no hint of another's). Without ``at``, no wait applies."""
    with reading(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is None or code_of(session, row.unit_id) != code:
            return None
        if year_of(session, row.cycle_id) != year:
            return None
        view = view_of(row, year, code)
        dead = row.status in OPEN and row.lease and not run_alive(session, row.lease)
    if at is not None and view.status == "queued" and not dead and _late(view.at, at):
        expired: list[tuple[int, str | None]] = []
        with transaction(get_engine()) as session:
            row = session.get(CompileRequest, request_id)
            assert row is not None
            _expire(session, row, year, code, at, expired)
            view = view_of(row, year, code)
        after_expiry(expired, at)
        return view
    if not dead:
        return view
    # The lease is dropped just after the runner's last commit: read the row again (a new
    # snapshot) before calling it interrupted.
    with reading(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        assert row is not None
        view = view_of(row, year, code)
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


def settle(
    session: Session,
    row: CompileRequest,
    year: int,
    code: str,
    at: datetime,
    expired: list[tuple[int, str | None]],
) -> str:
    """An open request whose runner is gone, or still queued past its wait at ``at``, is failed
    (inside the claim's transaction)."""
    if row.lease and not run_alive(session, row.lease):
        session.refresh(row)  # finished just before its lease went (PostgreSQL reads it)
        if row.status in OPEN:
            row.status, row.problem = "failed", INTERRUPTED
            session.add(row)
    elif row.status == "queued" and _late(row.at, at):
        _expire(session, row, year, code, at, expired)
    return row.status


def _wait() -> timedelta:
    return compile_wait.wait_of(get_settings().compile_start_minutes)


def _late(asked: datetime, at: datetime) -> bool:
    return compile_wait.not_started_in_time(asked, at, _wait())


def _fail_queued(session: Session, request_id: int, problem: str) -> bool:
    """Fail the request if it is still queued; True when this call changed it. A conditional
    update: of two transactions at once, the second waits for the first's row lock (PostgreSQL;
    SQLite runs them one after the other) and then finds nothing queued."""
    stmt = (
        update(CompileRequest)
        .where(col(CompileRequest.id) == request_id, col(CompileRequest.status) == "queued")
        .values(status="failed", problem=problem)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _expire(
    session: Session,
    row: CompileRequest,
    year: int,
    code: str,
    at: datetime,
    expired: list[tuple[int, str | None]],
) -> None:
    """Fail ``row`` as not started in time; the one reader that changes it records the
    operators' alert in the same transaction and adds the row to ``expired`` (for
    :func:`after_expiry`, once committed). ``row`` is read again either way."""
    assert row.id is not None
    wait = _wait()
    if _fail_queued(session, row.id, compile_wait.not_started_problem(wait)):
        api = configured_api_url()
        alert = compile_not_started(
            request_id=row.id, compiler=code, year=year, asked=row.at,
            wait=compile_wait.minutes_text(wait), run_id=row.run_id,
            tz=get_settings().timezone, ui=api.removesuffix("/api") if api else None,
        )  # fmt: skip
        record_alerts(session, [alert], at)
        expired.append((row.id, row.run_id))
    session.refresh(row)


def after_expiry(expired: list[tuple[int, str | None]], at: datetime) -> None:
    """Once the expiry is committed: cancel each request's Prefect run (as ``prefect flow-run
    cancel`` does; a run that a worker starts anyway finds its request failed and does
    nothing), then send the alerts from the courier."""
    if not expired:
        return
    runs = [(request_id, run_id) for request_id, run_id in expired if run_id]
    rest = connect() if runs else None
    if rest is not None:
        with rest:
            for request_id, run_id in runs:
                try:
                    rest.cancel_run(str(run_id), compile_wait.not_started_problem(_wait()))
                except PrefectUnavailable as exc:
                    logger.warning("compile request %s: run not cancelled (%s)", request_id, exc)
    send_soon(at)


def view_of(row: CompileRequest, year: int, code: str) -> RequestView:
    assert row.id is not None
    return RequestView(
        id=row.id, year=year, compiler=code, at=row.at, status=row.status,
        files=list(row.files or []), problem=row.problem, run_id=row.run_id,
    )  # fmt: skip


def code_of(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    assert unit is not None
    return unit.code


def year_of(session: Session, cycle_id: int) -> int:
    cycle = session.get(Cycle, cycle_id)
    assert cycle is not None
    return cycle.year
