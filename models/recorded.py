"""What a cycle has recorded, read on the light clauses of :mod:`danvan.models.reads`: the
versions that count, the standings' key, the adjustments, the returns, the flags' marks and the
outbox, as plain values (no table class, no ORM object; issue 20: ``danvan status`` imports no
SQLModel). ``models.versions`` and ``models.store`` re-export what moved here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, literal_column, select

from danvan.models import jsontext
from danvan.models.reads import ADJUSTMENT, DELIVERY, FLAG_CHECK, RETURN, SUBMISSION, UNIT, _text
from danvan.rules.appraisal import Recorded, effective

if TYPE_CHECKING:
    from danvan.models.reads import Reader


def _json(value: Any) -> Any:
    """A JSON column's value: text from SQLite (``{}`` and ``[]`` not decoded), already decoded
    from psycopg."""
    if not isinstance(value, str):
        return value
    if value in ("{}", "[]"):
        return {} if value == "{}" else []
    return jsontext.loads(value)


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


#: The scores, N/A criteria and warnings of a read that does not need them.
_EMPTY: list[Any] = [literal_column("'{}'"), literal_column("'{}'"), literal_column("'[]'")]


def latest_facts(
    *,
    session: Reader,
    cycle_id: int,
    until: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
    figures: bool = False,
    scores: bool = True,
) -> dict[int, LatestFacts]:
    """Every unit's version that counts (by ``until``), with when it first submitted, as
    columns: no ``Submission`` objects (building 1,000 of them was a third of a province's
    ``status``) and the JSON columns decoded here, the empty ones (``{}``, ``[]``) not at all."""
    s = SUBMISSION.c
    cond = [s.cycle_id == cycle_id]
    if until is not None:
        cond.append(s.submitted_at <= until)
    if unit_ids is not None:
        cond.append(s.unit_id.in_(list(unit_ids)))
    agg = (
        select(s.unit_id, func.min(s.submitted_at).label("first"), func.max(s.version).label("v"))
        .where(*cond)
        .group_by(s.unit_id)
        .subquery()
    )
    # ``scores=False``: the scores, N/A criteria and warnings left empty, not read nor decoded
    heavy = [_text(c) for c in (s.scores, s.not_applicable, s.warnings)] if scores else _EMPTY
    # the instants as the database gives them (SQLite: text), each distinct one decoded once
    columns = [s.unit_id, s.version, _text(s.submitted_at), _text(agg.c.first), heavy[0], s.bonus,
               s.penalty, s.self_total, *heavy[1:]]  # fmt: skip
    if figures:
        columns.append(_text(s.figures))
    stmt = (
        select(*columns)
        .join(agg, (s.unit_id == agg.c.unit_id) & (s.version == agg.c.v))
        .where(s.cycle_id == cycle_id)
    )
    out: dict[int, LatestFacts] = {}
    instants: dict[Any, datetime] = {}
    for row in session.connection().execute(stmt).all():
        uid, version, at, first, scores_, bonus, penalty, total, na, warnings, *rest = row
        at = instants.get(at) or instants.setdefault(at, _instant(at))
        first = instants.get(first) or instants.setdefault(first, _instant(first))
        out[uid] = LatestFacts(
            uid, version, at, first, _json(scores_), bonus, penalty, total,
            {} if na == "{}" else _json(na), () if warnings == "[]" else tuple(_json(warnings) or ()),
            _json(rest[0]) if rest else None,
        )  # fmt: skip
    return out


def _instant(value: Any) -> datetime:
    """An instant column's value read as text (:func:`danvan.models.reads._text`) as the
    tables' ``UTCDateTime`` gives it: SQLite's text (UTC, no offset) parsed, psycopg's aware
    datetime in UTC."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def standings_version(*, session: Reader, cycle_id: int, at: datetime | None) -> tuple:
    """What a cycle's standings at ``at`` are computed from, as a small key read in one query.

    Per table that feeds them (versions, adjustments, returns; all append-only): how many rows
    the cycle has and how many count at ``at``. Rows are only ever added, so the cycle's rows
    at two moments are nested and the same count is the same rows. When every row counts (the
    portal's usual ``at``, now) the key leaves ``at`` out and stays the same from one request to
    the next until something is recorded; otherwise ``at`` is part of it.
    """
    counts = []
    for clause, when in (
        (SUBMISSION, SUBMISSION.c.submitted_at),
        (ADJUSTMENT, ADJUSTMENT.c.recorded_at),
        (RETURN, RETURN.c.returned_at),
    ):
        mine = clause.c.cycle_id == cycle_id
        counts.append(select(func.count()).select_from(clause).where(mine).scalar_subquery())
        if at is not None:
            counts.append(
                select(func.count()).select_from(clause).where(mine, when <= at).scalar_subquery()
            )
    row = tuple(session.connection().execute(select(*counts)).one())
    if at is None or row[0::2] == row[1::2]:
        return ("all", *(row[0::2] if at is not None else row))
    return (at, *row)


class AdjustmentRow(NamedTuple):
    """An appraisal adjustment as plain values (the columns of ``models.tables.Adjustment``)."""

    id: int
    unit_id: int
    by_unit_id: int
    target: str
    value: float
    reason: str
    recorded_at: datetime


