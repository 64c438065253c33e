"""Every read of ``models/sqltext.py`` gives the same rows through a SQLAlchemy connection and
through the DB-API (``models/dbapi.py``, what ``danvan status`` reads with), on SQLite and on
PostgreSQL; and ``status`` itself answers the same either way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest

from danvan.demo.sample import sample_dir
from danvan.models import reads, recorded
from danvan.models.context import cached_context
from danvan.models.db import get_engine, reading_rows
from danvan.models.dbapi import LightReader, light_target, reading_light
from danvan.models.sqltext import run

AT = datetime(2024, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def cycle(db_url: str, cli: Callable) -> str:
    """The sample province's 2024 cycle: submissions, an appraisal, a return, failed messages."""
    sample = sample_dir()
    reports = sorted((sample / "bao-cao").glob("*.yaml"))
    for argv in (
        ["org", "import", f"{sample}/org.yaml", "--at", "2024-02-17T08:00"],
        ["plan", "issue", f"{sample}/plan.yaml", "--at", "2024-02-17T09:00"],
        ["submit", *map(str, reports[:12]), "--at", "2024-11-08T10:00"],
        ["submit", *map(str, reports[12:]), "--at", "2024-11-14T10:00"],
        ["appraise", f"{sample}/tham-dinh-binh-son.yaml", "--at", "2024-11-19T14:00"],
        ["return", "--cycle", "2024", "--unit", "QNG.BSN.X07", "--by", "QNG.BSN",
         "--reason", "Thiếu số liệu", "--at", "2024-11-19T15:00"],
        ["remind", "--cycle", "2024", "--at", "2024-11-12T08:00"],
    ):  # fmt: skip
        assert cli(*argv).exit_code in (0, 1), argv
    return db_url


@contextmanager
def _both() -> Iterator[tuple[Any, Any]]:
    with reading_rows(get_engine()) as heavy, reading_light() as light:
        assert isinstance(light, LightReader)
        yield heavy, light


def _reads(session: Any) -> dict[str, Any]:
    (cycle,) = [reads.find_cycle(session=session, year=2024)]
    assert cycle is not None
    cid, pid = cycle.id, cycle.province_id
    ids = reads.load_org(session=session).ids
    some = sorted(ids.values())[::3]
    out: dict[str, Any] = {
        "cycle": cycle,
        "province_cycle": reads.find_cycle(session=session, year=2024, province="QNG"),
        "previous": reads.previous_cycle(session=session, province_id=pid, year=2025),
        "none": reads.previous_cycle(session=session, province_id=pid, year=2024),
        "ancestors": reads.ancestors(session=session, code="QNG.BSN.X07"),
        "criteria": reads.criteria_definitions(session=session, codes=["xa", "default", "?"]),
        "fingerprint": run(session, reads.TREE_FINGERPRINT),
        "levels": recorded._levels(session),
        "marks": recorded.flag_marks(session=session, cycle_id=cid, until=AT),
        "problems": recorded.delivery_problems(session=session, cycle_id=cid),
        "counts": recorded.delivery_counts(session=session, cycle_id=cid),
        "codes": recorded.unit_codes(session=session, unit_ids=some),
        "times": recorded.version_times(session=session, cycle_id=cid, unit_ids=some, until=AT),
        "all_times": recorded.version_times(session=session, cycle_id=cid, unit_ids=some),
    }
    for until in (None, AT):
        versions = recorded.unit_versions(session=session, cycle_id=cid,
                                          unit_id=ids["QNG.BSN.X07"], until=until)  # fmt: skip
        out[f"unit versions {until}"] = versions
        out[f"files {until}"] = recorded.version_files(session=session,
                                                       submission_ids=[v[0] for v in versions])  # fmt: skip
    for on in (None, date(2024, 11, 10)):
        for province in (None, pid):
            org = reads.load_org(session=session, on=on, province_id=province)
            out[f"org {on} {province}"] = (org.units, org.ids)
    for until in (None, AT):
        out[f"version {until}"] = recorded.standings_version(session=session, cycle_id=cid,
                                                              at=until)  # fmt: skip
        out[f"returns {until}"] = recorded.return_rows(session=session, cycle_id=cid, until=until)
        out[f"unit returns {until}"] = recorded.return_rows(
            session=session, cycle_id=cid, until=until, unit_id=ids["QNG.BSN.X07"]
        )
        for unit_ids in (None, some, []):
            out[f"adjustments {until} {unit_ids}"] = recorded.latest_adjustments(
                session=session, cycle_id=cid, until=until, unit_ids=unit_ids
            )
            for figures in (False, True):
                for scores in (False, True):
                    out[f"facts {until} {unit_ids} {figures} {scores}"] = recorded.latest_facts(
                        session=session, cycle_id=cid, until=until, unit_ids=unit_ids,
                        figures=figures, scores=scores,
                    )  # fmt: skip
    return out


def test_every_read_gives_the_same_rows_both_ways(cycle: str) -> None:
    with _both() as (heavy, light):
        ours, theirs = _reads(light), _reads(heavy)
    assert ours["problems"] and ours["counts"] and ours["returns None"]  # the fixture has them
    assert any(ours[k] for k in ours if k.startswith("adjustments"))
    for key, value in theirs.items():
        assert ours[key] == value, key
        assert repr(ours[key]) == repr(value), key  # same types too (aware UTC, date, bool)


def test_status_is_the_same_both_ways(cycle: str) -> None:
    from danvan.tasks.views import cycle_status

    docs = []
    for opener in (lambda: reading_rows(get_engine()), reading_light):
        with opener() as session:
            docs.append(cycle_status(session, year=2024, at=AT, every_unit=True))
            cached_context(session, 2024)  # the cache's key is per database, either way
    assert docs[0] == docs[1]


def test_only_plain_urls_are_read_on_the_dbapi() -> None:
    assert light_target("sqlite:////a/b.db") == ("sqlite", "/a/b.db")
    assert light_target("sqlite:///./x.db") == ("sqlite", "./x.db")
    assert light_target("postgresql+psycopg://u:p@h:5/d") == (
        "postgresql",
        "postgresql://u:p@h:5/d",
    )
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///x.db?mode=ro",
                "postgresql+psycopg://h/d?sslmode=require", "postgresql+psycopg2://h/d"):  # fmt: skip
        assert light_target(url) is None, url
