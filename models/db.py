"""Engine and transactions. SQLite is the embedded default; PostgreSQL runs the same code.

Writes and reads are told apart on purpose. A write (``transaction``) on SQLite holds the write
lock from its first statement (``BEGIN IMMEDIATE``): read-then-write transactions of several
processes then queue instead of failing. A read (``reading``) starts a deferred transaction,
which WAL lets run beside a writer: ``status`` never waits for a ``submit``. On PostgreSQL both
are ordinary READ COMMITTED transactions; the write paths take the row and advisory locks they
need themselves (``danvan.models.store``: ``lock_cycle``, ``lock_unit``, ``insert_ignore``).

Engines are created with ``hide_parameters``: an error's text never carries the values of a
statement (contact URLs hold passwords).
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, RootTransaction, create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from danvan.config.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

_engines: dict[str, Engine] = {}
#: Execution option marking a read-only session (see ``reading``).
READ_ONLY = "danvan_read_only"


def make_engine(url: str, busy_seconds: float | None = None) -> Engine:
    """A new engine. SQLite gets WAL and a busy timeout so several processes can write: a writer
    waits up to ``busy_seconds`` (default ``DANVAN_SQLITE_BUSY_SECONDS``, 30 s) for the writers
    ahead of it, then fails with "database is locked" (``[db_busy]``)."""
    if url.startswith("sqlite"):
        if busy_seconds is None:
            busy_seconds = get_settings().sqlite_busy_seconds
        busy_ms = max(1, round(busy_seconds * 1000))
        synchronous = get_settings().sqlite_synchronous.upper()
        engine = create_engine(url, connect_args={"timeout": busy_seconds}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not the driver, decide when transactions start (see `transaction`).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL: a commit is not an fsync (the log is synced at checkpoints);
            # a power cut can lose the last commits, never corrupt (docs/choices.md).
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        line = WriterLine(_sqlite_file(url), busy_seconds)

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Read-then-write transactions must hold the write lock from the start, or concurrent
            # writers fail with "database is locked" (measured: ~65% failures under 8 writers).
            # Reads stay deferred: in WAL mode they see the last commit and never wait.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            if read_only:
                conn.exec_driver_sql("BEGIN")
                return
            line.join(conn.connection.dbapi_connection)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                line.leave(conn.connection.dbapi_connection)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn):
            line.leave(conn.connection.dbapi_connection)

        return engine
    # Kept connections for a portal's burst: SQLAlchemy's default (5 kept, 10 more closed after
    # use) made 200 uploads at once open ~100 connections (a PostgreSQL process each) and close
    # them again; 15 kept (5 more at most) are opened once (docs/development.md).
    s = get_settings()
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_size=s.db_pool_size,
        max_overflow=s.db_pool_overflow,
    )


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (None: in memory)."""
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return path if path and path != ":memory:" else None


