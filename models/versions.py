"""What a cycle has recorded, read set-based: each unit's versions (the one that counts and when
it first submitted), appraisal adjustments, returns, reopenings, compilations and sign-offs.

Like :mod:`danvan.models.store`, every function is *given* a session and never opens one; one
query serves all units of a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, func, literal_column, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from danvan.models import jsontext
from danvan.models.tables import (
    Adjustment,
    Compilation,
    Reopening,
    SignOff,
    Submission,
    SubmissionReturn,
    Unit,
)
from danvan.models.tables_assist import ReportPassage
from danvan.rules.appraisal import Recorded, effective


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


class LatestFacts(NamedTuple):
    """A unit's version that counts, as plain values (no ORM object): what a standing reads (a
    tuple: 25,000 of them are built for a country's ``status``)."""

    unit_id: int
    version: int
    submitted_at: datetime
    first_submitted_at: datetime
    scores: dict[str, float]
    bonus: float
    penalty: float
    self_total: float
    not_applicable: dict[str, str]
    warnings: tuple[dict[str, str], ...]
    figures: dict[str, dict[str, int]] | None = None  # only when asked for


def latest_facts(
    *,
    session: Session,
    cycle_id: int,
    until: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
    figures: bool = False,
    scores: bool = True,
) -> dict[int, LatestFacts]:
    """:func:`latest_submissions` as columns: the same two-level query, but no ``Submission``
    objects (building 1,000 of them was a third of a province's ``status``) and the JSON
    columns decoded here, the empty ones (``{}``, ``[]``) not at all."""
    s = Submission
    cond = [s.cycle_id == cycle_id]
    if until is not None:
        cond.append(s.submitted_at <= until)
    if unit_ids is not None:
        cond.append(col(s.unit_id).in_(list(unit_ids)))
    agg = (
        select(s.unit_id, func.min(s.submitted_at).label("first"), func.max(s.version).label("v"))
        .where(*cond)
        .group_by(s.unit_id)
        .subquery()
    )
    # ``scores=False``: the scores, N/A criteria and warnings left empty, not read nor decoded
    heavy = _raw(s.scores, s.not_applicable, s.warnings) if scores else _EMPTY
    columns = [s.unit_id, s.version, s.submitted_at, agg.c.first, heavy[0], s.bonus,
               s.penalty, s.self_total, *heavy[1:]]  # fmt: skip
    if figures:
        columns += _raw(s.figures)
    stmt = (
        select(*columns)
        .join(agg, (s.unit_id == agg.c.unit_id) & (s.version == agg.c.v))
        .where(s.cycle_id == cycle_id)
    )
    out: dict[int, LatestFacts] = {}
    for row in session.connection().execute(stmt).all():
        uid, version, at, first, scores, bonus, penalty, total, na, warnings, *rest = row
        out[uid] = LatestFacts(
            uid, version, at, first, _json(scores), bonus, penalty, total, _json(na),
            tuple(_json(warnings) or ()), _json(rest[0]) if rest else None,
        )  # fmt: skip
    return out


#: The scores, N/A criteria and warnings of a read that does not need them.
_EMPTY: list[Any] = [literal_column("'{}'"), literal_column("'{}'"), literal_column("'[]'")]


def _raw(*columns: Any) -> list[Any]:
    """JSON columns read as the database gives them (SQLite: text), decoded by :func:`_json`."""
    return [type_coerce(c, String) for c in columns]


def _json(value: Any) -> Any:
    """A JSON column's value: text from SQLite (``{}`` and ``[]`` not decoded), already decoded
    from psycopg."""
    if not isinstance(value, str):
        return value
    if value in ("{}", "[]"):
        return {} if value == "{}" else []
    return jsontext.loads(value)


def standings_version(*, session: Session, cycle_id: int, at: datetime | None) -> tuple:
    """What a cycle's standings at ``at`` are computed from, as a small key read in one query.

    Per table that feeds them (versions, adjustments, returns; all append-only): how many rows
    the cycle has and how many count at ``at``. Rows are only ever added, so the cycle's rows
    at two moments are nested and the same count is the same rows. When every row counts (the
    portal's usual ``at``, now) the key leaves ``at`` out and stays the same from one request to
    the next until something is recorded; otherwise ``at`` is part of it.
    """
    counts = []
    for table, when in (
        (Submission, Submission.submitted_at),
        (Adjustment, Adjustment.recorded_at),
        (SubmissionReturn, SubmissionReturn.returned_at),
    ):
        mine = table.cycle_id == cycle_id
        counts.append(select(func.count()).where(mine).scalar_subquery())
        if at is not None:
            counts.append(select(func.count()).where(mine, when <= at).scalar_subquery())
    row = tuple(session.execute(select(*counts)).one())
    if at is None or row[0::2] == row[1::2]:
        return ("all", *(row[0::2] if at is not None else row))
    return (at, *row)


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


def latest_adjustments(
    *,
    session: Session,
    cycle_id: int,
    until: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, Adjustment]]:
    """unit id → target (criterion code, ``bonus``, ``penalty``) → the adjustment that counts:
    the highest level's, the latest at that level (``danvan.rules.appraisal.effective``).
    ``unit_ids`` narrows it to those units."""
    stmt = select(Adjustment).where(Adjustment.cycle_id == cycle_id)
    if until is not None:
        stmt = stmt.where(Adjustment.recorded_at <= until)
    if unit_ids is not None:
        stmt = stmt.where(col(Adjustment.unit_id).in_(list(unit_ids)))
    rows = session.exec(stmt).all()
    if not rows:
        return {}
    level = _levels(session)
    by_unit: dict[int, list[Adjustment]] = {}
    for adj in rows:
        by_unit.setdefault(adj.unit_id, []).append(adj)
    out: dict[int, dict[str, Adjustment]] = {}
    for unit_id, adjs in by_unit.items():
        by_id = {a.id: a for a in adjs}
        records = [
            Recorded(a.target, a.value, a.reason, level[a.by_unit_id], a.recorded_at, a.id or 0)
            for a in adjs
        ]
        out[unit_id] = {t: by_id[r.seq] for t, r in effective(records).items()}
    return out


def _levels(session: Session) -> dict[int, int]:
    """Every unit's depth in the tree (0: a root, the province)."""
    parent = dict(session.exec(select(Unit.id, Unit.parent_id)).all())
    levels: dict[int, int] = {}

    def depth(uid: int, seen: frozenset[int] = frozenset()) -> int:
        if uid not in levels:
            up = parent.get(uid)
            levels[uid] = 0 if up is None or up in seen else depth(up, seen | {uid}) + 1
        return levels[uid]

    for uid in parent:
        depth(uid)
    return levels


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


def version_times(
    *, session: Session, cycle_id: int, unit_ids: Iterable[int], until: datetime | None = None
) -> dict[int, dict[int, datetime]]:
    """unit id → version → submitted_at, for the given units (one query)."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    cond = [Submission.cycle_id == cycle_id, col(Submission.unit_id).in_(ids)]
    if until is not None:
        cond.append(Submission.submitted_at <= until)
    stmt = select(Submission.unit_id, Submission.version, Submission.submitted_at).where(*cond)
    out: dict[int, dict[int, datetime]] = {}
    for unit_id, version, at in session.exec(stmt).all():
        out.setdefault(unit_id, {})[version] = at
    return out
