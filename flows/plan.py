"""Flow ``issue-plan``: ban hành kế hoạch — create the cycle, then tell every assessed unit."""

from __future__ import annotations

from datetime import datetime

from danvan.runtime.lazy import flow, log, task
from danvan.tasks.amend import amend_plan as record_amendment
from danvan.tasks.outbox import deliver, dispatch
from danvan.tasks.plan import record_cycle
from danvan.tasks.remind import announcements

record_cycle_step = task(name="record-cycle")(record_cycle)
announce_step = task(name="build-announcements")(announcements)
dispatch_step = task(name="deliver-messages")(dispatch)
amend_step = task(name="record-amendment")(record_amendment)
deliver_step = task(name="deliver-messages")(deliver)


@flow(name="issue-plan", flow_run_name="issue-plan")
def issue_plan(plan_path: str, at: datetime) -> dict:
    """Create the cycle from the plan file at ``at`` and announce it (once)."""
    issued = record_cycle_step(plan_path, at)
    log(f"cycle {issued.year} of {issued.province}: {'created' if issued.created else 'unchanged'}")
    cycle_id, queued = announce_step(issued.year, at, issued.province)
    sent = dispatch_step(cycle_id, queued, at)
    return issued.to_dict() | {"sent": sent}


@flow(name="amend-plan", flow_run_name="dieu-chinh-ke-hoach")
def amend_plan(plan_path: str, reason: str, at: datetime, actor: str = "cli") -> dict:
    """Amend the cycle's plan at ``at`` (recorded and announced in one transaction), then
    deliver what is pending: every assessed unit is told the old and new dates (once)."""
    amended = amend_step(plan_path, reason, at, actor)
    log(f"plan {amended.year}: {'amended' if amended.amended else 'unchanged'}")
    sent = deliver_step(amended.cycle_id, at).sent if amended.queued else []
    return amended.to_dict() | {"sent": sent}
