"""Flow ``compile``: tổng hợp, xếp loại — districts first, then the province; reports written."""

from __future__ import annotations

from datetime import datetime

from danvan.rules.timing import iso_local
from danvan.runtime.lazy import artifact_markdown, artifact_table, flow, log, task
from danvan.tasks.compile import (
    artifact_key,
    compiled_messages,
    prepare,
    ranking_rows,
    record,
    summary_markdown,
    write_outputs,
)
from danvan.tasks.outbox import dispatch

prepare_step = task(name="compute-compilations")(prepare)
write_step = task(name="write-reports")(write_outputs)
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
) -> dict:
    """Compile ``unit`` (default: the province and every compiler under it) as of ``at``;
    with ``notify``, tell each compiler, its report attached (scheduled runs do). ``actor``:
    who asked, as the audit log names them (``cli``, ``portal:<code>``, ``prefect``)."""
    compiled = prepare_step(year, at, unit)
    written = write_step(compiled, out_dir)
    new = record_step(year, compiled, at, actor, out_dir)  # files kept in the database too
    for c in compiled:
        key = artifact_key(year, c.data.compiler.code)
        artifact_markdown(key, summary_markdown(c))
        artifact_table(f"{key}-ranking", ranking_rows(c))
    log(f"{len(compiled)} compilations written to {out_dir} ({new} new)")
    shown = iso_local(at, compiled[0].tz) if compiled else at.isoformat()
    doc = {"cycle": year, "at": shown, "out": out_dir, "compiled": written}
    if notify:
        cycle_id, queued = tell_step(year, written, at)
        doc["told"] = dispatch_step(cycle_id, queued, at)
    return doc
