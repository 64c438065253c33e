"""Flow ``follow-cycle``: theo dõi — keep Prefect in step with danvan's database.

Runs every few minutes under ``danvan serve`` (deployment ``theo-doi``) and right after each
command that changed the cycle. For every open cycle: the scheduled runs follow the plan (a plan
issued while serving is picked up, a published cycle's runs are removed), the progress artifact
is refreshed, and a compiler whose units have all submitted gets its compilation now.
"""

from __future__ import annotations

from datetime import datetime

from danvan.runtime.api import PrefectRest
from danvan.runtime.lazy import (
    artifact_markdown,
    artifact_table,
    current_api_url,
    flow,
    log,
    scheduled_instant,
    task,
)
from danvan.tasks.calendar import open_years, planned_runs_label, run_spec, sync_calendar
from danvan.tasks.progress import progress, ready_compilers

open_years_step = task(name="open-cycles")(open_years)


@task(name="sync-calendar", retries=2, retry_delay_seconds=[5, 30])
def sync_step(year: int) -> dict:
    api = current_api_url()
    if not api:
        return {}
    with PrefectRest(api) as rest:
        return sync_calendar(rest, year).to_dict()


@task(name="start-early-compilations", retries=2, retry_delay_seconds=[5, 30])
def early_step(year: int, at: datetime) -> list[str]:
    """Create a ``tong-hop`` run now for each compiler that is complete (keyed: once per change)."""
    ready = ready_compilers(year, at)
    api = current_api_url()
    if not ready or not api:
        return []
    label = planned_runs_label(year)
    started = []
    with PrefectRest(api) as rest:
        for r in ready:
            spec = run_spec(
                "tong-hop",
                name=f"tong-hop-{r.code}-{year}",
                key=f"danvan:{label}:tong-hop-som:{r.code}:{r.changed_at:%Y%m%dT%H%M%SZ}",
                scheduled=None,
                parameters={"year": year, "unit": r.code, "at": max(at, r.changed_at).isoformat()},
                tags=("danvan", str(year), label, "tong-hop", r.code),
            )
            if rest.create_run(spec) is not None:
                started.append(r.code)
    return started


@flow(name="follow-cycle", flow_run_name="theo-doi")
def follow_cycle(year: int | None = None, at: datetime | None = None) -> dict:
    at = at or scheduled_instant()
    doc: dict = {}
    for y in [year] if year else open_years_step():
        calendar = sync_step(y)
        key, markdown, rows = progress(y, at)
        artifact_markdown(key, markdown)
        artifact_table(f"{key}-bang", rows)
        early = early_step(y, at)
        log(f"{y}: calendar {calendar}; early compilations: {early or 'none'}")
        doc[str(y)] = {"calendar": calendar, "early": early}
    return doc
