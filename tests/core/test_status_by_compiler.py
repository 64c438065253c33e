"""Issue 20: ``status``'s table past ``UNITS_LISTED`` units computes only the units' states
(``tasks.standings.unit_states``), not their scores and bands; it must count and print exactly
what the full read (every unit's standing, the JSON's) counts and prints."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from rich.console import Console

from danvan.cli import tables
from danvan.cli.quality import print_flags
from danvan.models.db import get_engine, reading
from danvan.rules import standing
from danvan.rules.timing import parse_instant
from danvan.tasks.views import cycle_status
from tests.helpers.hgi import setup_province, submission


def _printed(doc: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tables.print_status(doc, Console(file=out, width=100), every_unit=False)
        print_flags(doc)
    return out.getvalue()


def test_states_count_and_print_what_the_standings_do(  # type: ignore[no-untyped-def]
    db_url: str, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_province(tmp_path, cli)
    for unit, when in (("HGI.STC", "2024-11-10T10:00"), ("HGI.VT", "2024-11-18T08:00")):
        r = cli("submit", submission(tmp_path, unit, {"A1": 40, "A2": 30, "B1": 25}),
                "--at", when)  # fmt: skip
        assert r.exit_code == 0, r.stderr
    r = cli("return", "--unit", "HGI.STC", "--by", "HGI", "--reason", "Thiếu biên bản",
            "--cycle", "2024", "--at", "2024-11-19T10:00")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    monkeypatch.setattr(standing, "UNITS_LISTED", 0)  # every province is "large" here
    monkeypatch.setattr(tables, "UNITS_LISTED", 0)
    seen = set()
    for when in ("2024-11-09T08:00", "2024-11-15T08:00", "2024-11-20T08:00"):
        at = parse_instant(when, "Asia/Ho_Chi_Minh")
        for under in (None, "HGI"):
            with reading(get_engine()) as s:
                full = cycle_status(s, year=2024, at=at, under=under)
            with reading(get_engine()) as s:
                states = cycle_status(s, year=2024, at=at, under=under, every_unit=False)
            assert "compiler_names" in states and "compiler_names" not in full
            assert states["summary"] == full["summary"]
            assert states["compilers"] == full["compilers"]
            assert states["units"] == [
                {"code": u["code"], "name": u["name"], "flags": u["flags"]}
                for u in full["units"]
                if u["flags"]
            ]
            assert _printed(states) == _printed(full)
            seen |= {u["status"] for u in full["units"]}
    assert {"missing", "on_time", "late", "returned"} <= seen
