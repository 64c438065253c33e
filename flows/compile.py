"""Flow ``compile``: tổng hợp, xếp loại — districts first, then the province; reports written."""

from __future__ import annotations

from datetime import datetime

from danvan.rules.timing import iso_local
from danvan.runtime.lazy import artifact_markdown, artifact_table, flow, log, task
from danvan.tasks.compile import artifact_key, compile_and_write, compiled_messages, record
from danvan.tasks.outbox import dispatch

# one step computes and writes: each compilation is written as soon as it is computed and then
# dropped, so a compile holds a few compilations, not all of them (issue 20)
write_step = task(name="compute-and-write-reports")(compile_and_write)
record_step = task(name="record-compilations")(record)
tell_step = task(name="build-compiled-messages")(compiled_messages)
dispatch_step = task(name="deliver-messages", retries=2, retry_delay_seconds=[10, 60])(dispatch)


@flow(name="compile", flow_run_name="compile-{year}")
def compile_reports(
    year: int,
    at: datetime,
    out_dir: str,
    unit: str | None = None,
    notify: bool = False,
    actor: str = "cli",
    request: int | None = None,
) -> dict:
    """Compile ``unit`` (default: the province and every compiler under it) as of ``at``;
    with ``notify``, tell each compiler, its report attached (scheduled runs do). ``actor``:
    who asked, as the audit log names them (``cli``, ``portal:<code>``, ``prefect``).
    ``request``: the portal's "Tổng hợp ngay" this runs, stopped when it is cancelled and
    closed as done with the recording (``flows.compile_now``)."""
    compiled = write_step(year, at, out_dir, unit, request)
    new = record_step(year, compiled, at, actor, out_dir, request)  # files kept in the db too
    for c in compiled:
        key = artifact_key(year, c.code)
        artifact_markdown(key, c.markdown)
        artifact_table(f"{key}-ranking", c.ranking)
    log(f"{len(compiled)} compilations written to {out_dir} ({new} new)")
    shown = iso_local(at, compiled[0].tz) if compiled else at.isoformat()
    written = [c.doc for c in compiled]
    doc = {"cycle": year, "at": shown, "out": out_dir, "compiled": written}
    if notify:
        cycle_id, queued = tell_step(year, written, at)
        doc["told"] = dispatch_step(cycle_id, queued, at)
    return doc
