"""Flow ``appraise``: thẩm định — record a compiler's adjustments of scores (SPEC §3.5)."""

from __future__ import annotations

from datetime import datetime

from danvan.runtime.lazy import flow, log, task
from danvan.tasks.appraise import record_appraisal

record_step = task(name="record-appraisal")(record_appraisal)


@flow(name="appraise", flow_run_name="appraise")
def appraise(path: str, at: datetime, actor: str = "cli") -> dict:
    result = record_step(path, at, actor)
    log(f"{result['adjustments']} adjustments by {result['by']}")
    return result
