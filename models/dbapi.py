"""A read-only transaction straight on the DB-API (``sqlite3``, ``psycopg``), without SQLAlchemy.

Why: ``danvan status`` runs a dozen reads and importing SQLAlchemy was ~0.3 s of it (issue 20:
the command ≤ 0.5 s). The reads are SQL text (:mod:`danvan.models.sqltext`), so they run here as
they run through a SQLAlchemy session. The connection is set up as :func:`danvan.models.db.
make_engine` sets up its own (SQLite: the same pragmas, a deferred ``BEGIN``; PostgreSQL: an
ordinary READ COMMITTED transaction), and is rolled back at the end.

Only plain URLs are taken: ``sqlite:///<file>`` and ``postgresql+psycopg://…`` without a query
string; any other (``?`` options, another driver, in-memory) is read through SQLAlchemy as
before (:func:`reading_rows`). A driver's failure is raised as SQLAlchemy raises it (its
``DBAPIError`` classes, parameters hidden, imported only then), so the CLI's edge says the same
sentence and code; no URL nor password is in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from danvan.config.settings import get_settings

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class _Url:
    """What the caches key a process's reads by (``session.get_bind().engine.url``)."""

    def __init__(self, url: str) -> None:
        self.url = self
        self.engine = self
        self._text = re.sub(r"(://[^/\s:@]*):[^@\s/]*@", r"\1:***@", url)

    def __str__(self) -> str:
        return self._text


class LightConnection:
    """One DB-API connection in a read-only transaction; runs SQL text (``:name`` params)."""

    def __init__(self, dialect_name: str, dbapi_conn: Any, error: type[Exception]) -> None:
        self.dialect_name = dialect_name
        self._conn = dbapi_conn
        self._error = error
        self._psycopg_sql: dict[str, str] = {}

    def run_text(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        if self.dialect_name == "postgresql":
            found = self._psycopg_sql.get(sql)
            if found is None:
                found = self._psycopg_sql[sql] = _PARAM.sub(r"%(\1)s", sql)
            sql = found
        try:
            cur = self._conn.execute(sql, params)
            return list(cur.fetchall())
        except self._error as exc:
            raise _as_sqlalchemy(sql, exc, self._error) from None


class LightReader:
    """What the reads take (:class:`danvan.models.reads.Reader`) over a :class:`LightConnection`."""

    def __init__(self, conn: LightConnection, url: str) -> None:
        self._conn = conn
        self._bind = _Url(url)
        self._txn = object()  # what a kept read belongs to: this transaction
        self.info: dict = {}

    def connection(self) -> LightConnection:
        return self._conn

    def get_transaction(self) -> object:
        return self._txn

    def get_bind(self) -> _Url:
        return self._bind


def light_target(url: str) -> tuple[str, str] | None:
    """(dialect, what the driver opens) for a URL read here; None: read through SQLAlchemy."""
    if "?" in url or "#" in url:
        return None
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return ("sqlite", path) if path and path != ":memory:" else None
    if url.startswith("postgresql+psycopg://"):
        return "postgresql", "postgresql://" + url.removeprefix("postgresql+psycopg://")
    return None


@contextmanager
def reading_light(url: str | None = None) -> Iterator[Any]:
    """A read-only transaction on the configured database: on the DB-API when the URL is a
    plain one (:func:`light_target`), else SQLAlchemy's :func:`danvan.models.db.reading_rows`."""
    settings = get_settings()
    url = url or settings.database_url
    target = light_target(url)
    if target is None:
        from danvan.models.db import get_engine, reading_rows  # lazy: SQLAlchemy's path

        with reading_rows(get_engine(url)) as session:
            yield session
        return
    dialect, where = target
    conn = _open_sqlite(where, settings) if dialect == "sqlite" else _open_postgresql(where)
    try:
        yield LightReader(conn, url)
    finally:
        try:
            conn._conn.rollback()
        finally:
            conn._conn.close()


def _open_sqlite(path: str, settings: Any) -> LightConnection:
    """As :func:`danvan.models.db.make_engine`'s connections, then a deferred ``BEGIN``."""
    import sqlite3

    busy = settings.sqlite_busy_seconds
    try:
        raw = sqlite3.connect(path, timeout=busy, isolation_level=None, check_same_thread=False)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute(f"PRAGMA synchronous={settings.sqlite_synchronous.upper()}")
        raw.execute(f"PRAGMA busy_timeout={max(1, round(busy * 1000))}")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("BEGIN")
    except sqlite3.Error as exc:
        raise _as_sqlalchemy(None, exc, sqlite3.Error) from None
    return LightConnection("sqlite", raw, sqlite3.Error)


def _open_postgresql(conninfo: str) -> LightConnection:
    import psycopg

    try:
        raw = psycopg.connect(conninfo)
    except psycopg.Error as exc:
        raise _as_sqlalchemy(None, exc, psycopg.Error) from None
    return LightConnection("postgresql", raw, psycopg.Error)


def _as_sqlalchemy(statement: str | None, exc: Exception, base: type[Exception]) -> Exception:
    """The driver's error as SQLAlchemy would have raised it (``describe_failure`` reads it)."""
    from sqlalchemy.exc import DBAPIError  # lazy: only a failure needs it

    return DBAPIError.instance(statement, None, exc, base, hide_parameters=True)
