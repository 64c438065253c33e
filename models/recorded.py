"""What a cycle has recorded, read by the statements of :mod:`danvan.models.sqltext`: the
versions that count, the standings' key, the adjustments, the returns, the flags' marks and the
outbox, as plain values (no table class, no ORM object; issue 20: ``danvan status`` imports no
SQLModel nor SQLAlchemy). ``models.versions`` and ``models.store`` re-export what moved here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from danvan.models import jsontext, sqltext
from danvan.models.sqltext import run
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
    ids = None if unit_ids is None else list(unit_ids)
    stmt = sqltext.latest_facts(until is not None, ids, figures, scores)
    params: dict[str, Any] = {"cycle_id": cycle_id}
    if until is not None:
        params["until"] = until
    out: dict[int, LatestFacts] = {}
    instants: dict[Any, datetime] = {}  # the instants come raw: each distinct one decoded once
    for row in run(session, stmt, params):
        uid, version, at, first, scores_, bonus, penalty, total, na, warnings, *rest = row
        at = instants.get(at) or instants.setdefault(at, sqltext.instant(at))
        first = instants.get(first) or instants.setdefault(first, sqltext.instant(first))
        out[uid] = LatestFacts(
            uid, version, at, first, _json(scores_), bonus, penalty, total,
            {} if na == "{}" else _json(na), () if warnings == "[]" else tuple(_json(warnings) or ()),
            _json(rest[0]) if rest else None,
        )  # fmt: skip
    return out


def standings_version(*, session: Reader, cycle_id: int, at: datetime | None) -> tuple:
    """What a cycle's standings at ``at`` are computed from, as a small key read in one query.

    Per table that feeds them (versions, adjustments, returns; all append-only): how many rows
    the cycle has and how many count at ``at``. Rows are only ever added, so the cycle's rows
    at two moments are nested and the same count is the same rows. When every row counts (the
    portal's usual ``at``, now) the key leaves ``at`` out and stays the same from one request to
    the next until something is recorded; otherwise ``at`` is part of it.
    """
    params: dict[str, Any] = {"cycle_id": cycle_id}
    if at is not None:
        params["at"] = at
    row = run(session, sqltext.standings_version(at is not None), params)[0]
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
    ids = None if unit_ids is None else list(unit_ids)
    params: dict[str, Any] = {"cycle_id": cycle_id}
    if until is not None:
        params["until"] = until
    stmt = sqltext.adjustments(until is not None, ids)
    rows = [AdjustmentRow(*r) for r in run(session, stmt, params)]
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
    parent: dict[int, int | None] = {uid: up for uid, up in run(session, sqltext.LEVELS)}
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
    params: dict[str, Any] = {"cycle_id": cycle_id}
    if unit_id is not None:
        params["unit_id"] = unit_id
    if until is not None:
        params["until"] = until
    stmt = sqltext.returns(until is not None, unit_id is not None)
    return [ReturnRow(*row) for row in run(session, stmt, params)]


def version_times(
    *, session: Reader, cycle_id: int, unit_ids: Iterable[int], until: datetime | None = None
) -> dict[int, dict[int, datetime]]:
    """unit id → version → submitted_at, for the given units (one query)."""
    ids = list(set(unit_ids))
    if not ids:
        return {}
    params: dict[str, Any] = {"cycle_id": cycle_id}
    if until is not None:
        params["until"] = until
    stmt = sqltext.version_times(until is not None, ids)
    out: dict[int, dict[int, datetime]] = {}
    for unit_id, version, at in run(session, stmt, params):
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
    params = {"cycle_id": cycle_id, "until": until}
    return [MarkRow(*row) for row in run(session, sqltext.FLAG_MARKS, params)]


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
    rows = run(session, sqltext.DELIVERY_PROBLEMS, {"cycle_id": cycle_id})
    return [DeliveryRow(*row) for row in rows]


def delivery_counts(*, session: Reader, cycle_id: int) -> dict[str, int]:
    """The cycle's messages by state."""
    rows = run(session, sqltext.DELIVERY_COUNTS, {"cycle_id": cycle_id})
    return {status: n for status, n in rows}


def unit_codes(*, session: Reader, unit_ids: Iterable[int]) -> dict[int, str]:
    """Unit id → code for these units only (a delivery run names the units it messaged)."""
    ids = sorted(set(unit_ids))
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        out.update(dict(run(session, sqltext.unit_codes(ids[i : i + 500]))))
    return out


def unit_versions(
    *, session: Reader, cycle_id: int, unit_id: int, until: datetime | None = None
) -> list[tuple]:
    """One unit's versions (id, version, submitted_at, submitted_by, file name, sha256)."""
    params: dict[str, Any] = {"cycle_id": cycle_id, "unit_id": unit_id}
    if until is not None:
        params["until"] = until
    return run(session, sqltext.unit_versions(until is not None), params)


def version_files(*, session: Reader, submission_ids: Iterable[int]) -> list[tuple]:
    """The files of these versions (version id, role, criterion, file name, sha256, size)."""
    return run(session, sqltext.version_files(submission_ids))
