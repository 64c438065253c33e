"""Writing rows in bulk (split out of :mod:`danvan.models.store`, which re-exports these):
``INSERT … ON CONFLICT DO NOTHING`` for content-addressed and outbox rows, Core inserts and
updates by primary key, the stored files of a batch. Like the rest of ``models``, every function
is *given* a session."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from danvan.models.tables import StoredFile


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def insert_or_skip(table: Table, keys: tuple[str, ...], returning: str | None = None) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` [``RETURNING returning``] on ``table``, built
    once per table, keys and returned column, and compiled once per dialect.

    Why not ``postgresql.insert(…).on_conflict_do_nothing``/``sqlite.insert``: SQLAlchemy (2.0.58)
    gives those dialect constructs no cache key, so every execution compiled the statement anew
    (~0.5 ms, a third of queueing a portal receipt). The same clause as text on the standard
    insert is cached like any other statement, and its SQL is the same on SQLite (≥ 3.24) and
    PostgreSQL, as are the rows skipped: only a conflict on ``keys``, never a NULL or a CHECK
    (what ``INSERT OR IGNORE`` would also skip). SQLAlchemy still batches the rows into
    multi-row VALUES (``insertmanyvalues``, the upsert kind), RETURNING included."""
    target = ", ".join(f'"{key}"' for key in keys)
    stmt = insert(table)
    stmt._post_values_clause = text(f"ON CONFLICT ({target}) DO NOTHING")
    return stmt.returning(table.c[returning]) if returning else stmt


def bulk_update(*, session: Session, model: type, rows: Iterable[Mapping[str, Any]]) -> int:
    """UPDATE by primary key in one executemany (each row carries its ``id``)."""
    rows = list(rows)
    if rows:
        session.execute(update(model), rows)
    return len(rows)


def insert_ignore(
    *, session: Session, model: type, rows: list[Mapping[str, Any]], keys: list[str]
) -> int:
    """Insert ``rows``, skipping those whose ``keys`` already exist (committed or not yet:
    the database waits for a concurrent inserter and then skips). Returns how many were new."""
    return len(insert_new(session=session, model=model, rows=rows, keys=keys, returning=keys[0]))


def insert_new(
    *,
    session: Session,
    model: type,
    rows: list[Mapping[str, Any]],
    keys: list[str],
    returning: str,
) -> list[Any]:
    """:func:`insert_ignore`, returning the column ``returning`` of the rows inserted (their
    ids: the portal's courier is handed the receipts its upload queued, not asked to find
    them)."""
    if not rows:
        return []
    stmt = insert_or_skip(model.__table__, tuple(keys), returning)  # type: ignore[attr-defined]
    # one executemany on the connection (no ORM bulk path): SQLAlchemy batches the rows into
    # multi-row VALUES within SQLite's parameter cap ("insertmanyvalues")
    return list(session.connection().execute(stmt, rows).scalars())


def insert_missing(
    *, session: Session, model: type, rows: list[Mapping[str, Any]], keys: list[str]
) -> None:
    """:func:`insert_ignore` as one executemany (a batch's stored files): no count, and one
    compiled statement whatever the number of rows."""
    if rows:
        stmt = insert_or_skip(model.__table__, tuple(keys))  # type: ignore[attr-defined]
        session.connection().execute(stmt, rows)


def store_file(*, session: Session, data: bytes, at: datetime) -> str:
    """Keep the original bytes once, addressed by their sha256. Returns the checksum.

    Two submissions carrying byte-identical files at once both succeed: the second insert is
    skipped, not an error.
    """
    digest = sha256(data)
    # its key only: ``session.get`` would load a stored file's bytes and keep them in the session
    # until it ends (a compile again at the same instant stores 301 folders' files that exist)
    if not known_files(session=session, digests=[digest]):
        row = {"sha256": digest, "size": len(data), "content": data, "first_seen_at": at}
        insert_ignore(session=session, model=StoredFile, rows=[row], keys=["sha256"])
    return digest


def known_files(*, session: Session, digests: Iterable[str]) -> set[str]:
    """Which of these sha256 are stored already (their bytes are not read)."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        stmt = sa_select(StoredFile.sha256).where(col(StoredFile.sha256).in_(wanted[i : i + 500]))
        found.update(session.execute(stmt).scalars())
    return found


def bulk_insert(*, session: Session, model: type, rows: Iterable[Mapping[str, Any]]) -> int:
    """Core bulk insert (≈6× faster than ORM ``add_all`` on 12k rows)."""
    rows = list(rows)
    if rows:  # the table, not the class: the ORM's bulk path costs twice as much
        session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)
