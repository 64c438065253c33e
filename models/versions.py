"""What a cycle has recorded, read set-based: each unit's versions (the one that counts and when
it first submitted), appraisal adjustments, returns, reopenings, compilations and sign-offs.

Like :mod:`danvan.models.store`, every function is *given* a session and never opens one; one
query serves all units of a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from danvan.models.recorded import (  # noqa: F401 (re-exported: the reads moved there, issue 20)
    AdjustmentRow,
    LatestFacts,
    latest_adjustments,
    latest_facts,
    standings_version,
    version_times,
)
from danvan.models.tables import (
    Compilation,
    Reopening,
    SignOff,
    Submission,
    SubmissionReturn,
)
from danvan.models.tables_assist import ReportPassage


@dataclass(frozen=True)
class Latest:
    """A unit's submissions in a cycle: the version that counts and when it first submitted."""

    unit_id: int
    first_submitted_at: datetime
    submission: Submission


def latest_submissions(
    *,
    session: Session,
    cycle_id: int,
    until: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
    figures: bool = True,
) -> dict[int, Latest]:
    """For every unit that submitted (by ``until``): its first instant and its latest version.

    Two queries whatever the number of units. ``unit_ids`` narrows them to those units (a
    compiler's subtree); ``figures=False`` leaves the figures and breakdowns JSON unread (the
    standing never needs them, and at 1,000 units they are most of the bytes read).
    """
    cond = [Submission.cycle_id == cycle_id]
    if until is not None:
        cond.append(Submission.submitted_at <= until)
    if unit_ids is not None:
        cond.append(col(Submission.unit_id).in_(list(unit_ids)))
    agg = _heads(cond)
    stmt = (
        select(Submission, agg.c.first)
        .join(agg, (Submission.unit_id == agg.c.unit_id) & (Submission.version == agg.c.latest))
        .where(Submission.cycle_id == cycle_id)
    )
    if not figures:
        heavy = (Submission.figures, Submission.breakdowns)  # JSON columns, as ORM attributes
        stmt = stmt.options(*(defer(c) for c in heavy))
    out: dict[int, Latest] = {}
    for sub, first in session.exec(stmt).all():
        out[sub.unit_id] = Latest(unit_id=sub.unit_id, first_submitted_at=first, submission=sub)
    return out


@dataclass(frozen=True)
class Head:
    """A unit's latest version as intake needs it: its number, id and file, and when the unit
    first submitted (columns only, no ORM object)."""

    version: int
    submission_id: int
    file_sha256: str
    first_submitted_at: datetime


def latest_passages(
    *, session: Session, cycle_id: int, until: datetime, unit_ids: Iterable[int] | None = None
) -> list[tuple[int, int, dict, str | None]]:
    """``(unit id, version, passages, problem)`` of each unit whose latest version by ``until``
    came with a report file: one query joined in the database, no ``Submission`` objects (a
    compile asks for the whole province: 25,000 of them were read to find a few passages)."""
    cond = [Submission.cycle_id == cycle_id, Submission.submitted_at <= until]
    if unit_ids is not None:
        cond.append(col(Submission.unit_id).in_(list(unit_ids)))
    agg = _heads(cond)
    stmt = (
        sa_select(
            Submission.unit_id, Submission.version, ReportPassage.passages, ReportPassage.problem
        )
        .join(agg, (Submission.unit_id == agg.c.unit_id) & (Submission.version == agg.c.latest))
        .join(ReportPassage, col(ReportPassage.submission_id) == Submission.id)
        .where(Submission.cycle_id == cycle_id)
    )
    return [(u, v, p, problem) for u, v, p, problem in session.execute(stmt).all()]


def _heads(cond: list[Any]) -> Any:
    """Per unit of the submissions matching ``cond``: its first instant and its latest version
    (the subquery every "latest version" read joins back to)."""
    return (
        select(
            Submission.unit_id,
            func.min(Submission.submitted_at).label("first"),
            func.max(Submission.version).label("latest"),
        )
        .where(*cond)
        .group_by(Submission.unit_id)
        .subquery()
    )


def first_submitted_at(*, session: Session, cycle_id: int, unit_id: int) -> datetime | None:
    stmt = select(func.min(Submission.submitted_at)).where(
        Submission.cycle_id == cycle_id, Submission.unit_id == unit_id
    )
    return session.exec(stmt).one()


def reopened_until(*, session: Session, cycle_id: int, unit_id: int) -> date | None:
    """The date the province last reopened a compiler's appraisal to, if it did."""
    stmt = (
        select(Reopening.until)
        .where(Reopening.cycle_id == cycle_id, Reopening.unit_id == unit_id)
        .order_by(col(Reopening.recorded_at).desc(), col(Reopening.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def compiled_compilers(
    *, session: Session, cycle_id: int, until: datetime | None = None
) -> set[int]:
    """Ids of the compilers that have compiled the cycle (by ``until``)."""
    stmt = select(Compilation.compiler_id).where(Compilation.cycle_id == cycle_id)
    if until is not None:
        stmt = stmt.where(Compilation.compiled_at <= until)
    return set(session.exec(stmt))


def latest_sign_off(*, session: Session, cycle_id: int) -> SignOff | None:
    """The province's decision that counts: the latest by its time, then by the order recorded
    (two decisions at the same instant: the one recorded last)."""
    return session.exec(
        select(SignOff)
        .where(SignOff.cycle_id == cycle_id)
        .order_by(col(SignOff.at).desc(), col(SignOff.id).desc())
    ).first()


def returns_of(
    *, session: Session, cycle_id: int, until: datetime | None = None, unit_id: int | None = None
) -> list[SubmissionReturn]:
    """Every return of the cycle (of one unit when given; by ``until``), oldest first."""
    stmt = select(SubmissionReturn).where(SubmissionReturn.cycle_id == cycle_id)
    if unit_id is not None:
        stmt = stmt.where(SubmissionReturn.unit_id == unit_id)
    if until is not None:
        stmt = stmt.where(SubmissionReturn.returned_at <= until)
    stmt = stmt.order_by(col(SubmissionReturn.returned_at), col(SubmissionReturn.id))
    return list(session.exec(stmt).all())
