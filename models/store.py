"""Data access: small functions that are *given* a session (keyword-only), never open one.

Reads are set-based (one query for all units of a cycle), so that a 25,000-unit country costs a
handful of queries, not one per unit.

Concurrency is designed here, in the helpers every write path uses (docs/design.md, "How it is built"):
``lock_cycle`` (the cycle row: shared by intake and appraisal, exclusive for ``publish``),
``lock_unit`` (one unit's versions: a transaction-scoped advisory lock), ``lock_provinces`` (one
province's tree and plan: ``org import`` and ``plan issue``, the same kind of lock) and
``insert_ignore`` (content-addressed and outbox rows: ``INSERT … ON CONFLICT DO NOTHING``). On
SQLite a write transaction already holds the database's write lock from its start
(``danvan.models.db``), so the advisory locks are no-ops there and only ``insert_ignore`` matters.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import String, bindparam, func, text, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from danvan.models import jsontext
from danvan.models.bulk import (  # noqa: F401 (re-exported: store is where callers look)
    bulk_insert,
    bulk_update,
    insert_ignore,
    insert_missing,
    insert_new,
    known_files,
    sha256,
    store_file,
)
from danvan.models.tables import (
    AuditEntry,
    CriteriaSetRow,
    Cycle,
    Unit,
    UnitVersion,
)
from danvan.rules.domain import OrgUnit
from danvan.rules.org import unit_with_defaults
from danvan.rules.org_history import Frozen


@dataclass(frozen=True)
class Org:
    """The tree at one date in memory: units by code, and the database ids of every unit.

    ``units`` holds the units that existed at that date (as they stood then); ``ids`` every unit
    ever recorded, so that a submission or message of any unit can be named.
    """

    units: dict[str, OrgUnit]
    ids: dict[str, int]

    @cached_property
    def codes_by_id(self) -> dict[int, str]:
        """Unit id → code, built once per tree (callers ask for it per row; read-only)."""
        return {i: c for c, i in self.ids.items()}


def _records_on(on: date | None, within: Any = None) -> Any:
    """Each unit's record valid on ``on`` (None: its latest): (unit_id, valid_from) subquery;
    ``within``: only the units of this id subquery (a province's, :func:`province_scope`)."""
    newest = sa_select(UnitVersion.unit_id, func.max(UnitVersion.valid_from).label("valid_from"))
    if on is not None:
        newest = newest.where(col(UnitVersion.valid_from) <= on)
    if within is not None:
        newest = newest.where(col(UnitVersion.unit_id).in_(sa_select(within.c.id)))
    return newest.group_by(UnitVersion.unit_id).subquery()


def province_scope(province_id: int) -> Any:
    """The ids of every unit that was ever, at any date, in ``province_id``'s tree (a CTE).

    Walked down the parent of every dated record, so a unit moved to another province (the
    2025 mergers) is in the scope of both, and a cycle of either still finds it at its own
    date; the exact tree of a date is then cut from these units in memory (``subtree``). Each
    step is an index lookup (``unit_version.parent_id``): a province's load costs what its own
    units cost, however many other provinces share the database (SPEC §4).
    """
    scope = (
        sa_select(Unit.id.label("id")).where(Unit.id == province_id).cte("scope", recursive=True)
    )
    children = sa_select(UnitVersion.unit_id).join(scope, UnitVersion.parent_id == scope.c.id)
    return scope.union(children)


def load_org(*, session: Session, on: date | None = None, province_id: int | None = None) -> Org:
    """The org tree valid on ``on`` (a local date; None: each unit's latest record); with
    ``province_id``, only that province's units (:func:`province_scope`).

    Two set-based queries whatever the size: every unit's id, code and contacts, and for each
    unit the record with the latest ``valid_from`` on or before ``on``.
    """
    within = province_scope(province_id) if province_id is not None else None
    who = sa_select(Unit.id, Unit.code, _raw(Unit.contacts))
    if within is not None:
        who = who.where(col(Unit.id).in_(sa_select(within.c.id)))
    identity = session.connection().execute(who).all()
    code_of = {uid: code for uid, code, _ in identity}
    contacts = {uid: _list(c) for uid, _, c in identity}
    v, sub = UnitVersion, _records_on(on, within)
    rows = session.connection().execute(
        sa_select(
            v.unit_id, v.name, v.kind, v.parent_id, v.assessed, v.compiles, v.active,
            v.merged_into_id, _raw(v.predecessors),
        ).join(sub, (v.unit_id == sub.c.unit_id) & (v.valid_from == sub.c.valid_from))
        .order_by(v.id)  # the records' order, whatever the plan: the reports list units in it
    ).all()  # fmt: skip
    units = {}
    for uid, name, kind, parent_id, assessed, compiles, active, merged_into_id, preds in rows:
        if parent_id is not None and parent_id not in code_of:
            continue  # in another province's tree on that date (moved there later or before)
        code = code_of[uid]
        units[code] = unit_with_defaults(
            code, name, kind, code_of.get(parent_id), contacts[uid], assessed, compiles, active,
            code_of.get(merged_into_id), _list(preds),
        )  # fmt: skip
    return Org(units=units, ids={code: uid for uid, code in code_of.items()})


def _raw(column: Any) -> Any:
    """A JSON list column read as the database gives it (SQLite: its text), so that the usual
    empty list costs no JSON decoding: 50,000 decodes were a third of a 25,000-unit status."""
    return type_coerce(column, String)


def _list(value: Any) -> tuple:
    """A JSON list column's value as a tuple (text from SQLite, already a list from psycopg)."""
    if not value or value == "[]":
        return ()
    return tuple(jsontext.loads(value) if isinstance(value, str) else value)


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
#: … and per province, by the writers of its tree and plan (``lock_provinces``).
_PROVINCE_LOCK = 0x64760002


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


def lock_units(*, session: Session, unit_ids: Iterable[int]) -> None:
    """:func:`lock_unit` for several units in one statement, taken in id order (a batch of
    files: any other writer holds at most these locks in the same order, so none waits in a
    circle)."""
    ids = sorted(set(unit_ids))
    if ids and _dialect(session) == "postgresql":
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:ns, u)) FROM"
                " (SELECT unnest(CAST(:ids AS integer[])) AS u ORDER BY 1) AS s"
            ),
            {"ns": _UNIT_LOCK, "ids": ids},
        )


