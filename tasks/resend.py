"""Gửi lại: the messages whose delivery is unknown, put back in the queue on an official's word
(``danvan resend``), once each and audited; then how those rows stand.

Kept apart from the outbox's sending (:mod:`danvan.tasks.outbox`), which never resends an
``unknown`` message by itself: a retry could deliver it twice. What people are told about such
messages is :mod:`danvan.tasks.unknown`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, func, select

from danvan.models import store
from danvan.models.context import load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import Delivery
from danvan.rules.errors import reject

#: The kinds of message, as ``resend --kind`` takes them (``receipt``: every ``receipt-…``).
KINDS = ("announcement", "before", "due", "overdue", "escalation", "digest", "returned",
         "revision", "receipt", "compiled", "result")  # fmt: skip


@dataclass
class Requeued:
    """The ``unknown`` messages an official asked to send again, now ``pending``."""

    cycle_id: int
    ids: list[int]
    messages: list[dict]  # unit, milestone, kind, day, to (redacted), as audited


def requeue_unknown(
    year: int,
    at: datetime,
    unit: str | None = None,
    kind: str | None = None,
    actor: str = "cli",
) -> Requeued:
    """Put the cycle's ``unknown`` messages (of ``unit``, of ``kind``) back in the queue, once an
    official has checked that they did not arrive; audited.

    Atomic: two ``resend`` at once queue each message once (the second finds them no longer
    ``unknown``), and a run sending meanwhile cannot see them half-way.
    """
    if kind is not None and kind not in KINDS:
        raise reject("unknown_kind", "--kind",
                     f"Không có loại tin “{kind[:40]}”; một trong: {', '.join(KINDS)}.")  # fmt: skip
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        cycle_id = ctx.cycle.id
        assert cycle_id is not None
        stmt = select(Delivery).where(Delivery.cycle_id == cycle_id, Delivery.status == "unknown")
        if unit is not None:
            if unit not in ctx.in_province:
                raise reject(
                    "unknown_unit", "--unit", f"Không có đơn vị mã “{unit}” trong kỳ {year}."
                )
            stmt = stmt.where(Delivery.unit_id == ctx.org.ids[unit])
        if kind == "receipt":
            stmt = stmt.where(col(Delivery.kind).startswith("receipt-"))
        elif kind is not None:
            stmt = stmt.where(Delivery.kind == kind)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()  # a second resend waits, then finds them pending
        rows = list(session.exec(stmt.order_by(col(Delivery.id))).all())
        ids = [r.id for r in rows if r.id is not None]
        codes = ctx.org.codes_by_id
        messages = [
            {"unit": codes.get(r.unit_id), "milestone": r.milestone, "kind": r.kind,
             "day": r.day.isoformat(), "to": r.url_redacted}
            for r in rows
        ]  # fmt: skip
        if ids:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(ids), Delivery.status == "unknown")
                .values(status="pending", claimed_by=None)
            )
            store.audit(
                session=session, at=at, actor=actor, action="resend", entity="delivery",
                key=f"{ctx.province}/{year}", unit=unit, kind=kind, messages=messages,
            )  # fmt: skip
    return Requeued(cycle_id, ids, messages)


def delivery_states(cycle_id: int, ids: Sequence[int]) -> dict[str, int]:
    """How many of these rows are in each state now (after a ``resend``: sent, failed, unknown
    again, cancelled because the unit has since done what they were about, or still pending)."""
    if not ids:
        return {}
    with reading(get_engine()) as session:
        rows = session.exec(
            select(Delivery.status, func.count())
            .where(Delivery.cycle_id == cycle_id, col(Delivery.id).in_(list(ids)))
            .group_by(Delivery.status)
        ).all()
    return {status: n for status, n in rows}
