"""Flow ``remind``: nhắc hạn — send the reminders due at T, once each, and retry failed ones."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from danvan.notify.channels import redact
from danvan.runtime.lazy import (
    ScheduledName,
    artifact_markdown,
    artifact_table,
    flow,
    log,
    outcome,
    run_started_late,
    scheduled_instant,
    task,
)
from danvan.tasks.calendar import remind_run_name
from danvan.tasks.outbox import deliver
from danvan.tasks.progress import progress
from danvan.tasks.remind import cycle_zone, plan_day, queue_day, record_skipped_day
from danvan.tasks.unknown import unknown_line

plan_day_step = task(name="plan-reminders")(plan_day)
deliver_step = task(name="deliver-messages")(deliver)


skipped_step = task(name="record-skipped-day")(record_skipped_day)
enqueue_step = task(name="enqueue-reminders")(queue_day)


@task(name="progress")
def progress_step(year: int, at: datetime) -> None:
    key, markdown, rows = progress(year, at)
    artifact_markdown(key, markdown)
    artifact_table(f"{key}-bang", rows)


@flow(name="remind", flow_run_name=ScheduledName("nhac-viec-", remind_run_name))
def remind(year: int, at: datetime | None = None, dry_run: bool = False) -> dict:
    """Everything due on T's date (from ``send_at`` on), then every pending or failed message.

    ``at`` defaults to the scheduled time of the flow run (deployments); the CLI always passes it.
    """
    scheduled = at is None
    at = at or scheduled_instant()
    if scheduled and run_started_late(cycle_zone(year)):
        day = skipped_step(year, at)
        log(f"run for {day} started after its day: its reminders are not sent late")
        return {"cycle": year, "day": day, "skipped": "started_after_its_day", "sent": []}
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
    delivered = deliver_step(plan.cycle_id, at, None, plan.settled)
    doc["sent"], doc["unknown"] = delivered.sent, delivered.unknown
    failed = [s for s in doc["sent"] if not s["ok"]]
    log(f"{new} new messages queued; {len(doc['sent'])} delivered or attempted")
    for s in failed:
        log(f"failed: {s['unit']} {s['kind']} ({'; '.join(s.get('errors', []))})")
    progress_step(year, at)
    all_failed = bool(doc["sent"]) and len(failed) == len(doc["sent"])
    if all_failed:
        return outcome(doc, f"{len(failed)} tin gửi lỗi", "Gửi lỗi")
    return unknown_outcome(doc, year, delivered.unknown)


def unknown_outcome(doc: dict, year: int, unknown: int) -> dict:
    """A run that left messages ``unknown`` says so: in its log, and under Prefect in its state
    (``Chưa rõ đã gửi``), where the operators watching the runs see it."""
    if not unknown:
        return doc
    line = unknown_line(year, unknown)
    log(line)
    return outcome(doc, line, "Chưa rõ đã gửi")
