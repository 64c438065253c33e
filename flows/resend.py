"""Flow ``resend``: gửi lại — messages left ``unknown`` sent again once an official has checked.

A message whose delivery is unknown (a time-out, a run cut off while sending) is never resent by
itself: it may have arrived (SPEC §4.1). After checking with the unit, an official queues those
that did not arrive again; each is then sent exactly once, through the outbox's claims.
"""

from __future__ import annotations

from datetime import datetime

from danvan.flows.remind import unknown_outcome
from danvan.runtime.lazy import flow, log, task
from danvan.tasks.outbox import deliver
from danvan.tasks.remind import settled_at
from danvan.tasks.resend import delivery_states, requeue_unknown

requeue_step = task(name="requeue-unknown")(requeue_unknown)
settled_step = task(name="settled-at")(settled_at)
deliver_step = task(name="deliver-messages")(deliver)
states_step = task(name="delivery-states")(delivery_states)


@flow(name="resend", flow_run_name="resend-{year}")
def resend(
    year: int,
    at: datetime,
    unit: str | None = None,
    kind: str | None = None,
    actor: str = "cli",
) -> dict:
    """Queue the cycle's ``unknown`` messages (of ``unit``, of ``kind``) again and send just
    those; a reminder the unit no longer needs (it has submitted since) is dropped instead."""
    queued = requeue_step(year, at, unit, kind, actor)
    doc: dict = {"cycle": year, "requeued": queued.messages, "sent": [], "unknown": 0}
    if queued.ids:
        delivered = deliver_step(queued.cycle_id, at, None, settled_step(year, at), queued.ids)
        doc["sent"], doc["unknown"] = delivered.sent, delivered.unknown
    doc["states"] = states_step(queued.cycle_id, queued.ids)
    log(f"{len(queued.ids)} unknown messages queued again; states now {doc['states']}")
    return unknown_outcome(doc, year, doc["unknown"])
