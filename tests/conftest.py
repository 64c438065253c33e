"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and the real CLI.

PostgreSQL tests use ``DANVAN_TEST_POSTGRES_URL`` (default the local server at 127.0.0.1:5432,
trust auth). Where none is reachable they skip with the reason, unless
``DANVAN_REQUIRE_POSTGRES=1`` (set by .ci/run), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from tests.helpers.db import fresh_database, use_database

# Hypothesis: on CI a derandomized run (the same examples every time, so a landing never depends
# on the draw); locally the random exploration goes on. Every example it ever finds becomes an
# explicit ``@example`` beside its test. HYPOTHESIS_PROFILE=ci reproduces CI's run locally.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)

# The embedded default for every test: flows in-process, never a Prefect server by accident.
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("DANVAN_USE_PREFECT", None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh, initialised database, once on SQLite and once on PostgreSQL."""
    yield from fresh_database(request.param, tmp_path, monkeypatch)


@pytest.fixture
def pg_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, initialised PostgreSQL database only (a test of PostgreSQL's own behaviour)."""
    yield from fresh_database("postgres", tmp_path, monkeypatch)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, initialised SQLite database (for tests that need no PostgreSQL twin)."""
    url = f"sqlite:///{tmp_path / 'danvan.db'}"
    use_database(url, monkeypatch)
    from danvan.models.db import get_engine
    from danvan.models.schema import upgrade

    upgrade(get_engine())
    return url


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``danvan …`` through the real Typer app, in-process; returns exit code and outputs."""
    from danvan.cli import app

    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        argv = [str(a) for a in args]
        if len(argv) == 1 and " " in argv[0]:
            argv = shlex.split(argv[0])
        r = runner.invoke(app, argv, catch_exceptions=False)
        return Result(r.exit_code, r.stdout, r.stderr)

    return run
