"""Issue 18/20: a province's standings and flags are kept per process while their rows are
unchanged (``tasks.readcache``), and a kept answer is never stale.

Every read here goes through the portal's path (``cached_context``, the same tree objects from
one request to the next) and is compared with the same read computed afresh. Writes go through
the real CLI (submit, appraise, return), each in its own transaction, as another process would.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from danvan.models.context import cached_context
from danvan.models.db import get_engine, reading
from danvan.rules import standing
from danvan.rules.timing import parse_instant
from danvan.tasks import quality, standings
from danvan.tasks.standings import unit_results
from tests.helpers.hgi import setup_province, submission

TZ = "Asia/Ho_Chi_Minh"


def at(value: str) -> datetime:
    return parse_instant(value, TZ)


def kept_and_fresh(when: datetime, within: list[str] | None = None) -> tuple[list, list]:
    """The standings as the portal reads them (kept when unchanged), and computed afresh."""
    with reading(get_engine()) as s:
        ctx = cached_context(s, 2024)
        kept = unit_results(ctx, s, when, within)
        expected = standing.expected_units(ctx.units, ctx.province_units)
        closed = expected if within is None else standings.quota_closure(ctx, expected, within)
        fresh = standings._compute(ctx, s, when, closed, None)
        if within is not None:
            fresh = [r for r in fresh if r.code in set(within)]
    return kept, fresh


def flags_kept_and_fresh(when: datetime) -> tuple[list, list]:
    with reading(get_engine()) as s:
        ctx = cached_context(s, 2024)
        kept = quality.cycle_flags(s, ctx, when)
        quality._flags.clear()
        fresh = quality.cycle_flags(s, ctx, when)
    return kept, fresh


def test_kept_standings_follow_every_write(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    standings._standings.clear()
    r = cli("submit", submission(tmp_path, "HGI.STC", {"A1": 40, "A2": 30, "B1": 25}),
            "--at", "2024-11-10T10:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    now = at("2024-11-20T08:00")
    kept, fresh = kept_and_fresh(now)
    assert kept == fresh
    # the second read is the kept one (the same objects), and equal to a fresh one
    again, fresh = kept_and_fresh(now)
    assert again == fresh and all(a is b for a, b in zip(again, kept, strict=True))
    by_code = {r.code: r for r in again}
    assert by_code["HGI.VT"].status == "missing"

    # a new version, an appraisal and a return, each seen by the very next read
    r = cli("submit", submission(tmp_path, "HGI.VT", {"A1": 38, "A2": 28, "B1": 24}),
            "--at", "2024-11-12T08:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    kept, fresh = kept_and_fresh(now)
    assert kept == fresh and {r.code: r for r in kept}["HGI.VT"].status == "on_time"

    appraisal = {"year": 2024, "by": "HGI", "adjustments": [
        {"unit": "HGI.STC", "criterion": "A1", "score": 30, "reason": "Thiếu minh chứng"}]}  # fmt: skip
    path = tmp_path / "appraisal.yaml"
    path.write_text(yaml.safe_dump(appraisal, allow_unicode=True), "utf-8")
    r = cli("appraise", path, "--at", "2024-11-19T09:00")
    assert r.exit_code == 0, r.stderr
    kept, fresh = kept_and_fresh(now)
    assert kept == fresh and {r.code: r for r in kept}["HGI.STC"].final_total == 85.0

    r = cli("return", "--unit", "HGI.VT", "--by", "HGI", "--reason", "Thiếu biên bản",
            "--cycle", "2024", "--at", "2024-11-19T10:00")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    kept, fresh = kept_and_fresh(now)
    assert kept == fresh and {r.code: r for r in kept}["HGI.VT"].status == "returned"


def test_kept_standings_at_other_instants(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Asked at instants in any order (some before a version, some after), for the province
    and for one unit: every answer is the one computed afresh."""
    setup_province(tmp_path, cli)
    standings._standings.clear()
    steps = [
        ("HGI.STC", {"A1": 40, "A2": 30, "B1": 25}, "2024-11-10T10:00", ""),
        ("HGI.VT", {"A1": 38, "A2": 28, "B1": 24}, "2024-11-12T08:00", ""),
        ("HGI.VT", {"A1": 40, "A2": 29, "B1": 26}, "2024-11-18T14:00", "-v2"),
    ]
    for unit, scores, when, tag in steps:
        r = cli("submit", submission(tmp_path, unit, scores, tag=tag), "--at", when)
        assert r.exit_code == 0, r.stderr
    instants = ["2024-11-20T08:00", "2024-11-11T08:00", "2024-11-20T09:00", "2024-11-13T08:00",
                "2024-11-09T08:00", "2024-11-20T08:00", "2024-11-13T08:00"]  # fmt: skip
    for when in instants:
        for within in (None, ["HGI.VT.P1"]):
            kept, fresh = kept_and_fresh(at(when), within)
            assert kept == fresh, (when, within)
    before = {r.code: r for r in kept_and_fresh(at("2024-11-13T08:00"))[0]}
    after = {r.code: r for r in kept_and_fresh(at("2024-11-20T08:00"))[0]}
    assert (before["HGI.VT"].version, after["HGI.VT"].version) == (1, 2)
    assert before["HGI.STC"].status == after["HGI.STC"].status == "on_time"


def test_kept_flags_follow_every_write(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    now = at("2024-11-20T08:00")
    assert flags_kept_and_fresh(now) == ([], [])
    r = cli("submit", submission(tmp_path, "HGI.STC", {"A1": 40, "A2": 30, "B1": 25}),
            "--at", "2024-11-10T10:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    kept, fresh = flags_kept_and_fresh(now)
    assert kept == fresh
    with reading(get_engine()) as s:
        first = quality.cycle_flags(s, cached_context(s, 2024), now)
        assert quality.cycle_flags(s, cached_context(s, 2024), now) == first


def test_kept_unit_standings_follow_every_write(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A unit's page, with the province's standings not kept, reads its compiler's units alone:
    kept likewise (one entry per compiler), and every write seen by the very next read."""
    setup_province(tmp_path, cli)
    standings._standings.clear()
    standings._closures.clear()
    now, within = at("2024-11-20T08:00"), ["HGI.VT.P1"]
    kept, fresh = kept_and_fresh(now, within)
    assert kept == fresh and kept[0].status == "missing"
    again, fresh = kept_and_fresh(now, within)
    assert again == fresh and again[0] is kept[0]
    other, fresh = kept_and_fresh(now, ["HGI.X01"])  # another compiler's: its own entry
    assert other == fresh and kept_and_fresh(now, within)[0][0] is kept[0]
    r = cli("submit", submission(tmp_path, "HGI.VT.P1", {"A1": 35, "A2": 0, "B1": 30}),
            "--at", "2024-11-12T08:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    kept, fresh = kept_and_fresh(now, within)
    assert kept == fresh and kept[0].status == "on_time"
    assert kept_and_fresh(at("2024-11-11T08:00"), within)[0][0].status == "missing"
