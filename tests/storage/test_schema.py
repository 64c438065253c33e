"""The schema: migrations describe exactly the tables, and ``danvan init`` upgrades in place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from danvan.models import (
    store,
    tables,  # noqa: F401  (registers the tables)
)
from danvan.models.db import get_engine, reading
from danvan.models.schema import alembic_config
from tests.helpers.db import make_pg_database, pg_unavailable, use_database


def test_migrations_match_the_tables(db_url: str) -> None:
    """A table or column added to models/tables.py without a migration fails here."""
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_init_upgrades_an_older_database_and_keeps_its_data(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'old.db'}", (lambda: None)
    else:
        if reason := pg_unavailable():
            pytest.skip(reason)
        url, drop = make_pg_database()
    try:
        use_database(url, monkeypatch)
        command.upgrade(alembic_config(url), "0001")  # a database from the first release
        with get_engine().begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO unit (code, name, kind, active, contacts, updated_at) "
                    "VALUES ('OLD', 'Ủy ban nhân dân tỉnh Cũ', 'province', true, '[]', "
                    "'2024-01-01 00:00:00')"
                )
            )
        r = cli("init")
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert r.exit_code == 0 and f"0001 → {head}" in r.stdout
        assert "mới nhất" in cli("init").stdout
        with get_engine().connect() as conn:
            assert (
                conn.execute(sa.text("SELECT name FROM unit")).scalar() == "Ủy ban nhân dân tỉnh Cũ"
            )
            assert conn.execute(sa.text("SELECT count(*) FROM delivery_attempt")).scalar() == 0
            # the unit's history starts with one record valid since always (migration 0008)
            assert conn.execute(sa.text("SELECT name FROM unit_version")).scalar() == (
                "Ủy ban nhân dân tỉnh Cũ"
            )
        with reading(get_engine()) as session:
            for on in (None, date(2023, 11, 15)):
                assert store.load_org(session=session, on=on).units["OLD"].kind == "province"
    finally:
        drop()
