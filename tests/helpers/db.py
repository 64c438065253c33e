"""Databases for the tests: fresh ones on the PostgreSQL server, and pointing danvan at one.

The fixtures ``db_url`` and ``sqlite_url`` (tests/conftest.py) are built from these.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get(
    "DANVAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_reason() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"no PostgreSQL at {PG_ADMIN_URL.split('@')[-1]}: {exc.__class__.__name__}"


_PG_REASON: str | bool | None = False


def pg_unavailable() -> str | None:
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_reason()
    return _PG_REASON  # type: ignore[return-value]


def make_pg_database() -> tuple[str, Callable[[], None]]:
    import sqlalchemy as sa

    name = f"danvan_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        from danvan.models import db

        engine = db._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    get_settings.cache_clear()
    monkeypatch.chdir(
        Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite") else os.getcwd()
    )


def fresh_database(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database at the newest schema (``sqlite`` in ``tmp_path``, or ``postgres``: one of
    its own, dropped afterwards), set as the one every part of danvan uses; for ``yield from``
    in a fixture. PostgreSQL away: skipped, or failed under ``DANVAN_REQUIRE_POSTGRES=1``."""
    if kind == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'danvan.db'}", (lambda: None)
    else:
        if reason := pg_unavailable():
            if os.environ.get("DANVAN_REQUIRE_POSTGRES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        url, drop = make_pg_database()
    use_database(url, monkeypatch)
    from danvan.models.db import get_engine
    from danvan.models.schema import upgrade

    upgrade(get_engine())
    yield url
    drop()