def latest_adjustments(
    *,
    session: Reader,
    cycle_id: int,
    until: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, AdjustmentRow]]:
    """unit id → target (criterion code, ``bonus``, ``penalty``) → the adjustment that counts:
    the highest level's, the latest at that level (``danvan.rules.appraisal.effective``).
    ``unit_ids`` narrows it to those units."""
    a = ADJUSTMENT.c
    stmt = select(a.id, a.unit_id, a.by_unit_id, a.target, a.value, a.reason, a.recorded_at)
    stmt = stmt.where(a.cycle_id == cycle_id).order_by(a.id)
    if until is not None:
        stmt = stmt.where(a.recorded_at <= until)
    if unit_ids is not None:
        stmt = stmt.where(a.unit_id.in_(list(unit_ids)))
    rows = [AdjustmentRow(*r) for r in session.connection().execute(stmt)]
    if not rows:
        return {}
    level = _levels(session)
    by_unit: dict[int, list[AdjustmentRow]] = {}
    for adj in rows:
        by_unit.setdefault(adj.unit_id, []).append(adj)
    out: dict[int, dict[str, AdjustmentRow]] = {}
    for unit_id, adjs in by_unit.items():
        by_id = {r.id: r for r in adjs}
        records = [
            Recorded(r.target, r.value, r.reason, level[r.by_unit_id], r.recorded_at, r.id)
            for r in adjs
        ]
        out[unit_id] = {t: by_id[r.seq] for t, r in effective(records).items()}
    return out


def _levels(session: Reader) -> dict[int, int]:
    """Every unit's depth in the tree (0: a root, the province)."""
    rows = session.connection().execute(select(UNIT.c.id, UNIT.c.parent_id))
    parent: dict[int, int | None] = {uid: up for uid, up in rows}
    levels: dict[int, int] = {}

    def depth(uid: int, seen: frozenset[int] = frozenset()) -> int:
        if uid not in levels:
            up = parent.get(uid)
            levels[uid] = 0 if up is None or up in seen else depth(up, seen | {uid}) + 1
        return levels[uid]

    for uid in parent:
        depth(uid)
    return levels


class ReturnRow(NamedTuple):
    """A return as plain values (the columns of ``models.tables.SubmissionReturn``)."""

    id: int
    unit_id: int
    by_unit_id: int
    version: int
    reason: str
    returned_at: datetime
    revise_by: date


def return_rows(
    *, session: Reader, cycle_id: int, until: datetime | None = None, unit_id: int | None = None
) -> list[ReturnRow]:
    """Every return of the cycle (of one unit when given; by ``until``), oldest first."""
    r = RETURN.c
    stmt = select(r.id, r.unit_id, r.by_unit_id, r.version, r.reason, r.returned_at,
                  r.revise_by).where(r.cycle_id == cycle_id)  # fmt: skip
    if unit_id is not None:
        stmt = stmt.where(r.unit_id == unit_id)
    if until is not None:
        stmt = stmt.where(r.returned_at <= until)
    stmt = stmt.order_by(r.returned_at, r.id)
    return [ReturnRow(*row) for row in session.connection().execute(stmt)]


def version_times(
    *, session: Reader, cycle_id: int, unit_ids: Iterable[int], until: datetime | None = None
) -> dict[int, dict[int, datetime]]:
    """unit id → version → submitted_at, for the given units (one query)."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    s = SUBMISSION.c
    cond = [s.cycle_id == cycle_id, s.unit_id.in_(ids)]
    if until is not None:
        cond.append(s.submitted_at <= until)
    stmt = select(s.unit_id, s.version, s.submitted_at).where(*cond)
    out: dict[int, dict[int, datetime]] = {}
    for unit_id, version, at in session.connection().execute(stmt):
        out.setdefault(unit_id, {})[version] = at
    return out


class MarkRow(NamedTuple):
    """A compiler's mark on a flag (the columns of ``models.tables_assist.FlagCheck``)."""

    id: int
    unit_id: int
    field: str
    kind: str
    value: float | None
    by_unit_id: int
    note: str
    at: datetime


def flag_marks(*, session: Reader, cycle_id: int, until: datetime) -> list[MarkRow]:
    """The cycle's marks made by ``until``, in the order they were made."""
    f = FLAG_CHECK.c
    stmt = (
        select(f.id, f.unit_id, f.field, f.kind, f.value, f.by_unit_id, f.note, f.at)
        .where(f.cycle_id == cycle_id, f.at <= until)
        .order_by(f.at, f.id)
    )
    return [MarkRow(*row) for row in session.connection().execute(stmt)]


class DeliveryRow(NamedTuple):
    """A message of the outbox as ``status`` shows it (never its URL: ``url_redacted``)."""

    unit_id: int
    milestone: str
    kind: str
    day: date
    url_redacted: str
    attempts: int
    status: str
    last_error: str | None


def delivery_problems(*, session: Reader, cycle_id: int) -> list[DeliveryRow]:
    """Messages whose last delivery failed or whose fate is unknown, by day then id."""
    d = DELIVERY.c
    stmt = (
        select(d.unit_id, d.milestone, d.kind, d.day, d.url_redacted, d.attempts, d.status,
               d.last_error)
        .where(d.cycle_id == cycle_id, d.status.in_(("failed", "unknown")))
        .order_by(d.day, d.id)
    )  # fmt: skip
    return [DeliveryRow(*row) for row in session.connection().execute(stmt)]


def delivery_counts(*, session: Reader, cycle_id: int) -> dict[str, int]:
    """The cycle's messages by state."""
    d = DELIVERY.c
    stmt = select(d.status, func.count()).where(d.cycle_id == cycle_id).group_by(d.status)
    return {status: n for status, n in session.connection().execute(stmt)}


def unit_codes(*, session: Reader, unit_ids: Iterable[int]) -> dict[int, str]:
    """Unit id → code for these units only (a delivery run names the units it messaged)."""
    ids = sorted(set(unit_ids))
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        stmt = select(UNIT.c.id, UNIT.c.code).where(UNIT.c.id.in_(ids[i : i + 500]))
        out.update({uid: code for uid, code in session.connection().execute(stmt)})
    return out
