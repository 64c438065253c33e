"""Writing rows in bulk (split out of :mod:`danvan.models.store`, which re-exports these):
``INSERT … ON CONFLICT DO NOTHING`` for content-addressed and outbox rows, Core inserts and
updates by primary key, the stored files of a batch. Like the rest of ``models``, every function
is *given* a session."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from danvan.models.tables import StoredFile


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


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
    if not rows:
        return 0
    make = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    stmt = make(table).on_conflict_do_nothing(index_elements=keys).returning(table.c[keys[0]])
    # one executemany: the statement is compiled once and cached, SQLAlchemy batches the rows
    # into multi-row VALUES within SQLite's parameter cap ("insertmanyvalues")
    return len(session.execute(stmt, rows).all())


def insert_missing(
    *, session: Session, model: type, rows: list[Mapping[str, Any]], keys: list[str]
) -> None:
    """:func:`insert_ignore` as one executemany (a batch's stored files): no count, and one
    compiled statement whatever the number of rows."""
    if rows:
        make = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        table = model.__table__  # type: ignore[attr-defined]
        session.execute(make(table).on_conflict_do_nothing(index_elements=keys), rows)


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
