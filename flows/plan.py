"""Flow ``issue-plan``: ban hành kế hoạch — create the cycle, then tell every assessed unit."""

from __future__ import annotations

from datetime import datetime

from danvan.flows.runtime import flow, log, task
from danvan.tasks.plan import record_cycle

record_cycle_step = task(name="record-cycle")(record_cycle)


@flow(name="issue-plan", flow_run_name="issue-plan-{at:%Y-%m-%d}")
def issue_plan(plan_path: str, at: datetime) -> dict:
    """Create the cycle from the plan file at ``at`` and announce it (once)."""
    issued = record_cycle_step(plan_path, at)
    log(f"cycle {issued.year} of {issued.province}: {'created' if issued.created else 'unchanged'}")
    return issued.to_dict()
