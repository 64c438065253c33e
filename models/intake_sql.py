"""The statements that record intake files (``tasks.intake_record``), each built once.

Why apart from :mod:`danvan.models.store` and :mod:`danvan.models.versions`: a portal upload
records one file, and there the statements' own cost is what a request pays. A statement built
per call (ORM attributes, a subquery, ``IN`` of literal ids) costs more CPU than its execution:
SQLAlchemy builds it, then walks it for its cache key, then the ORM loads objects. Here each is
built once from the tables' columns with bound (``expanding``) parameters, so SQLAlchemy finds
its compiled form by a memoised key, and run on the session's connection, so no ORM object is
made. Like the rest of ``models``, every function is *given* a session, in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
from sqlmodel import Session

from danvan.models.bulk import insert_or_skip
from danvan.models.tables import (
    AuditEntry,
    Cycle,
    StoredFile,
    Submission,
    SubmissionFile,
    SubmissionReturn,
)
from danvan.models.tables_assist import ReportPassage
from danvan.models.versions import Head


def _table(model: Any) -> Table:
    return model.__table__


_SUB, _RET, _FILE, _CYCLE = (_table(m) for m in (Submission, SubmissionReturn, StoredFile, Cycle))


def _heads() -> Any:
    """Per unit of ``unit_ids`` in ``cycle_id``: its latest version (number, id, file) and its
    first instant, joined back to the version row."""
    s = _SUB
    agg = (
        select(
            s.c.unit_id,
            func.min(s.c.submitted_at).label("first"),
            func.max(s.c.version).label("latest"),
        )
        .where(s.c.cycle_id == bindparam("cycle_id"))
        .where(s.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
        .group_by(s.c.unit_id)
        .subquery()
    )
    return (
        select(s.c.unit_id, s.c.version, s.c.id, s.c.file_sha256, agg.c.first)
        .join(agg, (s.c.unit_id == agg.c.unit_id) & (s.c.version == agg.c.latest))
        .where(s.c.cycle_id == bindparam("cycle_id"))
    )


_HEADS = _heads()
_RETURNS = (
    select(_RET)
    .where(_RET.c.cycle_id == bindparam("cycle_id"))
    .where(_RET.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
    .order_by(_RET.c.returned_at, _RET.c.id)
)
_STATE = select(_CYCLE.c.published_at).where(_CYCLE.c.id == bindparam("cycle_id"))
_STATE_SHARED = _STATE.with_for_update(read=True)  # PostgreSQL: FOR SHARE
_KNOWN = select(_FILE.c.sha256).where(_FILE.c.sha256.in_(bindparam("digests", expanding=True)))
_NEW_SUBMISSIONS = insert(_SUB).returning(_SUB.c.id, sort_by_parameter_order=True)
_INSERTS = {
    name: insert(_table(model))
    for name, model in (
        ("submission_file", SubmissionFile),
        ("report_passage", ReportPassage),
        ("audit", AuditEntry),
    )
}
#: Stored bytes are content-addressed: a file stored meanwhile is skipped, not an error
#: (``ON CONFLICT (sha256) DO NOTHING`` on both databases, compiled once: ``insert_or_skip``).
_STORE = insert_or_skip(_FILE, ("sha256",))
#: Ids per ``IN`` list: well below SQLite's cap on bound parameters.
_CHUNK = 500


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    ids = sorted(set(values))
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def cycle_state(*, session: Session) -> Any:
    """The statement reading ``(published_at,)`` of ``cycle_id``, locked shared on PostgreSQL
    (``store.lock_cycle_state``'s rule: a publication waits for these files, or they see it)."""
    return _STATE_SHARED if session.get_bind().dialect.name == "postgresql" else _STATE


def lock_cycle_state(*, session: Session, cycle_id: int) -> tuple[datetime | None] | None:
    """``(published_at,)`` of the cycle, read fresh and locked shared; None when it is gone."""
    row = session.connection().execute(cycle_state(session=session), {"cycle_id": cycle_id})
    found = row.first()
    return None if found is None else (found[0],)


def unit_heads(*, session: Session, cycle_id: int, unit_ids: Iterable[int]) -> dict[int, Head]:
    """Each unit's latest version in the cycle and its first instant (one query per 500)."""
    out: dict[int, Head] = {}
    conn = session.connection()
    for ids in _chunks(unit_ids):
        for unit_id, version, sub_id, sha, first in conn.execute(
            _HEADS, {"cycle_id": cycle_id, "unit_ids": ids}
        ):
            out[unit_id] = Head(version, sub_id, sha, first)
    return out


def returns_of_units(
    *, session: Session, cycle_id: int, unit_ids: Iterable[int]
) -> list[SubmissionReturn]:
    """Every return of these units in the cycle, oldest first (usually none)."""
    conn, out = session.connection(), []
    for ids in _chunks(unit_ids):
        rows = conn.execute(_RETURNS, {"cycle_id": cycle_id, "unit_ids": ids}).mappings()
        out += [SubmissionReturn(**row) for row in rows]
    return out


def known_files(*, session: Session, digests: Iterable[str]) -> set[str]:
    """Which of these sha256 are stored already (their bytes are not read)."""
    conn, found = session.connection(), set[str]()
    for chunk in _chunks(digests):
        found.update(conn.execute(_KNOWN, {"digests": chunk}).scalars())
    return found


def store_files(*, session: Session, blobs: Mapping[str, bytes], at: datetime) -> None:
    """Keep these files' bytes (sha256 → bytes), skipping any stored already or meanwhile (two
    units sending byte-identical files at once both succeed). PostgreSQL first asks which are
    stored, so that known bytes (evidence sent again) do not cross the network; SQLite, in the
    same process, lets ``ON CONFLICT DO NOTHING`` skip them: one statement fewer an upload."""
    if not blobs:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    stored = known_files(session=session, digests=blobs) if postgres else set()
    rows = [
        {"sha256": d, "size": len(b), "content": b, "first_seen_at": at}
        for d, b in blobs.items()
        if d not in stored
    ]
    if rows:
        session.connection().execute(_STORE, rows)


def insert_submissions(*, session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """The new versions' rows; their ids, in the order of ``rows``."""
    return list(session.connection().execute(_NEW_SUBMISSIONS, list(rows)).scalars())


def insert_rows(*, session: Session, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of ``submission_file``, ``report_passage`` or ``audit`` in one executemany."""
    if rows:
        session.connection().execute(_INSERTS[table], list(rows))
