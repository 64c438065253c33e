"""Counting the portal's requests in the database, so that every worker process of
``danvan portal --workers N`` reads and adds to the same count (SPEC §4.5).

One statement per request: an insert that adds one to the (key, minute) row if it is there and
returns the new count, atomic on PostgreSQL and SQLite alike; the key's older minutes are
deleted when a new minute starts (at most two rows per key stay).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from danvan.models.tables import PortalHit


def hit(engine: Engine, key: str, window: int) -> int:
    """Count one request of ``key`` in minute ``window``; returns the minute's count so far."""
    with Session(engine) as session, session.begin():
        make = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        stmt = make(PortalHit).values(key=key, window=window, count=1)
        counted = stmt.on_conflict_do_update(
            index_elements=["key", "window"], set_={"count": PortalHit.count + 1}
        ).returning(PortalHit.count)
        count = int(session.execute(counted).scalar_one())
        if count == 1:
            session.execute(
                delete(PortalHit).where(
                    col(PortalHit.key) == key, col(PortalHit.window) < window - 1
                )
            )
    return count
