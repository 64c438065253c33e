"""Hộp thư đi: every message goes through the ``delivery`` table before it goes out.

1. ``enqueue`` inserts one row per (recipient URL, milestone, kind, day) that does not exist yet,
   in one transaction: a second run on the same day inserts nothing.
2. ``deliver_pending`` sends every row still ``pending`` or ``failed`` (outside any transaction:
   the network is slow), then records each outcome. A failed row is retried by the next run;
   a delivered row is never sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from danvan.config.settings import get_settings
from danvan.db import get_engine, transaction
from danvan.models import store
from danvan.models.tables import Delivery, DeliveryAttempt
from danvan.notify import AppriseNotifier, Notifier, Outgoing, redact
from danvan.portal.links import LINK_PLACEHOLDER, links_for_delivery
from danvan.tasks.attachments import workbook_attachments

#: A claim older than this belongs to a run that died: its rows are sent again.
STALE_CLAIM = timedelta(minutes=15)
#: Reminders a unit receives for its own report: pointless once it has submitted (or revised).
OWN_REMINDERS = ("before", "due", "overdue", "revision")


@dataclass(frozen=True)
class Queued:
    """A message for one unit, to all its contact URLs (built as data before anything is sent)."""

    unit: str
    milestone: str
    kind: str
    day: date
    subject: str
    body: str
    to: tuple[str, ...]
    about: tuple[str, ...] = ()


def recipient_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def default_notifier() -> Notifier:
    return AppriseNotifier.from_settings(get_settings())


def enqueue(
    *, session: Session, cycle_id: int, ids: dict[str, int], items: Iterable[Queued], at: datetime
) -> int:
    """Insert the rows not yet in the outbox; returns how many were new."""
    items = list(items)
    if not items:
        return 0
    days = {q.day for q in items}
    existing = set(
        session.exec(
            select(Delivery.recipient_key, Delivery.milestone, Delivery.kind, Delivery.day).where(
                Delivery.cycle_id == cycle_id, col(Delivery.day).in_(days)
            )
        ).all()
    )
    rows = []
    for q in items:
        for url in dict.fromkeys(q.to):
            key = (recipient_key(url), q.milestone, q.kind, q.day)
            if key in existing:
                continue
            existing.add(key)
            rows.append(
                {
                    "cycle_id": cycle_id,
                    "unit_id": ids[q.unit],
                    "recipient_key": key[0],
                    "url": url,
                    "url_redacted": redact(url),
                    "milestone": q.milestone,
                    "kind": q.kind,
                    "day": q.day,
                    "subject": q.subject,
                    "body": q.body,
                    "about": list(q.about),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": at,
                }
            )
    return store.bulk_insert(session=session, model=Delivery, rows=rows)


def deliver_pending(
    cycle_id: int,
    at: datetime,
    notifier: Notifier | None = None,
    settled: Iterable[tuple[str, str]] = (),
) -> list[dict]:
    """Send what is pending or failed; ``settled`` (unit, milestone) pairs are done with.

    Returns one entry per message (unit, milestone, kind, day) with its redacted URLs and ``ok``.
    """
    engine = get_engine()
    settled = set(settled)
    with transaction(engine) as session:
        rows = _claim(session, cycle_id, at)
        codes = store.load_org(session=session).codes_by_id if rows else {}
        todo: list[Delivery] = []
        for row in rows:
            if row.kind in OWN_REMINDERS and (codes[row.unit_id], row.milestone) in settled:
                row.status = "cancelled"
            else:
                row.status, row.last_attempt_at = "sending", at
                todo.append(row)
        links = _portal_links(session, cycle_id, todo, at)
    files = workbook_attachments(cycle_id, todo)
    outcomes = (notifier or default_notifier()).send(
        [
            Outgoing(
                row.id, row.url, row.subject, _with_link(row, links), files.get(row.id or 0, ())
            )
            for row in todo
        ]
    )
    by_id = {o.key: o for o in outcomes}
    with transaction(engine) as session:
        if todo:  # one bulk UPDATE by primary key, not one round trip per message
            session.execute(
                update(Delivery),
                [
                    {
                        "id": row.id,
                        "attempts": row.attempts + by_id[row.id].attempts,
                        "last_attempt_at": at,
                        "status": "sent" if by_id[row.id].ok else "failed",
                        "last_error": by_id[row.id].error,
                        "sent_at": at if by_id[row.id].ok else None,
                    }
                    for row in todo
                ],
            )
        store.bulk_insert(
            session=session,
            model=DeliveryAttempt,
            rows=[
                {
                    "delivery_id": row.id,
                    "at": at,
                    "ok": by_id[row.id].ok,
                    "tries": by_id[row.id].attempts,
                    "error": by_id[row.id].error,
                }
                for row in todo
            ],
        )
    return _entries(todo, by_id, codes)


def _portal_links(
    session: Session, cycle_id: int, rows: Sequence[Delivery], at: datetime
) -> dict[int, str]:
    """A fresh personal link for each recipient unit whose message has a place for one.

    Minted in the claiming transaction, so the token lives only in the message that leaves;
    the stored body keeps the placeholder (see ``danvan.portal.links``).
    """
    units = [row.unit_id for row in rows if LINK_PLACEHOLDER in row.body]
    if not units:
        return {}
    return links_for_delivery(
        session=session, cycle_id=cycle_id, unit_ids=units, purpose="message", at=at
    )


def _with_link(row: Delivery, links: dict[int, str]) -> str:
    if LINK_PLACEHOLDER not in row.body:
        return row.body
    link = links.get(row.unit_id)
    if link is None:  # the portal's address was unset since the message was built
        return "\n".join(line for line in row.body.split("\n") if LINK_PLACEHOLDER not in line)
    return row.body.replace(LINK_PLACEHOLDER, link)


def _claim(session: Session, cycle_id: int, at: datetime) -> Sequence[Delivery]:
    """Take the rows to send, so that a second ``remind`` running at the same moment skips them.

    Rows left ``sending`` by a run that died are taken again once they are older than
    ``STALE_CLAIM``. PostgreSQL skips rows another transaction holds; SQLite's write lock
    (``BEGIN IMMEDIATE``) already lets one claimer in at a time.
    """
    stale = or_(
        col(Delivery.status).in_(("pending", "failed")),
        (col(Delivery.status) == "sending") & (col(Delivery.last_attempt_at) < at - STALE_CLAIM),
    )
    stmt = select(Delivery).where(Delivery.cycle_id == cycle_id, stale).order_by(col(Delivery.id))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.exec(stmt).all()


def dispatch(
    cycle_id: int,
    items: Sequence[Queued],
    at: datetime,
    settled: Iterable[tuple[str, str]] = (),
    notifier: Notifier | None = None,
) -> list[dict]:
    """Queue ``items`` (once each) and deliver everything pending or failed for the cycle."""
    with transaction(get_engine()) as session:
        ids = store.load_org(session=session).ids
        enqueue(session=session, cycle_id=cycle_id, ids=ids, items=items, at=at)
    return deliver_pending(cycle_id, at, notifier, settled)


def _entries(rows: Sequence[Delivery], by_id: dict, codes: dict[int, str]) -> list[dict]:
    grouped: dict[tuple, dict] = {}
    for row in rows:
        key = (codes[row.unit_id], row.milestone, row.kind, row.day)
        entry = grouped.setdefault(
            key,
            {
                "unit": key[0],
                "milestone": row.milestone,
                "kind": row.kind,
                "day": row.day.isoformat(),
                "about": list(row.about),
                "to": [],
                "ok": True,
                "errors": [],
            },
        )
        entry["to"].append(row.url_redacted)
        if not by_id[row.id].ok:
            entry["ok"] = False
            entry["errors"].append(f"{row.url_redacted}: {by_id[row.id].error}")
    return list(grouped.values())
