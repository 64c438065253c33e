"""Hộp thư đi: every message goes through the ``delivery`` table before it goes out.

1. ``enqueue`` inserts one row per (unit, contact URL, milestone, kind, day) that does not exist
   yet (``INSERT … ON CONFLICT DO NOTHING``): a second run on the same day, even at the same
   instant, inserts nothing. Units sharing a URL each get their own row (SPEC §4.1).
2. ``deliver_pending`` sends the rows still ``pending`` or ``failed`` chunk by chunk. Each chunk is
   claimed in its own transaction (``sending``, with the run's token), sent outside any
   transaction (the network is slow), then its outcomes are recorded. A second run at the same
   moment skips claimed rows (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: one writer).

What a message's state means, and why nothing is sent twice:
- ``sent``: the endpoint accepted it. Never sent again.
- ``failed``: the endpoint refused it or could not be reached: it did not get it. Retried by the
  next run (Apprise retries inside the run too).
- ``unknown``: it may have arrived. A read timeout (the request went out, no answer came) or a
  run that died while the chunk was on the wire. Retrying could deliver it twice, so it is never
  sent again automatically; ``status`` lists it for an official to check with the unit, a run
  that leaves some says so (``tasks.unknown``), and ``danvan resend`` (:func:`requeue_unknown`,
  then :func:`deliver` of just those rows) sends it again once the official has checked: each
  exactly once, through the same claims as every other run.
- ``sending``: claimed by a run that is still alive. Each run holds a lease while it delivers
  (``RunLease``: a PostgreSQL session advisory lock, or an ``flock`` on a file beside the SQLite
  database). The operating system or the server drops the lease when the process dies, however
  it dies, so the next run sees at once that the claimer is gone and settles its rows as
  ``unknown``: a killed run leaves at most one chunk in doubt, never rows "sending" for minutes.
A run also stops claiming new chunks after ``notify_budget_seconds``: what is left stays pending
for the next run, so a hanging endpoint costs one timeout, not minutes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from danvan.config.settings import get_settings
from danvan.models import outbox_sql, store
from danvan.models.db import get_engine, reading, transaction
from danvan.models.lease import RunLease, run_alive
from danvan.models.links import LINK_PLACEHOLDER, links_for_delivery
from danvan.models.tables import Delivery, DeliveryAttempt
from danvan.notify.channels import AppriseNotifier, Notifier, Outcome, Outgoing, redact
from danvan.notify.messages import Queued
from danvan.tasks.attachments import file_attachment, workbook_attachments

#: Reminders a unit receives for its own report: pointless once it has submitted (or revised).
OWN_REMINDERS = ("before", "due", "overdue", "revision")
UNKNOWN_DIED = "lần gửi bị gián đoạn (tiến trình dừng giữa chừng): chưa rõ đơn vị đã nhận hay chưa"


def recipient_key(unit_id: int, url: str) -> str:
    """The recipient of a row: the unit and the URL (hashed: the URL may hold secrets)."""
    return hashlib.sha256(f"{unit_id}\n{url}".encode()).hexdigest()


def default_notifier() -> Notifier:
    return AppriseNotifier.from_settings(get_settings())


def enqueue(
    *, session: Session, cycle_id: int, ids: dict[str, int], items: Iterable[Queued], at: datetime
) -> int:
    """Insert the rows not yet in the outbox; returns how many were new."""
    return len(enqueue_new(session=session, cycle_id=cycle_id, ids=ids, items=items, at=at))


def enqueue_new(
    *, session: Session, cycle_id: int, ids: dict[str, int], items: Iterable[Queued], at: datetime
) -> list[int]:
    """:func:`enqueue`, returning the new rows' ids."""
    rows: dict[tuple, dict] = {}
    for q in items:
        for url in q.to:
            key = (recipient_key(ids[q.unit], url), q.milestone, q.kind, q.day)
            rows.setdefault(
                key,
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
                    "attachment": q.attach,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": at,
                },
            )
    keys = ["cycle_id", "recipient_key", "milestone", "kind", "day"]
    new = list(rows.values())
    return store.insert_new(session=session, model=Delivery, rows=new, keys=keys, returning="id")


