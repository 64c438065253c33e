"""Flow ``remind``: nhắc hạn — send the reminders due at T, once each, and retry failed ones."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from danvan.notify import redact
from danvan.runtime import flow, log, scheduled_instant, task
from danvan.tasks.outbox import deliver_pending, enqueue
from danvan.tasks.remind import DayPlan, plan_day

plan_day_step = task(name="plan-reminders")(plan_day)
deliver_step = task(name="deliver-messages")(deliver_pending)


@task(name="enqueue-reminders")
def enqueue_step(plan: DayPlan, at: datetime) -> int:
    from danvan.db import get_engine, transaction
    from danvan.models import store

    with transaction(get_engine()) as session:
        ids = store.load_org(session=session).ids
        return enqueue(session=session, cycle_id=plan.cycle_id, ids=ids, items=plan.queued, at=at)


@flow(name="remind", flow_run_name="remind-{year}")
def remind(year: int, at: datetime | None = None, dry_run: bool = False) -> dict:
    """Everything due on T's date (from ``send_at`` on), then every pending or failed message.

    ``at`` defaults to the scheduled time of the flow run (deployments); the CLI always passes it.
    """
    at = at or scheduled_instant()
    plan = plan_day_step(year, at)
    doc: dict = {"cycle": year, "at": plan.at_local, "day": plan.day.isoformat()}
    doc["skipped_no_contact"] = plan.skipped_no_contact
    if dry_run:  # contact URLs in Apprise's privacy form: a dry run is read on screens and logs
        doc["would_send"] = [
            {**asdict(q), "day": q.day.isoformat(), "to": [redact(u) for u in q.to]}
            | {"about": list(q.about)}
            for q in plan.queued
        ]
        return doc
    if not plan.open:  # before send_at nothing goes out, retries included
        doc["sent"] = []
        return doc
    new = enqueue_step(plan, at)
    doc["sent"] = deliver_step(plan.cycle_id, at, None, plan.settled)
    log(f"{new} new messages queued; {len(doc['sent'])} delivered or attempted")
    return doc
