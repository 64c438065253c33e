"""Báo người vận hành (SPEC §5): the operators hear, once and in Vietnamese, of a Prefect run
that failed or crashed, a run whose deliveries all failed, a sign-off waiting a day after its time.

Run by the reconciliation (``theo-doi``, every few minutes and after each command), which asks
Prefect's API for such runs; :mod:`danvan.rules.alerts` says which deserve an alert and what it
says. Why here and not in Prefect's ``on_failure``/``on_crashed`` hooks: a hook runs in the
run's own process, and a worker killed mid-run runs nothing (the run is marked Crashed later by
the zombie automation, server-side). Why not a Prefect notification action: it would keep the
operators' Apprise URLs (which carry tokens) in Prefect's database, in English templates. Here
each alert is one row per contact (``operator_alert``, unique key): inserted once, claimed by
one sender, sent through Apprise, failures retried by the next look, never a second success.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlmodel import Session, col, select, update

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.db import get_engine, transaction
from danvan.models.tables import OperatorAlert
from danvan.notify.channels import Notifier, Outgoing, redact
from danvan.rules.alerts import DELIVERIES_FAILED, Alert, alerts_for
from danvan.runtime.api import PrefectRest
from danvan.tasks.calendar import DEPLOYMENTS
from danvan.tasks.courier import Courier
from danvan.tasks.outbox import default_notifier


def operator_contacts() -> list[str]:
    """``DANVAN_OPERATOR_CONTACTS``: Apprise URLs separated by commas or spaces."""
    return [u for u in re.split(r"[,\s]+", get_settings().operator_contacts) if u]


def runs_to_check(rest: PrefectRest) -> list[dict]:
    """danvan's runs that may call for an alert: failed or crashed, completed with every
    delivery failed, and the publication runs waiting for the sign-off (however started)."""
    runs = rest.runs(["danvan"], states=["FAILED", "CRASHED"])
    runs += rest.runs(["danvan"], states=["COMPLETED"], state_names=[DELIVERIES_FAILED])
    publication = rest.deployment_id(*DEPLOYMENTS["xep-loai"])
    if publication is not None:
        runs += rest.runs([], states=["PAUSED"], deployment=publication)
    return runs


def tell_operators(rest: PrefectRest, at: datetime, notifier: Notifier | None = None) -> list[dict]:
    """Record the alerts the runs call for at ``at`` (once each) and send what is unsent.
    Returns one entry per message sent or attempted (redacted contact, reason, run, ok)."""
    if not operator_contacts():
        return []
    settings = get_settings()
    ui = rest.url.removesuffix("/api")
    alerts = alerts_for(runs_to_check(rest), at, settings.timezone, ui)
    with transaction(get_engine()) as session:
        record_alerts(session, alerts, at)
    return send_waiting(at, notifier)


def record_alerts(session: Session, alerts: list[Alert], at: datetime) -> None:
    """Keep ``alerts`` for every operator contact, in the caller's transaction (so an alert
    is recorded with what it tells of, or not at all); an alert already kept is not added
    again (its key is unique)."""
    contacts = operator_contacts()
    rows = [_row(alert, url, at) for alert in alerts for url in contacts]
    if rows:
        store.insert_ignore(session=session, model=OperatorAlert, rows=rows, keys=["key"])


def send_waiting(at: datetime, notifier: Notifier | None = None) -> list[dict]:
    """Send every alert not sent yet, each claimed first (two senders at once send it once)."""
    engine = get_engine()
    with transaction(engine) as session:
        waiting = session.exec(
            select(OperatorAlert).where(col(OperatorAlert.status).in_(("pending", "failed")))
        ).all()
        claimed = [row for row in waiting if _claim(session, row.id or 0)]
    if not claimed:
        return []
    outcomes = (notifier or default_notifier()).send(
        [Outgoing(r.id, r.url, r.subject, r.body) for r in claimed]
    )
    by_id = {o.key: o for o in outcomes}
    with transaction(engine) as session:
        for r in claimed:
            o = by_id[r.id]
            r.status = "sent" if o.ok or o.unknown else "failed"  # unknown: may have arrived
            r.sent_at = at if r.status == "sent" else None
            r.last_error = None if o.ok else (o.error or "không rõ")
            session.add(r)
    return [
        {"to": r.url_redacted, "reason": r.reason, "run": r.run_name, "ok": by_id[r.id].ok}
        for r in claimed
    ]


def _send_posted(_: list[None], at: datetime) -> None:
    send_waiting(at)


#: Sends the alerts a door recorded (a compile request nobody took) after its answer, so the
#: page never waits on an operator's contact; what it never reaches, the next ``theo-doi`` sends.
COURIER: Courier[None] = Courier("operator-alerts", _send_posted)


def send_soon(at: datetime) -> None:
    """Send the waiting alerts from this process's courier thread; returns at once."""
    COURIER.post([None], at)


def _row(alert: Alert, url: str, at: datetime) -> dict:
    contact = hashlib.sha256(url.encode()).hexdigest()[:16]
    return {
        "key": f"{alert.key}:{contact}",
        "url": url,
        "url_redacted": redact(url),
        "reason": alert.reason,
        "run_id": alert.run_id,
        "run_name": alert.run_name,
        "subject": alert.subject,
        "body": alert.body,
        "status": "pending",
        "created_at": at,
    }


def _claim(session: object, row_id: int) -> bool:
    """Take the row for this sender (another looking at the same time gets nothing)."""
    stmt = (
        update(OperatorAlert)
        .where(
            col(OperatorAlert.id) == row_id, col(OperatorAlert.status).in_(("pending", "failed"))
        )
        .values(status="sending")
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
