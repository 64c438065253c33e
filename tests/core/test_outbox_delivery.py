"""The outbox and the database under pressure: shared contact URLs, hanging endpoints, readers
beside writers, and errors that must not carry data (SPEC §4.1, §4.6)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from danvan.flows.remind import remind
from danvan.models.db import get_engine
from danvan.rules.timing import parse_instant
from tests.helpers.province import issue_small_cycle
from tests.helpers.sinks import running_http_sink

DAY = "2024-11-07T08:00"  # "before" reminders for every unit, digests for the compilers


def test_units_sharing_a_contact_url_each_get_their_own_message(
    db_url: str, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=sink.url("notify"))
        org = yaml.safe_load((tmp_path / "org.yaml").read_text("utf-8"))
        for u in org["units"]:  # both communes are served by one shared mailbox
            if u["code"] in ("TST.H01.X01", "TST.H01.X02"):
                u["contacts"] = [sink.url("chung")]
        (tmp_path / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
        assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
        sink.requests.clear()
        r = cli("remind", "--cycle", "2024", "--at", DAY, "--format", "json")
        assert r.exit_code == 0, r.stderr
        shared = [q for q in sink.requests if q.path == "/chung"]
        assert len(shared) == 2  # one per unit, not one for the URL
        assert {"xã Một" in q.body["message"] for q in shared} == {True, False}
        units = {s["unit"] for s in r.json()["sent"] if s["kind"] == "before"}
        assert {"TST.H01.X01", "TST.H01.X02"} <= units
        # and again at the same instant: nothing
        sink.requests.clear()
        assert cli("remind", "--cycle", "2024", "--at", DAY).exit_code == 0
        assert sink.requests == []


def test_a_hanging_endpoint_costs_one_timeout_and_gets_each_message_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_NOTIFY_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=sink.url("notify"))
        sink.requests.clear()
        sink.delay = 3  # it takes the message and never answers in time
        began = time.monotonic()
        doc = remind.fn(2024, parse_instant(DAY))
        took = time.monotonic() - began
        assert doc["sent"] and not any(s["ok"] for s in doc["sent"])
        assert all("chưa rõ" in e for s in doc["sent"] for e in s["errors"])
        # each message reached the endpoint once: a timeout is not retried (it may have arrived)
        time.sleep(0.5)
        arrived = Counter((q.path, q.body["title"]) for q in sink.requests)
        assert max(arrived.values()) == 1 and len(arrived) == len(doc["sent"])
        assert took < 15  # one timeout per chunk, not three tries with backoff per message
        sink.delay = 0
        sink.requests.clear()
        remind.fn(2024, parse_instant(DAY))  # the next run does not send them again
        assert sink.requests == []
    with get_engine().connect() as conn:
        states = set(
            conn.execute(sa.text("select status from delivery where kind != 'announcement'"))
        )
    assert states == {("unknown",)}
    get_settings.cache_clear()


def test_status_reads_beside_a_writer_on_sqlite(sqlite_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    issue_small_cycle(tmp_path)
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with get_engine().begin() as conn:  # BEGIN IMMEDIATE: the write lock, held
            conn.execute(sa.text("update unit set name = name"))
            holding.set()
            done.wait(40)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert holding.wait(10)
        r = cli("status", "--cycle", "2024", "--at", DAY, "--format", "json")
        assert r.exit_code == 0, r.stderr  # did not wait 30 s for the lock and fail
        assert not done.is_set() and t.is_alive()  # the writer still held it meanwhile
    finally:
        done.set()
        t.join()


def test_database_errors_carry_no_parameters(db_url: str) -> None:
    secret = "json://user:S3cr3t-pw@example.org/hook"
    with pytest.raises(sa.exc.DBAPIError) as info, get_engine().begin() as conn:
        conn.execute(
            sa.text("insert into unit (code, name, kind, active, contacts, updated_at)"
                    " values (:c, :n, 'x', true, :u, null)"),
            {"c": "X", "n": "x", "u": secret},
        )  # fmt: skip
    assert "S3cr3t" not in str(info.value) and "S3cr3t" not in repr(info.value)
