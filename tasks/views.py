"""Read-only views (``status``): no Prefect, no writes, a few set-based queries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from danvan.models import recorded
from danvan.models.context import cached_context
from danvan.rules import standing, timing
from danvan.rules.domain import UnitResult
from danvan.rules.errors import reject
from danvan.rules.org import subtree
from danvan.rules.publication import published_by
from danvan.tasks.quality import cycle_flags, flags_by_unit, with_flags
from danvan.tasks.readcache import without_gc
from danvan.tasks.standings import unit_results, unit_states
from danvan.tasks.unknown import WHAT_TO_DO, resend_command

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlmodel import Session as ModelSession

    from danvan.models.reads import Reader


def result_json(r: UnitResult, tz: str, shown: dict[datetime, str | None] | None = None) -> dict:
    """A unit's line of ``status``'s JSON; ``shown``: instants already shown in ``tz`` (a
    country's units share a few submission instants, each shown once, not 25,000 times)."""
    at = r.submitted_at
    if at is None or shown is None:
        local = timing.iso_local(at, tz)
    elif (local := shown.get(at)) is None:
        local = shown[at] = timing.iso_local(at, tz)
    return {
        "code": r.code,
        "name": r.name,
        "kind": r.kind,
        "compiler": r.compiler,
        "status": r.status,
        "version": r.version,
        "submitted_at": local,
        "days_late": r.days_late,
        "self_total": r.self_total,
        "final_total": r.final_total,
        "band": r.band,
        "rules": list(r.rules) if r.rules else [],
        "revise_by": r.revise_by.isoformat() if r.revise_by else None,
        "return_reason": r.return_reason,
        "warnings": [w["message"] for w in r.warnings] if r.warnings else [],
    }


def delivery_problems(session: Reader, cycle_id: int) -> list[dict]:
    """Messages whose last delivery failed (shown until the next ``remind`` delivers them), and
    those whose fate is ``unknown`` (timed out or interrupted: never resent by themselves)."""
    rows = recorded.delivery_problems(session=session, cycle_id=cycle_id)
    ids = {r.unit_id for r in rows}  # only their codes: not the whole tree on every page
    names = recorded.unit_codes(session=session, unit_ids=ids)
    return [
        {
            "unit": names.get(r.unit_id),
            "milestone": r.milestone,
            "kind": r.kind,
            "day": r.day.isoformat(),
            "to": r.url_redacted,
            "attempts": r.attempts,
            "status": r.status,
            "error": r.last_error,
        }
        for r in rows
    ]


def delivery_counts(session: Reader, cycle_id: int) -> dict[str, int]:
    return recorded.delivery_counts(session=session, cycle_id=cycle_id)


def cycle_status(
    session: Reader,
    *,
    year: int,
    at: datetime,
    under: str | None = None,
    every_unit: bool = True,
) -> dict:
    """SPEC §4.2, plus progress per compiler and failed deliveries.

    ``every_unit=False`` (the terminal's table without ``--all``): above ``UNITS_LISTED`` units
    the table shows one line per compiler, so ``units`` then holds only the units with flags
    (code, name, flags) and ``compiler_names`` the compilers' names; scores and bands are not
    computed. The JSON and CSV always have every unit."""
    with without_gc():
        return _cycle_status(session, year=year, at=at, under=under, every_unit=every_unit)


def _cycle_status(
    session: Reader, *, year: int, at: datetime, under: str | None, every_unit: bool
) -> dict:
    ctx = cached_context(session, year)  # the tree kept per process while it is unchanged
    within = None
    if under is not None:
        if under not in ctx.units:
            raise reject("unknown_unit", "--under", f"Không có đơn vị mã '{under}'.")
        within = subtree(ctx.units, under)
    assert ctx.cycle.id is not None
    head = {"cycle": ctx.cycle.year, "as_of": timing.iso_local(at, ctx.tz)}
    states = None if every_unit else unit_states(ctx, session, at, within)
    if states is not None and len(states) > standing.UNITS_LISTED:
        flagged = flags_by_unit(cycle_flags(session, ctx, at, [u.code for u in states]))
        shown = {u.code for u in states}
        body = {
            "summary": standing.summarize(states),
            "units": [
                {"code": u.code, "name": ctx.units[u.code].name, "flags": flagged[u.code]}
                for u in states
                if u.code in flagged
            ],
            "compilers": (compilers := standing.progress_by_compiler(states)),
            "compiler_names": {c: ctx.units[c].name for c in compilers if c in shown},
        }
    else:
        results = unit_results(ctx, session, at, within)
        instants: dict[datetime, str | None] = {}
        body = {
            "summary": standing.summarize(results),
            "units": with_flags(
                [result_json(r, ctx.tz, instants) for r in results], session, ctx, at
            ),
            "compilers": standing.progress_by_compiler(results),
        }
    return {
        **head,
        **body,
        "published": published_by(ctx.cycle.published_at, at),  # as at ``at``, not now
        "deliveries": deliveries(session, ctx.cycle.id, ctx.cycle.year),
    }


def deliveries(session: Reader, cycle_id: int, year: int) -> dict:
    """The outbox as ``status`` shows it: counts by state, the messages that failed or whose fate
    is unknown, and for those what an official does (check with the unit, then resend)."""
    problems = delivery_problems(session, cycle_id)
    unknown = [p for p in problems if p["status"] == "unknown"]
    return {
        "counts": delivery_counts(session, cycle_id),
        "failed": problems,
        "unknown": {
            "count": len(unknown),
            "what_to_do": WHAT_TO_DO if unknown else None,
            "resend": resend_command(year) if unknown else None,
        },
    }


def unit_files(session: Reader, *, year: int, code: str, at: datetime | None = None) -> dict:
    """One unit's versions and the files kept with each (workbook, report, evidence)."""
    ctx = cached_context(session, year)
    if code not in ctx.in_province:
        raise reject("unknown_unit", "--unit", f"Không có đơn vị mã “{code}” trong kỳ {year}.")
    assert ctx.cycle.id is not None
    subs = recorded.unit_versions(
        session=session, cycle_id=ctx.cycle.id, unit_id=ctx.org.ids[code], until=at
    )
    files = recorded.version_files(session=session, submission_ids=[s[0] for s in subs])
    by_sub: dict[int, list[dict]] = {}
    for submission_id, role, criterion, file_name, sha256, size in files:
        by_sub.setdefault(submission_id, []).append(
            {
                "role": role,
                "criterion": criterion,
                "file_name": file_name,
                "sha256": sha256,
                "size": size,
            }
        )
    return {
        "cycle": year,
        "unit": code,
        "name": ctx.units[code].name,
        "versions": [
            {
                "version": version,
                "submitted_at": timing.iso_local(submitted_at, ctx.tz),
                "submitted_by": submitted_by,
                "file_name": file_name,
                "sha256": sha256,
                "files": by_sub.get(sub_id, []),
            }
            for sub_id, version, submitted_at, submitted_by, file_name, sha256 in subs
        ],
    }


def units_without_contact(
    session: Session, *, year: int, province: str | None = None
) -> list[dict]:
    """Assessed units of the cycle that no message can reach (no contact URL): ``plan issue``
    names them so the province can add contacts before the first reminder."""
    from danvan.models.context import load_context  # lazy: the table classes (status reads none)

    ctx = load_context(session=session, year=year, province=province)
    return [
        {"code": code, "name": ctx.units[code].name}
        for code in standing.expected_units(ctx.units, ctx.province_units)
        if not ctx.units[code].contacts
    ]


def check_database(session: Reader) -> None:
    """Fail now, in one line, if the database is not set up (the portal checks before serving)."""
    from danvan.models.reads import find_cycle  # lazy: the table classes (status reads none)

    find_cycle(session=session, year=0)


def has_units(session: ModelSession) -> bool:
    """Does the database already hold an org tree?"""
    from sqlmodel import select  # lazy: the table classes (status reads none)

    from danvan.models.tables import Unit

    return session.exec(select(Unit.id).limit(1)).first() is not None
