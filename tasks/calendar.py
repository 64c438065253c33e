"""Lịch trên Prefect: make the Prefect server's scheduled runs match each cycle's calendar.

The database says what the calendar is (``rules.calendar``); Prefect shows it and runs it. This
step reconciles the two, over plain REST (``danvan.runtime.api``): runs missing are created (their
idempotency key makes a second creation return the first run), scheduled runs no longer in the
calendar (a deadline moved, a compiler gone, the cycle published) are deleted. Runs that already
ran are history and are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from danvan.models import store
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading
from danvan.rules.calendar import CycleDates, PlannedRun, cycle_runs
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


def sync_calendar(rest: PrefectRest, year: int) -> CalendarSync:
    """Create what the calendar lacks on the server, delete scheduled runs it no longer has."""
    label, wanted = planned_runs(year)
    result = CalendarSync(label)
    existing = rest.runs(["danvan", label])
    keys = {r.get("idempotency_key") for r in existing}
    wanted_keys = {w.key for w in wanted}
    for found in existing:
        state = (found.get("state") or {}).get("type")
        calendar_run = str(found.get("idempotency_key") or "").startswith(f"danvan:{label}:")
        if state == "SCHEDULED" and calendar_run and found["idempotency_key"] not in wanted_keys:
            rest.delete_run(found["id"])
            result.removed += 1
    for run in wanted:
        if run.key in keys:
            result.kept += 1
            continue
        if rest.create_run(spec_of(run)) is None:
            missing = "/".join(DEPLOYMENTS[run.kind])
            if missing not in result.missing_deployments:
                result.missing_deployments.append(missing)
            continue
        result.created += 1
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


def planned_runs_label(year: int) -> str:
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    return f"{ctx.province}-{year}"


def open_years() -> list[int]:
    """The years of the cycles not yet published: those whose calendar Prefect must follow."""
    with reading(get_engine()) as session:
        return store.open_cycle_years(session=session)