def settle_dead_claims(session: Session, cycle_id: int, at: datetime) -> int:
    """Rows left ``sending`` by runs that no longer live become ``unknown`` (never resent)."""
    tokens = outbox_sql.sending_tokens(session=session, cycle_id=cycle_id)
    dead = [t for t in tokens if t is None or not run_alive(session, t)]
    settled = 0
    for token in dead:
        owner = (
            col(Delivery.claimed_by).is_(None) if token is None else Delivery.claimed_by == token
        )
        result = session.execute(
            update(Delivery)
            .where(Delivery.cycle_id == cycle_id, Delivery.status == "sending", owner)
            .values(status="unknown", claimed_by=None, last_error=UNKNOWN_DIED)
        )
        settled += int(getattr(result, "rowcount", 0) or 0)
    return settled


def _cancel_settled(session: Session, cycle_id: int, settled: set[tuple[str, str]]) -> None:
    """A unit's own reminders are dropped once it has done what they were about."""
    if not settled:
        return
    rows = session.exec(
        select(Delivery.id, Delivery.unit_id, Delivery.milestone).where(
            Delivery.cycle_id == cycle_id,
            col(Delivery.status).in_(("pending", "failed")),
            col(Delivery.kind).in_(OWN_REMINDERS),
        )
    ).all()
    codes = store.unit_codes(session=session, unit_ids={unit_id for _, unit_id, _ in rows})
    ids = [i for i, unit_id, m in rows if (codes.get(unit_id), m) in settled]
    if ids:
        session.execute(
            update(Delivery).where(col(Delivery.id).in_(ids)).values(status="cancelled")
        )


def _claim(
    session: Session,
    cycle_id: int,
    token: str,
    after: int,
    limit: int,
    only: Sequence[int] | None = None,
) -> tuple[list[Any], int | None]:
    """Take the next ``limit`` rows to send (ids above ``after``; with ``only``, among those ids)
    for this run. Returns them and the last id looked at (None: nothing left to look at)."""
    window: list[int] | None = None
    if only is not None:  # the next ids of the list, whatever became of them meanwhile
        window = [i for i in only if i > after][:limit]
        if not window:
            return [], None
    rows = outbox_sql.claim_next(
        session=session, cycle_id=cycle_id, token=token, after=after, limit=limit, window=window
    )
    last = max(window) if window else max((r.id for r in rows), default=None)
    return rows, last


def _record(session: Session, rows: Sequence[Any], by_id: dict, at: datetime) -> None:
    """Each outcome in one UPDATE by primary key (an executemany), and one attempt row each."""

    def state(o: Outcome) -> str:
        return "sent" if o.ok else ("unknown" if o.unknown else "failed")

    outbox_sql.record_outcomes(
        session=session,
        outcomes=[
            {
                "row_id": row.id,
                "row_attempts": row.attempts + by_id[row.id].attempts,
                "row_at": at,
                "row_status": state(by_id[row.id]),
                "row_error": by_id[row.id].error,
                "row_sent_at": at if by_id[row.id].ok else None,
            }
            for row in rows
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
            for row in rows
        ],
    )


@dataclass
class Delivered:
    """What a delivering run did: one entry per message it sent or tried (``sent``), and how many
    messages it left ``unknown`` — timed out, or found in the hands of a run that died."""

    sent: list[dict]
    unknown: int = 0


def deliver_pending(
    cycle_id: int,
    at: datetime,
    notifier: Notifier | None = None,
    settled: Iterable[tuple[str, str]] = (),
) -> list[dict]:
    """Send what is pending or failed; ``settled`` (unit, milestone) pairs are done with.

    Returns one entry per message (unit, milestone, kind, day) with its redacted URLs and ``ok``.
    """
    return deliver(cycle_id, at, notifier, settled).sent


