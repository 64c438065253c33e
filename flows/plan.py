"""Flow ``issue-plan``: ban hành kế hoạch — create the cycle, then tell every assessed unit."""

from __future__ import annotations

from datetime import datetime

from danvan.runtime.lazy import flow, log, task
from danvan.tasks.outbox import dispatch
from danvan.tasks.plan import record_cycle
from danvan.tasks.remind import announcements

record_cycle_step = task(name="record-cycle")(record_cycle)
announce_step = task(name="build-announcements")(announcements)
dispatch_step = task(name="deliver-messages")(dispatch)


@flow(name="issue-plan", flow_run_name="issue-plan")
def issue_plan(plan_path: str, at: datetime) -> dict:
    """Create the cycle from the plan file at ``at`` and announce it (once)."""
    issued = record_cycle_step(plan_path, at)
    log(f"cycle {issued.year} of {issued.province}: {'created' if issued.created else 'unchanged'}")
    cycle_id, queued = announce_step(issued.year, at, issued.province)
    sent = dispatch_step(cycle_id, queued, at)
    return issued.to_dict() | {"sent": sent}
