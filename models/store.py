"""Data access: small functions that are *given* a session (keyword-only), never open one.

Reads are set-based (one query for all units of a cycle), so that a 25,000-unit country costs a
handful of queries, not one per unit.

Concurrency is designed here, in three helpers every write path uses (docs/design.md, "How it is built"):
``lock_cycle`` (the cycle row: shared by intake and appraisal, exclusive for ``publish``),
``lock_unit`` (one unit's versions: a transaction-scoped advisory lock) and ``insert_ignore``
(content-addressed and outbox rows: ``INSERT … ON CONFLICT DO NOTHING``). On SQLite a write
transaction already holds the database's write lock from its start (``danvan.models.db``), so the two
locks are no-ops there and only ``insert_ignore`` matters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from danvan.models.tables import (
    Adjustment,
    AuditEntry,
    Compilation,
    CriteriaSetRow,
    Cycle,
    Reopening,
    SignOff,
    StoredFile,
    Submission,
    SubmissionReturn,
    Unit,
    UnitVersion,
)
from danvan.rules.appraisal import Recorded, effective
from danvan.rules.domain import OrgUnit
from danvan.rules.org import UnitSpec, effective_unit
from danvan.rules.org_history import Frozen


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Org:
    """The tree at one date in memory: units by code, and the database ids of every unit.

    ``units`` holds the units that existed at that date (as they stood then); ``ids`` every unit
    ever recorded, so that a submission or message of any unit can be named.
    """

    units: dict[str, OrgUnit]
    ids: dict[str, int]

    @property
    def codes_by_id(self) -> dict[int, str]:
        return {i: c for c, i in self.ids.items()}


def _records_on(on: date | None) -> Any:
    """Each unit's record valid on ``on`` (None: its latest): (unit_id, valid_from) subquery."""
    newest = sa_select(UnitVersion.unit_id, func.max(UnitVersion.valid_from).label("valid_from"))
    if on is not None:
        newest = newest.where(col(UnitVersion.valid_from) <= on)
    return newest.group_by(UnitVersion.unit_id).subquery()


def load_org(*, session: Session, on: date | None = None) -> Org:
    """The org tree valid on ``on`` (a local date; None: each unit's latest record).

    Two set-based queries whatever the size: every unit's id, code and contacts, and for each
    unit the record with the latest ``valid_from`` on or before ``on``.
    """
    identity = session.execute(sa_select(Unit.id, Unit.code, Unit.contacts)).all()
    code_of = {uid: code for uid, code, _ in identity}
    contacts = {uid: tuple(c or ()) for uid, _, c in identity}
    v, sub = UnitVersion, _records_on(on)
    rows = session.execute(
        sa_select(
            v.unit_id, v.name, v.kind, v.parent_id, v.assessed, v.compiles, v.active,
            v.merged_into_id, v.predecessors,
        ).join(sub, (v.unit_id == sub.c.unit_id) & (v.valid_from == sub.c.valid_from))
    ).all()  # fmt: skip
    units = {}
    for uid, name, kind, parent_id, assessed, compiles, active, merged_into_id, preds in rows:
        spec = UnitSpec(
            code=code_of[uid],
            name=name,
            kind=kind,
            parent=code_of.get(parent_id),
            contacts=contacts[uid],
            assessed=assessed,
            compiles=compiles,
            active=active,
            merged_into=code_of.get(merged_into_id),
            predecessors=tuple(preds or ()),
        )
        units[spec.code] = effective_unit(spec)
    return Org(units=units, ids={code: uid for uid, code in code_of.items()})


def unit_records(*, session: Session, on: date | None = None) -> dict[int, dict[str, Any]]:
    """Unit id → its record valid on ``on`` (None: its latest) as plain values (with its ``id``
    and ``valid_from``), for an import to compare and amend in bulk."""
    v, sub = UnitVersion, _records_on(on)
    stmt = sa_select(*(getattr(v, c) for c in _RECORD_COLUMNS)).join(
        sub, (v.unit_id == sub.c.unit_id) & (v.valid_from == sub.c.valid_from)
    )
    return {row.unit_id: dict(row._mapping) for row in session.execute(stmt)}


_RECORD_COLUMNS = (
    "id", "unit_id", "valid_from", "name", "kind", "parent_id", "assessed", "compiles", "active",
    "merged_into_id", "predecessors",
)  # fmt: skip


def bulk_update(*, session: Session, model: type, rows: Iterable[Mapping[str, Any]]) -> int:
    """UPDATE by primary key in one executemany (each row carries its ``id``)."""
    rows = list(rows)
    if rows:
        session.execute(update(model), rows)
    return len(rows)


def latest_record_dates(*, session: Session) -> dict[int, date]:
    """Unit id → the date of its latest record."""
    sub = _records_on(None)
    return {uid: on for uid, on in session.execute(sa_select(sub.c.unit_id, sub.c.valid_from))}


def published_cut_offs(*, session: Session) -> dict[str, Frozen]:
    """Province code → its latest published cycle (year, ``self_assessment`` deadline)."""
    stmt = (
        select(Unit.code, Cycle.year, Cycle.self_assessment_deadline)
        .join(Unit, Unit.id == Cycle.province_id)
        .where(col(Cycle.published_at).is_not(None))
    )
    out: dict[str, Frozen] = {}
    for code, year, cut_off in session.exec(stmt).all():
        if code not in out or cut_off > out[code].cut_off:
            out[code] = Frozen(year=year, cut_off=cut_off)
    return out


