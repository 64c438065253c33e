"""Set-up mistakes get a sentence and an exit status, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.db import use_database


def test_a_command_before_init_says_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:  # type: ignore[no-untyped-def]
    use_database(f"sqlite:///{tmp_path / 'empty.db'}", monkeypatch)
    r = cli("status", "--cycle", "2024")
    assert r.exit_code == 1
    assert "danvan init" in r.stderr and "[db_not_initialised]" in r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_a_wrong_database_url_is_a_clear_settings_error(
    monkeypatch: pytest.MonkeyPatch, cli
) -> None:  # type: ignore[no-untyped-def]
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_DATABASE_URL", "mysql://localhost/danvan")
    get_settings.cache_clear()
    try:
        r = cli("status", "--cycle", "2024")
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 1
    assert "DANVAN_DATABASE_URL" in r.stderr and "[invalid_settings]" in r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_an_unreachable_database_is_named(monkeypatch: pytest.MonkeyPatch, cli) -> None:  # type: ignore[no-untyped-def]
    use_database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", monkeypatch)
    r = cli("init")
    assert r.exit_code == 1 and "[db_unavailable]" in r.stderr