class WriterLine:
    """SQLite writers wait in line instead of failing under load.

    SQLite lets one writer in at a time, and its busy timeout counts the whole wait: 30 writers
    that each need a second under a loaded CPU wait longer than any fixed timeout and the last
    ones fail ``[db_busy]`` although the line kept moving. Here each writing transaction first
    takes an exclusive ``flock`` on ``<database>-writer.lock`` (tried every 20 ms), and gives up
    only when the line has not moved for ``busy_seconds``: every writer that gets in touches the
    lock file, and a waiter that sees it touched waits on. (SQLite's own busy timeout stays, for
    writers that are not danvan.)
    """

    def __init__(self, database: str | None, busy_seconds: float) -> None:
        self.path = f"{database}-writer.lock" if database else None
        self.busy_seconds = busy_seconds
        self._held: dict[int, int] = {}  # dbapi connection id → lock file descriptor
        self._guard = threading.Lock()

    def join(self, dbapi_conn: object) -> None:
        if self.path is None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        with self._guard:
            self._held[id(dbapi_conn)] = fd

    def leave(self, dbapi_conn: object) -> None:
        with self._guard:
            fd = self._held.pop(id(dbapi_conn), None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _wait(self, fd: int) -> None:
        moved_at, seen = time.monotonic(), os.fstat(fd).st_mtime_ns
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                now_seen = os.fstat(fd).st_mtime_ns
                if now_seen != seen:  # another writer got in: the line moves, wait on
                    moved_at, seen = time.monotonic(), now_seen
                elif time.monotonic() - moved_at > self.busy_seconds:
                    raise OperationalError(
                        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
                    ) from None
                time.sleep(0.02)
                continue
            os.utime(fd)  # tell the line it moved
            return


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    if url is None:
        url = get_settings().database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: everything inside commits together or not at all."""
    from sqlmodel import Session  # lazy: a read of rows (``reading_rows``) needs no SQLModel

    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only session (still one consistent transaction); never waits for a writer."""
    from sqlmodel import Session  # lazy: see ``reading_rows``

    with Session(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
        yield session
        session.expunge_all()  # keep what was loaded usable after the session ends
        session.rollback()


class RowReader:
    """A read-only transaction on one connection, with what the reads ask of a session
    (:class:`danvan.models.reads.Reader`): for ``danvan status``, which then imports neither
    SQLModel nor ``sqlalchemy.orm`` (issue 20: the command ≤ 0.5 s)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._txn: RootTransaction = conn.begin()
        self.info: dict = {}

    def connection(self) -> Connection:
        return self._conn

    def get_transaction(self) -> RootTransaction:
        return self._txn

    def get_bind(self) -> Engine:
        return self._conn.engine


@contextmanager
def reading_rows(engine: Engine) -> Iterator[RowReader]:
    """:func:`reading` for the reads that take columns, not table objects (``status``:
    ``danvan.models.reads``): one connection in a read-only transaction, no session."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        reader = RowReader(conn)
        try:
            yield reader
        finally:
            reader.get_transaction().rollback()


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """A sentence for an official and a code for whoever reads the logs, for a failure no rule
    answered (the database, the disk, a bug): the doors print it instead of a traceback."""

    text = str(getattr(exc, "orig", None) or "")
    if isinstance(exc, OperationalError | ProgrammingError) and (
        "no such table" in text or "does not exist" in text
    ):
        return "Cơ sở dữ liệu chưa được khởi tạo: hãy chạy 'danvan init'.", "db_not_initialised"
    if isinstance(exc, IntegrityError):
        return "Dữ liệu vừa bị thay đổi đồng thời; hãy chạy lại lệnh.", "db_conflict"
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if sqlstate in ("40001", "40P01") or "database is locked" in text:
        return "Cơ sở dữ liệu đang bận; hãy chạy lại lệnh.", "db_busy"
    if isinstance(exc, OperationalError):
        reason = _first_line(redact_text(text))
        return f"Không kết nối được cơ sở dữ liệu: {reason}.", "db_unavailable"
    if isinstance(exc, DBAPIError):
        return "Cơ sở dữ liệu báo lỗi; không có gì được ghi.", "db_error"
    # a compile's writer process killed (out of memory, a signal); the module is looked up, not
    # imported: where it is not loaded, no pool ran (``status`` never pays for multiprocessing)
    pools = sys.modules.get("concurrent.futures.process")
    if pools is not None and isinstance(exc, pools.BrokenProcessPool):
        return (
            "Một tiến trình ghi báo cáo đã dừng đột ngột (có thể do thiếu bộ nhớ); không có gì "
            "được ghi nhận. Hãy chạy lại; nếu vẫn lỗi, đặt DANVAN_COMPILE_WORKERS=1 để tổng hợp "
            "trong một tiến trình.",
            "compile_worker_died",
        )
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        reason = exc.strerror or type(exc).__name__
        return f"Không đọc/ghi được tệp{where}: {reason}.", "os_error"
    return "Lỗi nội bộ; không có gì được ghi thêm. Hãy báo cho quản trị.", "internal_error"


def redacted_context(exc: BaseException) -> str:
    """What a log may keep: the exception's class, the database's error code, the statement's
    first words; never parameters (engines hide them too) nor a password."""
    orig = getattr(exc, "orig", None)
    parts = [type(exc).__name__]
    if orig is not None:
        parts.append(type(orig).__name__)
        if getattr(orig, "sqlstate", None):
            parts.append(f"sqlstate={orig.sqlstate}")
    statement = getattr(exc, "statement", None)
    if statement:
        parts.append(" ".join(str(statement).split()[:3]))
    return " ".join(parts)


def redact_text(text: str) -> str:
    """Mask ``user:password@`` in any URL of ``text``."""
    return re.sub(r"(://[^/\s:@]*):[^@\s/]*@", r"\1:****@", text)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["?"])[0][:200]
