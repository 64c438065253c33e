"""Lịch trên Prefect: make the Prefect server's scheduled runs match each cycle's calendar.

The database says what the calendar is (``rules.calendar``); Prefect shows it and runs it. This
step reconciles the two, over plain REST (``danvan.runtime.api``): runs missing are created (their
idempotency key makes a second creation return the first run), scheduled runs no longer in the
calendar (a deadline moved, a compiler gone, the cycle published) are deleted. Runs that already
ran are history and are never touched.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time

from danvan.models import store
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading
from danvan.rules.calendar import CycleDates, PlannedRun, cycle_runs, is_calendar_key
from danvan.rules.recipients import compilers_below
from danvan.runtime.api import PrefectRest, RunSpec

#: Deployment of each kind of run (flow name, deployment name), registered by ``danvan serve``.
DEPLOYMENTS: dict[str, tuple[str, str]] = {
    "nhac-viec": ("remind", "nhac-viec"),
    "tong-hop": ("compile-milestone", "tong-hop"),
    "xep-loai": ("sign-off-and-publish", "xep-loai"),
    "theo-doi": ("follow-cycle", "theo-doi"),
}


@dataclass
class CalendarSync:
    """What one reconciliation did, for the CLI's one line and the run log."""

    cycle: str
    created: int = 0
    removed: int = 0
    kept: int = 0
    missing_deployments: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "cycle": self.cycle,
            "created": self.created,
            "removed": self.removed,
            "kept": self.kept,
            "missing_deployments": self.missing_deployments,
        }


def cycle_dates(ctx: CycleContext) -> CycleDates:
    c = ctx.cycle
    hh, mm = (int(x) for x in c.reminders["send_at"].split(":"))
    return CycleDates(
        province=ctx.province,
        year=c.year,
        timezone=c.timezone,
        issued_on=c.issued_on,
        self_assessment=c.self_assessment_deadline,
        district_compilation=c.district_compilation_deadline,
        province_scoring=c.province_scoring_deadline,
        send_at=time(hh, mm),
        before_days=tuple(c.reminders["before_days"]),
    )


def planned_runs(year: int) -> tuple[str, list[PlannedRun]]:
    """The cycle's label and its calendar; empty once it is published (nothing left to run)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    dates = cycle_dates(ctx)
    if ctx.published:
        return dates.label, []
    below = compilers_below(ctx.units, ctx.province_units, ctx.province)
    return dates.label, cycle_runs(dates, below)


def run_spec(
    kind: str,
    name: str,
    key: str,
    scheduled: datetime | None,
    parameters: dict,
    tags: tuple[str, ...],
) -> RunSpec:
    """A run of the deployment that serves ``kind`` (nhac-viec, tong-hop, xep-loai, theo-doi)."""
    flow, deployment = DEPLOYMENTS[kind]
    return RunSpec(flow, deployment, name, key, scheduled, parameters, tags)


def spec_of(run: PlannedRun) -> RunSpec:
    flow, deployment = DEPLOYMENTS[run.kind]
    return RunSpec(flow, deployment, run.name, run.key, run.at, run.parameters, run.tags)


#: Requests in flight at once while reconciling (a cycle's calendar is ~60 runs; one at a time
#: took 20 s against a loaded server).
CONCURRENT_REQUESTS = 4


def sync_calendar(rest: PrefectRest, year: int) -> CalendarSync:
    """Create what the calendar lacks on the server, delete scheduled runs it no longer has
    (a moved deadline: the old instant's run goes, the new one comes; a published cycle: all).

    Idempotent: run twice, the second finds everything kept. Reads the cycle's runs in pages of
    200 and sends the creations and deletions a few at a time (:data:`CONCURRENT_REQUESTS`).
    """
    label, wanted = planned_runs(year)
    result = CalendarSync(label)
    existing = rest.runs(["danvan", label])
    keys = {r.get("idempotency_key") for r in existing}
    wanted_keys = {w.key for w in wanted}
    stale = [
        found["id"]
        for found in existing
        if (found.get("state") or {}).get("type") == "SCHEDULED"
        and is_calendar_key(found.get("idempotency_key"), label)
        and found["idempotency_key"] not in wanted_keys
    ]
    missing = [run for run in wanted if run.key not in keys]
    result.kept = len(wanted) - len(missing)
    for kind in sorted({run.kind for run in missing}):
        if rest.deployment_id(*DEPLOYMENTS[kind]) is None:
            result.missing_deployments.append("/".join(DEPLOYMENTS[kind]))
    creatable = [
        r for r in missing if "/".join(DEPLOYMENTS[r.kind]) not in result.missing_deployments
    ]
    with ThreadPoolExecutor(CONCURRENT_REQUESTS) as pool:
        list(pool.map(rest.delete_run, stale))
        created = list(pool.map(lambda run: rest.create_run(spec_of(run)), creatable))
    result.removed = len(stale)
    result.created = sum(c is not None for c in created)
    return result


def follow_up(rest: PrefectRest, year: int, at: datetime, why: str) -> bool:
    """Ask the served ``theo-doi`` flow to look at the cycle now (progress, early compilation).

    Keyed by the instant and the reason, so the same command at the same instant asks once.
    """
    label = planned_runs_label(year)
    spec = run_spec(
        "theo-doi",
        name=f"theo-doi-{label}",
        key=f"danvan:{label}:theo-doi:{why}:{at:%Y%m%dT%H%M%SZ}",
        scheduled=None,  # soon (the server's now), whatever the simulated T
        parameters={"year": year, "at": at.isoformat()},
        tags=("danvan", str(year), label, "theo-doi"),
    )
    return rest.create_run(spec) is not None


def run_name(kind: str, parameters: dict) -> str:
    """The name of a run of ``kind`` started by hand (the UI's button, ``prefect deployment
    run``): the calendar's name without its day (``xep-loai-QNG-2027``, ``tong-hop-QNG.BSN-2027``,
    ``nhac-viec-QNG-2027``, ``theo-doi-QNG-2027``)."""
    year = int(parameters.get("year") or 0)
    label = planned_runs_label(year) if year else ""
    if kind == "tong-hop" and parameters.get("unit"):
        return f"tong-hop-{parameters['unit']}-{year}"
    return f"{kind}-{label}" if label else kind


def remind_run_name(parameters: dict) -> str:
    return run_name("nhac-viec", parameters)


def compile_run_name(parameters: dict) -> str:
    return run_name("tong-hop", parameters)


def publication_run_name(parameters: dict) -> str:
    return run_name("xep-loai", parameters)


def follow_run_name(parameters: dict) -> str:
    return run_name("theo-doi", parameters)


def planned_runs_label(year: int) -> str:
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    return f"{ctx.province}-{year}"


def calendar_years() -> list[int]:
    """Every cycle's year: the reconciliation's scope (published ones must have no run left)."""
    with reading(get_engine()) as session:
        return store.cycle_years(session=session)


def open_years() -> list[int]:
    """The years of the cycles not yet published: those whose calendar Prefect must follow."""
    with reading(get_engine()) as session:
        return store.open_cycle_years(session=session)
