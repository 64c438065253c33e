"""Flow ``return``: trả lại, yêu cầu bổ sung — return units' latest versions with a reason (SPEC §3.6)."""

from __future__ import annotations

from datetime import datetime

from danvan.runtime.lazy import flow, log, task
from danvan.tasks.outbox import dispatch
from danvan.tasks.revision import record_from_file, record_from_options

file_step = task(name="record-returns")(record_from_file)
options_step = task(name="record-return")(record_from_options)
dispatch_step = task(name="deliver-messages")(dispatch)


@flow(name="return", flow_run_name="return")
def return_for_revision(
    at: datetime,
    path: str | None = None,
    year: int | None = None,
    unit: str | None = None,
    by: str | None = None,
    reason: str | None = None,
    actor: str = "cli",
) -> dict:
    """A return file (``path``) or one unit (``unit``, ``by``, ``reason``); the units are told."""
    if path is not None:
        cycle_id, queued, result = file_step(path, at, actor)
    else:
        assert year is not None and unit and by and reason is not None
        cycle_id, queued, result = options_step(year, unit, by, reason, at, actor)
    result["sent"] = dispatch_step(cycle_id, queued, at)
    log(f"{len(result['returned'])} returned by {result['by']}")
    return result