def audit(
    *, session: Session, at: datetime, actor: str, action: str, entity: str, key: str, **detail: Any
) -> None:
    """Append one entry to the audit log (never updated, never deleted)."""
    session.add(
        AuditEntry(at=at, actor=actor, action=action, entity=entity, entity_key=key, detail=detail)
    )


#: First key of the two-key advisory locks taken per unit (a namespace of our own).
_UNIT_LOCK = 0x64760001


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_cycle(*, session: Session, cycle_id: int, exclusive: bool = False) -> Cycle | None:
    """The cycle row, read fresh and locked until the transaction ends.

    Intake and appraisal take it shared (``FOR SHARE``: they run side by side); ``publish`` takes
    it exclusive (``FOR NO KEY UPDATE``), so it waits for every intake already under way, and an
    intake that comes after reads ``published_at`` set. This is what makes publication atomic
    with respect to intake: a file answered "accepted" committed before the results were frozen.
    """
    stmt = select(Cycle).where(Cycle.id == cycle_id).execution_options(populate_existing=True)
    if _dialect(session) == "postgresql":
        stmt = stmt.with_for_update(read=not exclusive, key_share=exclusive)
    return session.exec(stmt).first()


def lock_unit(*, session: Session, unit_id: int) -> None:
    """Serialise writers of one unit's versions (held until commit or rollback).

    Without it two submissions of one unit both read version N and both write N + 1: one fails
    on the unique (cycle, unit, version) key. Statements after the lock see every version
    committed before it (READ COMMITTED), so versions come out 1..N with no gap.
    """
    if _dialect(session) == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :unit)"), {"ns": _UNIT_LOCK, "unit": unit_id}
        )


def insert_ignore(
    *, session: Session, model: type, rows: list[Mapping[str, Any]], keys: list[str]
) -> int:
    """Insert ``rows``, skipping those whose ``keys`` already exist (committed or not yet:
    the database waits for a concurrent inserter and then skips). Returns how many were new."""
    if not rows:
        return 0
    make = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    new = 0
    for i in range(0, len(rows), 500):  # SQLite caps the parameters of one statement
        stmt = make(model).values(rows[i : i + 500]).on_conflict_do_nothing(index_elements=keys)
        new += len(session.execute(stmt.returning(getattr(model, keys[0]))).all())
    return new


def store_file(*, session: Session, data: bytes, at: datetime) -> str:
    """Keep the original bytes once, addressed by their sha256. Returns the checksum.

    Two submissions carrying byte-identical files at once both succeed: the second insert is
    skipped, not an error.
    """
    digest = sha256(data)
    if session.get(StoredFile, digest) is None:
        row = {"sha256": digest, "size": len(data), "content": data, "first_seen_at": at}
        insert_ignore(session=session, model=StoredFile, rows=[row], keys=["sha256"])
    return digest


def get_criteria_set(*, session: Session, code: str) -> CriteriaSetRow | None:
    return session.exec(select(CriteriaSetRow).where(CriteriaSetRow.code == code)).first()


def find_cycle(*, session: Session, year: int, province: str | None = None) -> Cycle | None:
    """The cycle of ``year`` (of ``province`` when several provinces share the database)."""
    stmt = select(Cycle).where(Cycle.year == year)
    if province:
        stmt = stmt.join(Unit, Unit.id == Cycle.province_id).where(Unit.code == province)
    rows = session.exec(stmt).all()
    if len(rows) > 1:
        raise LookupError(f"several provinces have a {year} cycle: name one with --province")
    return rows[0] if rows else None


def open_cycle_years(*, session: Session) -> list[int]:
    """The years of every cycle not yet published, ascending."""
    stmt = select(Cycle.year).where(col(Cycle.published_at).is_(None))
    return sorted(set(session.exec(stmt).all()))


def previous_cycle(*, session: Session, cycle: Cycle) -> Cycle | None:
    stmt = (
        select(Cycle)
        .where(Cycle.province_id == cycle.province_id, Cycle.year < cycle.year)
        .order_by(col(Cycle.year).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


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
    agg = (
        select(
            Submission.unit_id,
            func.min(Submission.submitted_at).label("first"),
            func.max(Submission.version).label("latest"),
        )
        .where(*cond)
        .group_by(Submission.unit_id)
        .subquery()
    )
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


def unit_latest(*, session: Session, cycle_id: int, unit_id: int) -> Latest | None:
    """One unit's latest version and first instant (two indexed lookups, for intake)."""
    sub = session.exec(
        select(Submission)
        .where(Submission.cycle_id == cycle_id, Submission.unit_id == unit_id)
        .order_by(col(Submission.version).desc())
        .limit(1)
    ).first()
    if sub is None:
        return None
    first = first_submitted_at(session=session, cycle_id=cycle_id, unit_id=unit_id)
    assert first is not None
    return Latest(unit_id=unit_id, first_submitted_at=first, submission=sub)


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


def bulk_insert(*, session: Session, model: type, rows: Iterable[Mapping[str, Any]]) -> int:
    """Core bulk insert (≈6× faster than ORM ``add_all`` on 12k rows)."""
    rows = list(rows)
    if rows:
        session.execute(insert(model), rows)
    return len(rows)


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
