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
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from danvan.models import sqltext
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
from danvan.models.reads import (  # noqa: F401 (re-exported: the reads moved there, issue 20)
    CycleRow,
    Org,
    ancestors,
    load_org,
)
from danvan.models.reads import find_cycle as find_cycle_row
from danvan.models.reads import previous_cycle as previous_cycle_row
from danvan.models.recorded import unit_codes  # noqa: F401 (re-exported)
from danvan.models.tables import AuditEntry, CriteriaSetRow, Cycle, Unit
from danvan.rules.org_history import Frozen


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


def find_cycle(
    *, session: Session, year: int, province: str | None = None, unit: str | None = None
) -> Cycle | None:
    """The cycle of ``year`` as its table row (a writer changes it): the cycle
    :func:`danvan.models.reads.find_cycle` finds (one rule), read by its key."""
    row = find_cycle_row(session=session, year=year, province=province, unit=unit)
    return None if row is None else session.get(Cycle, row.id)


def cycle_unit_codes(*, session: Session, cycle_id: int) -> dict[int, str]:
    """Unit id → code for every unit of the cycle's province (:func:`province_scope`): what the
    outbox and the reminders name their recipients by, without reading the country's units."""
    province_id = session.exec(select(Cycle.province_id).where(Cycle.id == cycle_id)).one()
    stmt = sqltext.Statement(
        f"{sqltext.PROVINCE_SCOPE} SELECT unit.id, unit.code FROM unit"
        " WHERE unit.id IN (SELECT scope.id FROM scope)",
        "is",
    )
    return dict(sqltext.run(session, stmt, {"province_id": province_id}))


def cycle_count(*, session: Session, year: int) -> int:
    """How many provinces have a cycle of ``year`` (more than one: a file's unit decides)."""
    return session.exec(select(func.count(Cycle.id)).where(Cycle.year == year)).one()


def open_cycle_years(*, session: Session) -> list[int]:
    """The years of every cycle not yet published, ascending."""
    stmt = select(Cycle.year).where(col(Cycle.published_at).is_(None))
    return sorted(set(session.exec(stmt).all()))


def cycle_years(*, session: Session) -> list[int]:
    """The years of every cycle, published or not, ascending (the calendar reconciles them all:
    a published cycle must have no scheduled run left, whatever failed before)."""
    return sorted(set(session.exec(select(Cycle.year)).all()))


def previous_cycle(*, session: Session, cycle: Cycle | CycleRow) -> CycleRow | None:
    """The province's latest cycle before ``cycle`` (a plain row: readers take its id)."""
    return previous_cycle_row(session=session, province_id=cycle.province_id, year=cycle.year)
