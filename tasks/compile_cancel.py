"""Tổng hợp ngay: a compiler cancels its request, and a request whose Prefect run is gone is
given up (the rows of ``tasks.compile_requests``).

Why through the row: the request may run in a thread of another portal process, or on a Prefect
worker, so the cancel cannot reach the compile itself. It marks the row ``cancelled`` (one
conditional update, under the compiler's unit lock like a claim) and records who did it in the
audit log, in one transaction; a runner that has not started finds nothing queued
(``start``), a running compile looks at the row before each compiler and stops
(``stop_if_cancelled``), and its recording closes the request in its own transaction by the same
kind of update (``close_done``): whichever comes first wins, so a compile is never both
recorded and shown cancelled. ``flows.compile_now.cancel_compile`` then cancels the Prefect run,
if one carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select, update

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import CompileRequest, Cycle, Unit
from danvan.rules import compile_wait, timing
from danvan.tasks.compile_requests import (
    OPEN,
    RequestView,
    after_expiry,
    code_of,
    settle,
    view_of,
    year_of,
)


@dataclass(frozen=True)
class Cancelled:
    """What a cancel did: ``cancelled`` (this call), ``already`` (cancelled before: a second
    click), ``ended`` (done or failed first); and the request as it now stands."""

    outcome: str
    request: RequestView


def cancel(*, year: int, code: str, request_id: int, at: datetime, actor: str) -> Cancelled | None:
    """Cancel the compiler's request ``request_id`` at ``at`` (the door's now) for ``actor``;
    None when it is not this compiler's in this cycle (the page answers 404, as for reading)."""
    expired: list[tuple[int, str | None]] = []
    with transaction(get_engine()) as session:
        row = session.get(CompileRequest, request_id)
        if row is None or code_of(session, row.unit_id) != code:
            return None
        if year_of(session, row.cycle_id) != year:
            return None
        store.lock_unit(session=session, unit_id=row.unit_id)  # as a claim: one at a time
        session.refresh(row)
        was = settle(session, row, year, code, at, expired)  # a dead runner's: failed, not open
        changed = False
        if was in OPEN:
            shown = timing.shown(at, get_settings().timezone)
            problem = compile_wait.cancelled_problem(shown, running=was == "running")
            stmt = (
                update(CompileRequest)
                .where(col(CompileRequest.id) == request_id, col(CompileRequest.status) == was)
                .values(status="cancelled", problem=problem)
            )
            changed = bool(session.execute(stmt).rowcount)
            if changed:
                store.audit(session=session, at=at, actor=actor, action="compile_cancel",
                            entity="compile_request", key=f"{year}/{code}/{request_id}",
                            was=was, run_id=row.run_id)  # fmt: skip
            session.refresh(row)
        view = view_of(row, year, code)
    after_expiry(expired, at)
    if changed:
        return Cancelled("cancelled", view)
    return Cancelled("already" if view.status == "cancelled" else "ended", view)


def queued_on_prefect(year: int, code: str) -> tuple[int, str] | None:
    """The compiler's request still queued for a Prefect run, (its id, the run's id): the one
    a new click would join, checked first by ``flows.compile_now`` (is that run still there?)."""
    stmt = (
        select(CompileRequest.id, CompileRequest.run_id)
        .join(Unit, col(Unit.id) == CompileRequest.unit_id)
        .join(Cycle, col(Cycle.id) == CompileRequest.cycle_id)
        .where(
            Unit.code == code,
            Cycle.year == year,
            CompileRequest.status == "queued",
            col(CompileRequest.run_id).is_not(None),
        )
        .order_by(col(CompileRequest.id))
    )
    with reading(get_engine()) as session:
        found = session.exec(stmt).first()
    if found is None or found[0] is None or found[1] is None:
        return None
    return found[0], found[1]
