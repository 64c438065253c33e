"""Flow ``compile-milestone``: tổng hợp theo lịch — one compiler's compilation, at a milestone or
as soon as all its units have submitted (SPEC §5). Runs of the ``tong-hop`` deployment."""

from __future__ import annotations

from datetime import datetime

from danvan.config.settings import get_settings
from danvan.flows.compile import compile_reports
from danvan.flows.compile_now import run_held
from danvan.runtime.lazy import ScheduledName, flow, log, outcome, scheduled_instant
from danvan.tasks.calendar import compile_run_name


@flow(name="compile-milestone", flow_run_name=ScheduledName("tong-hop-", compile_run_name))
def compile_milestone(
    year: int, unit: str, at: datetime | None = None, request: int | None = None
) -> dict:
    """Compile ``unit`` as of ``at`` (default: the run's scheduled time) into the output folder;
    the compiler is told, with its report attached where its channel takes attachments.
    ``request``: a compiler's "Tổng hợp ngay" from the portal (``flows.compile_now``), run here
    and shown on its page as it goes; nobody is messaged (the compiler is watching)."""
    if request is not None:
        status = run_held(request, str(get_settings().out_dir))
        log(f"{unit}: compile request {request} {status or 'not queued (started, or given up)'}")
        return {"cycle": year, "unit": unit, "request": request, "status": status}
    at = at or scheduled_instant()
    doc = compile_reports(year, at, str(get_settings().out_dir), unit, notify=True)
    told = doc.get("told", [])
    log(f"{unit}: compiled; {sum(t['ok'] for t in told)}/{len(told)} messages delivered")
    failed = told and not any(t["ok"] for t in told)
    return outcome(doc, "Mọi tin báo tổng hợp đều gửi lỗi" if failed else None, "Gửi lỗi")
