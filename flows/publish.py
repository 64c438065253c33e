"""Flow ``publish``: công bố — freeze the final ranking, close the cycle, tell every unit."""

from __future__ import annotations

from datetime import datetime

from danvan.flows.remind import unknown_outcome
from danvan.runtime.lazy import flow, log, task
from danvan.tasks.outbox import dispatch_counted
from danvan.tasks.publish import freeze, results_json

freeze_step = task(name="freeze-results")(freeze)
dispatch_step = task(name="deliver-messages")(dispatch_counted)


@flow(name="publish", flow_run_name="publish-{year}")
def publish(year: int, at: datetime, actor: str = "cli", reason: str | None = None) -> dict:
    """Publishing twice changes nothing; a failed delivery never fails it (retried later).
    ``reason``: given by a door that asks for one (see ``tasks.publish.freeze``)."""
    cycle_id, queued, created = freeze_step(year, at, actor, reason)
    delivered = dispatch_step(cycle_id, queued, at)
    sent = delivered.sent
    log(f"cycle {year} {'published' if created else 'already published'}; {len(sent)} messages")
    doc = {"cycle": year, "published": created, "results": results_json(year), "sent": sent}
    return unknown_outcome(doc | {"unknown": delivered.unknown}, year, delivered.unknown)
