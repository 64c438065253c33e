"""A delivering run's lease: proof that it is alive, which the system drops when it dies.

The outbox marks the rows a run is sending with the run's token. If the run is killed, those
rows must not stay "sending" until some timeout, nor be sent again blindly: the next run has to
know at once that their owner is gone. Neither database time nor ``--at`` can tell that; the
operating system and the database server can, because they release what a dead process held:
- PostgreSQL: a session-level advisory lock on the token's key, on a connection of its own;
- SQLite (one machine): an exclusive ``flock`` on a file named by the token, beside the database.
"""

from __future__ import annotations

import fcntl
import tempfile
import uuid
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session


class RunLease:
    """Proof that a delivering run is alive, which the system drops when its process dies.

    PostgreSQL: a session-level advisory lock on the run's key, held by a connection of its own.
    SQLite: an exclusive ``flock`` on a file named by the token, beside the database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.token = uuid.uuid4().hex
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> RunLease:
        if self.engine.dialect.name == "postgresql":
            self._conn = self.engine.connect()
            self._conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _key(self.token)})
            self._conn.commit()
        else:
            path = _lease_dir(self.engine) / self.token
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "wb")  # held open for the run
            fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._conn is not None:
            self._conn.close()  # the server releases the session lock
        if self._file is not None:
            Path(self._file.name).unlink(missing_ok=True)
            self._file.close()


def run_alive(session: Session, token: str) -> bool:
    """Whether the run that claimed rows with ``token`` still holds its lease."""
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        got = session.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _key(token)}
        ).scalar()
        return not got
    path = _lease_dir(engine) / token  # type: ignore[arg-type]
    try:
        with open(path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    path.unlink(missing_ok=True)  # its owner died without cleaning up
    return False


def _key(token: str) -> int:
    return int(token[:15], 16)  # 60 bits: a positive bigint


def _lease_dir(engine: Engine) -> Path:
    db = engine.url.database
    if db and db != ":memory:":
        p = Path(db).resolve()
        return p.parent / f".{p.name}.runs"
    return Path(tempfile.gettempdir()) / "danvan-runs"