def deliver(
    cycle_id: int,
    at: datetime,
    notifier: Notifier | None = None,
    settled: Iterable[tuple[str, str]] = (),
    only: Sequence[int] | None = None,
    entries: bool = True,
) -> Delivered:
    """:func:`deliver_pending`, also counting what the run left ``unknown``; ``only``: send just
    these rows (those ``resend`` queued again), not everything pending; without ``entries`` the
    run does not say what it sent (the portal's courier: nobody to tell, one read fewer)."""
    engine = get_engine()
    settings = get_settings()
    notifier = notifier or default_notifier()
    chunk = max(1, settings.notify_concurrency)
    stop_at = time.monotonic() + settings.notify_budget_seconds
    done: list[Any] = []
    by_id: dict = {}
    ids = sorted(only) if only is not None else None
    orphans: int | None = None
    with RunLease(engine) as lease:
        after = 0
        while time.monotonic() < stop_at:
            if ids is not None and orphans is not None and (not ids or ids[-1] <= after):
                break  # every row asked for was claimed: no transaction to learn it
            with transaction(engine) as session:
                if orphans is None:  # first: what dead runs left, in the first claim's write
                    # (only when sending everything pending: a run sending given rows, the
                    # portal's receipts, leaves other runs' rows to the next ``remind``)
                    orphans = settle_dead_claims(session, cycle_id, at) if ids is None else 0
                    _cancel_settled(session, cycle_id, set(settled))
                rows, last = _claim(session, cycle_id, lease.token, after, chunk, ids)
                links = _portal_links(session, cycle_id, rows, at)
            if last is None:
                break
            after = last
            if not rows:  # those ids were taken or settled by another run meanwhile
                continue
            files = workbook_attachments(cycle_id, rows)
            outcomes = notifier.send(
                [
                    Outgoing(
                        r.id,
                        r.url,
                        r.subject,
                        _with_link(r, links),
                        files.get(r.id or 0, ()) + file_attachment(r.attachment, cycle_id),
                    )
                    for r in rows
                ]
            )
            chunk_by_id = {o.key: o for o in outcomes}
            with transaction(engine) as session:
                _record(session, rows, chunk_by_id, at)
            done += rows
            by_id.update(chunk_by_id)
        if orphans is None and ids is None:  # no time left to claim: still settle the dead's
            with transaction(engine) as session:
                orphans = settle_dead_claims(session, cycle_id, at)
                _cancel_settled(session, cycle_id, set(settled))
    unknown = (orphans or 0) + sum(1 for r in done if by_id[r.id].unknown)
    if not entries:
        return Delivered([], unknown)
    # the names of just the units messaged (the province's ~1,000 codes were read per run)
    with reading(engine) as session:
        codes = store.unit_codes(session=session, unit_ids={r.unit_id for r in done})
    return Delivered(_entries(done, by_id, codes), unknown)


def _portal_links(
    session: Session, cycle_id: int, rows: Sequence[Any], at: datetime
) -> dict[int, str]:
    """A fresh personal link for each recipient unit whose message has a place for one.

    Minted in the claiming transaction, so the token lives only in the message that leaves;
    the stored body keeps the placeholder (see ``danvan.models.links``).
    """
    units = [row.unit_id for row in rows if LINK_PLACEHOLDER in row.body]
    if not units:
        return {}
    return links_for_delivery(
        session=session, cycle_id=cycle_id, unit_ids=units, purpose="message", at=at
    )


def _with_link(row: Any, links: dict[int, str]) -> str:
    if LINK_PLACEHOLDER not in row.body:
        return row.body
    link = links.get(row.unit_id)
    if link is None:  # the portal's address was unset since the message was built
        return "\n".join(line for line in row.body.split("\n") if LINK_PLACEHOLDER not in line)
    return row.body.replace(LINK_PLACEHOLDER, link)


def dispatch(
    cycle_id: int,
    items: Sequence[Queued],
    at: datetime,
    settled: Iterable[tuple[str, str]] = (),
    notifier: Notifier | None = None,
) -> list[dict]:
    """Queue ``items`` (once each) and deliver everything pending or failed for the cycle."""
    return dispatch_counted(cycle_id, items, at, settled, notifier).sent


def dispatch_counted(
    cycle_id: int,
    items: Sequence[Queued],
    at: datetime,
    settled: Iterable[tuple[str, str]] = (),
    notifier: Notifier | None = None,
) -> Delivered:
    """:func:`dispatch`, also counting what the run left ``unknown``."""
    with transaction(get_engine()) as session:
        codes = store.cycle_unit_codes(session=session, cycle_id=cycle_id)
        ids = {code: uid for uid, code in codes.items()}
        enqueue(session=session, cycle_id=cycle_id, ids=ids, items=items, at=at)
    return deliver(cycle_id, at, notifier, settled)


def _entries(rows: Sequence[Any], by_id: dict, codes: dict[int, str]) -> list[dict]:
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
