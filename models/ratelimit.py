"""Counting the portal's requests in the database, so that every worker process of
``danvan portal --workers N`` reads and adds to the same count (SPEC §4.5).

One statement per request: an insert that adds one to the (key, minute) row if it is there and
returns the new count, atomic on PostgreSQL and SQLite alike; the key's older minutes are
deleted when a new minute starts (at most two rows per key stay).

On PostgreSQL the statement is its own transaction (autocommit): no ``BEGIN``/``COMMIT`` round
trips around it, and the row — shared by every request of one link — is locked only while the
statement commits, not while the request's thread waits for the interpreter between
statements (200 uploads at once through 2 workers: docs/development.md). On SQLite it is a
write transaction as any other, in the writers' line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from danvan.models.tables import PortalHit


def hit(engine: Engine, key: str, window: int) -> int:
    """Count one request of ``key`` in minute ``window``; returns the minute's count so far."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _count(conn, postgresql.insert, key, window)
    with engine.begin() as conn:
        return _count(conn, sqlite.insert, key, window)


def _count(conn: Connection, make: Callable[..., Any], key: str, window: int) -> int:
    count = int(conn.execute(_counting(make), {"k": key, "w": window}).scalar_one())
    if count == 1:  # a new minute: the key's older ones go (another statement, harmless apart)
        conn.execute(_FORGET, {"k": key, "w": window - 1})
    return count


@functools.cache
def _counting(make: Callable[..., Any]) -> Any:
    """The counting statement of one dialect, built once (issue 18: building it and its cache
    key was ~0.3 ms of CPU on every request of ``--workers N``)."""
    stmt = make(PortalHit).values(key=bindparam("k"), window=bindparam("w"), count=1)
    return stmt.on_conflict_do_update(
        index_elements=["key", "window"], set_={"count": PortalHit.count + 1}
    ).returning(PortalHit.count)


_FORGET = delete(PortalHit).where(
    col(PortalHit.key) == bindparam("k"), col(PortalHit.window) < bindparam("w")
)
