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
    ScheduledName,
    artifact_markdown,
    artifact_table,
    current_api_url,
    flow,
    log,
    run_started_after,
    scheduled_instant,
    task,
)
from danvan.tasks.alerts import tell_operators
from danvan.tasks.calendar import (
    calendar_years,
    follow_run_name,
    open_years,
    planned_runs_label,
    run_spec,
    sync_calendar,
)
from danvan.tasks.progress import progress, ready_compilers
from danvan.tasks.signoff import release_if_approved

#: A periodic look that starts this late (after an outage, every missed one runs) does nothing:
#: the deployment queues its runs (one at a time) so that no command's look is dropped.
LOOK_LATE_SECONDS = 600

open_years_step = task(name="open-cycles")(open_years)
calendar_years_step = task(name="cycles")(calendar_years)


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


@task(name="release-approved-publication", retries=2, retry_delay_seconds=[5, 30])
def release_step(year: int) -> int:
    api = current_api_url()
    if not api:
        return 0
    with PrefectRest(api) as rest:
        return release_if_approved(rest, year)


@task(name="tell-operators", retries=2, retry_delay_seconds=[5, 30])
def alert_step(at: datetime) -> list[dict]:
    api = current_api_url()
    if not api:
        return []
    with PrefectRest(api) as rest:
        return tell_operators(rest, at)


@flow(name="follow-cycle", flow_run_name=ScheduledName("theo-doi", follow_run_name))
def follow_cycle(year: int | None = None, at: datetime | None = None) -> dict:
    """Reconcile the calendar of ``year`` (default: every cycle, published ones too, so that a
    clean-up that failed before is finished), then the open cycles' progress and compilations."""
    if at is None and year is None and run_started_after(LOOK_LATE_SECONDS):
        log("a periodic look that missed its time (an outage): the next one does the work")
        return {"skipped": "started_late"}
    at = at or scheduled_instant()
    doc: dict = {}
    open_now = set(open_years_step())
    for y in [year] if year else calendar_years_step():
        calendar = sync_step(y)
        doc[str(y)] = {"calendar": calendar}
        if y not in open_now:
            continue
        key, markdown, rows = progress(y, at)
        artifact_markdown(key, markdown)
        artifact_table(f"{key}-bang", rows)
        early = early_step(y, at)
        released = release_step(y)
        log(f"{y}: calendar {calendar}; early compilations: {early or 'none'}; "
            f"publication runs released: {released}")  # fmt: skip
        doc[str(y)] |= {"early": early, "released": released}
    told = alert_step(at)
    if told:
        log(f"operators told: {len(told)} messages ({sum(t['ok'] for t in told)} delivered)")
    return doc | {"operators": told}