def lock_provinces(*, session: Session, codes: Iterable[str]) -> None:
    """Serialise the writers of these provinces' trees and plans (held until commit or rollback).

    ``org import`` and ``plan issue`` read what is recorded, decide, then insert: two at once
    both found nothing and both inserted, and the second failed on a unique key. With this
    lock taken first the second waits, and every statement after it sees what the first
    committed (READ COMMITTED): it answers as if it had come after ("unchanged", "already
    issued"). Keys are taken in one order, so two runs naming several provinces never deadlock;
    two codes sharing a key only wait for each other.
    """
    if _dialect(session) == "postgresql":
        for key in sorted({_code_key(c) for c in codes}):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                {"ns": _PROVINCE_LOCK, "key": key},
            )


def _code_key(code: str) -> int:
    """A unit code as the signed 32-bit second key of an advisory lock."""
    key = zlib.crc32(code.encode())
    return key - (1 << 32) if key >= 1 << 31 else key


def get_criteria_set(*, session: Session, code: str) -> CriteriaSetRow | None:
    return session.exec(select(CriteriaSetRow).where(CriteriaSetRow.code == code)).first()


#: Built once: every portal request reads its cycle (building the statement cost more).
_YEAR_CYCLES = select(Cycle).where(Cycle.year == bindparam("year"))
_PROVINCE_CYCLE = _YEAR_CYCLES.join(Unit, col(Unit.id) == Cycle.province_id).where(
    Unit.code == bindparam("province")
)


def find_cycle(
    *, session: Session, year: int, province: str | None = None, unit: str | None = None
) -> Cycle | None:
    """The cycle of ``year``: of ``province`` when given; else the only one of that year; else
    (several provinces share the database) the one whose tree ``unit`` is in, when a file names
    its unit. LookupError when it stays ambiguous."""
    if province:
        rows = session.exec(_PROVINCE_CYCLE, params={"year": year, "province": province}).all()
    else:
        rows = session.exec(_YEAR_CYCLES, params={"year": year}).all()
    if len(rows) > 1 and unit:
        above = ancestors(session=session, code=unit)
        rows = [r for r in rows if r.province_id in above]
    if len(rows) > 1:
        raise LookupError(f"several provinces have a {year} cycle: name one with --province")
    return rows[0] if rows else None


def cycle_unit_codes(*, session: Session, cycle_id: int) -> dict[int, str]:
    """Unit id → code for every unit of the cycle's province (:func:`province_scope`): what the
    outbox and the reminders name their recipients by, without reading the country's units."""
    province_id = session.exec(select(Cycle.province_id).where(Cycle.id == cycle_id)).one()
    scope = province_scope(province_id)
    stmt = sa_select(Unit.id, Unit.code).where(col(Unit.id).in_(sa_select(scope.c.id)))
    return {uid: code for uid, code in session.execute(stmt)}


def unit_codes(*, session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    """Unit id → code for these units only (a delivery run names the units it messaged)."""
    ids = sorted(set(unit_ids))
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        stmt = sa_select(Unit.id, Unit.code).where(col(Unit.id).in_(ids[i : i + 500]))
        out.update({uid: code for uid, code in session.execute(stmt)})
    return out


def cycle_count(*, session: Session, year: int) -> int:
    """How many provinces have a cycle of ``year`` (more than one: a file's unit decides)."""
    return session.exec(select(func.count(Cycle.id)).where(Cycle.year == year)).one()


def ancestors(*, session: Session, code: str) -> set[int]:
    """The ids of ``code`` and of every unit ever above it (any dated record): a few index
    lookups up a tree of depth 2–4, whatever the size of the database."""
    up = sa_select(Unit.id.label("id")).where(Unit.code == code).cte("up", recursive=True)
    parents = sa_select(UnitVersion.parent_id).join(up, UnitVersion.unit_id == up.c.id)
    up = up.union(parents.where(col(UnitVersion.parent_id).is_not(None)))
    return {i for (i,) in session.execute(sa_select(up.c.id))}


def open_cycle_years(*, session: Session) -> list[int]:
    """The years of every cycle not yet published, ascending."""
    stmt = select(Cycle.year).where(col(Cycle.published_at).is_(None))
    return sorted(set(session.exec(stmt).all()))


def cycle_years(*, session: Session) -> list[int]:
    """The years of every cycle, published or not, ascending (the calendar reconciles them all:
    a published cycle must have no scheduled run left, whatever failed before)."""
    return sorted(set(session.exec(select(Cycle.year)).all()))


def previous_cycle(*, session: Session, cycle: Cycle) -> Cycle | None:
    stmt = (
        select(Cycle)
        .where(Cycle.province_id == cycle.province_id, Cycle.year < cycle.year)
        .order_by(col(Cycle.year).desc())
        .limit(1)
    )
    return session.exec(stmt).first()
