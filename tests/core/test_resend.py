"""Messages whose delivery is unknown: said by the run that leaves them, listed by ``status`` and
the province's page with what to do, and sent again by ``danvan resend`` — each exactly once,
counted at a real HTTP endpoint (SPEC §4.1).

The endpoint answers after longer than the delivery time-out (``DANVAN_NOTIFY_TIMEOUT_SECONDS``,
lowered here), and gives up on what it answers late (``lose_late``): the messages did not get
through, as an official then learns by asking the units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from danvan.flows.remind import remind
from danvan.models.db import get_engine, reading
from danvan.models.tables import AuditEntry
from danvan.rules.timing import parse_instant
from tests.helpers.province import issue_small_cycle, write_submission
from tests.helpers.sinks import HttpSink, running_http_sink
from tests.helpers.together import child_env, run_together

DAY = "2024-11-07T08:00"  # "before" reminders for every unit, digests for the compilers
LATER = "2024-11-07T10:00"  # after an official has asked the units


@pytest.fixture
def slow_sink(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    """The small province, its contacts on an endpoint that answers after the time-out."""
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_NOTIFY_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    with running_http_sink() as sink:
        issue_small_cycle(tmp_path, contact=sink.url("notify"))
        sink.requests.clear()
        sink.delay, sink.lose_late = 1.5, True
        yield sink
    get_settings.cache_clear()


def _arrived(sink: HttpSink) -> Counter:
    return Counter((q.path, q.body["title"]) for q in sink.requests)


def _states() -> Counter:
    """The states of the messages under test (not the plan's announcements, nor receipts)."""
    query = "select status from delivery where kind != 'announcement' and kind not like 'receipt-%'"
    with get_engine().connect() as conn:
        return Counter(s for (s,) in conn.execute(sa.text(query)))


def test_a_slow_endpoint_then_resend_delivers_each_message_once(
    slow_sink: HttpSink, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    sink = slow_sink
    r = cli("remind", "--cycle", "2024", "--at", DAY, "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    messages = len(doc["sent"])
    assert messages >= 5 and doc["unknown"] == messages and not any(s["ok"] for s in doc["sent"])
    # the run says so, with how many and the command that resends
    [line] = [x for x in r.stderr.splitlines() if "[unknown_deliveries]" in x]
    assert line.startswith(f"{messages} tin chưa rõ") and "danvan resend --cycle 2024" in line
    assert sink.requests == []  # nothing got through

    # status lists them with what to do: JSON, the table, CSV
    st = cli("status", "--cycle", "2024", "--at", DAY, "--format", "json")
    unknown = st.json()["deliveries"]["unknown"]
    assert unknown["count"] == messages and unknown["resend"].startswith(
        "danvan resend --cycle 2024"
    )
    assert "Hãy hỏi đơn vị nhận" in unknown["what_to_do"] and "[unknown_deliveries]" in st.stderr
    table = cli("status", "--cycle", "2024", "--at", DAY).stdout
    assert f"{messages} tin nhắn chưa rõ đã đến hay chưa" in table
    assert "danvan resend --cycle 2024 [--unit MÃ] [--kind LOẠI]" in " ".join(table.split())
    csv = cli("status", "--cycle", "2024", "--at", DAY, "--format", "csv")
    header, *rows = csv.stdout.splitlines()
    assert header.endswith(",Tin chưa rõ đã đến") and "[unknown_deliveries]" in csv.stderr
    assert any(
        "tự đánh giá, chấm điểm · nhắc trước hạn ngày 2024-11-07" in row
        for row in rows
        if row.startswith("TST.H01.X01,")
    )
    assert "before" not in " ".join(table.split()) and "self_assessment" not in table

    # the province's page shows them, a district's does not
    from danvan.tasks.pages import compiler_view

    with reading(get_engine()) as session:
        province = compiler_view(
            session, year=2024, code="TST", at=parse_instant(DAY), out_dir=tmp_path
        )
        district = compiler_view(session, year=2024, code="TST.H01", at=parse_instant(DAY), out_dir=tmp_path)  # fmt: skip
    assert len(province.unknown) == messages and province.resend and province.what_to_do
    assert district.unknown == []

    # the endpoint is back: the next remind does not resend them by itself
    sink.delay = 0
    again = cli("remind", "--cycle", "2024", "--at", DAY, "--format", "json")
    assert again.exit_code == 0 and again.json()["unknown"] == 0
    assert "[unknown_deliveries]" not in again.stderr and sink.requests == []

    # an official has asked: TST.H01.X01 got nothing; resend its messages only
    one = cli("resend", "--cycle", "2024", "--unit", "TST.H01.X01", "--at", LATER)
    assert one.exit_code == 0, one.stderr
    assert set(_arrived(sink)) == {(p, t) for p, t in _arrived(sink) if p == "/notify/TST.H01.X01"}
    assert sum(_arrived(sink).values()) == 1 and "1 đã gửi" in one.stdout

    # TST.H01.X02 has submitted since: its reminder is dropped, not sent; the rest go, once
    write_submission(tmp_path, "TST.H01.X02")
    assert cli("submit", tmp_path / "TST.H01.X02.yaml", "--at", LATER).exit_code == 0
    sink.requests.clear()
    rest = cli("resend", "--cycle", "2024", "--at", LATER, "--format", "json")
    assert rest.exit_code == 0, rest.stderr
    done = rest.json()
    assert len(done["requeued"]) == messages - 1
    assert done["states"] == {"sent": messages - 2, "cancelled": 1}, done["states"]
    arrived = _arrived(sink)
    assert set(arrived.values()) == {1} and len(arrived) == messages - 2
    assert not any(p.endswith("/TST.H01.X02") for p, _ in arrived)

    # nothing left in doubt: a third resend queues nothing, sends nothing
    sink.requests.clear()
    none = cli("resend", "--cycle", "2024", "--at", LATER)
    assert none.exit_code == 0 and "không có tin nào ở trạng thái chưa rõ" in none.stdout
    assert sink.requests == []
    assert _states() == Counter({"sent": messages - 1, "cancelled": 1})

    # each resend is in the audit log, with the messages it queued
    with reading(get_engine()) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "resend")).all()
    assert [len(a.detail["messages"]) for a in audit] == [1, messages - 1]
    assert audit[0].detail["unit"] == "TST.H01.X01" and audit[0].actor == "cli"


@pytest.mark.concurrency
def test_two_resends_at_once_send_each_message_once(
    slow_sink: HttpSink, db_url: str, tmp_path: Path
) -> None:
    sink = slow_sink
    doc = remind.fn(2024, parse_instant(DAY))
    messages = doc["unknown"]
    assert messages == len(doc["sent"]) >= 5
    sink.delay = 0
    argv = ["resend", "--cycle", "2024", "--at", LATER, "--format", "json"]
    runs = run_together([argv, argv], env=child_env(db_url), workdir=tmp_path)
    assert all(r.code == 0 for r in runs), [r.stderr for r in runs]
    import json

    queued = [len(json.loads(r.stdout)["requeued"]) for r in runs]
    assert sorted(queued) == [0, messages]  # one of them queued them all, the other none
    arrived = _arrived(sink)
    assert set(arrived.values()) == {1} and len(arrived) == messages
    assert _states() == Counter({"sent": messages})


def test_publish_says_what_it_left_unknown_and_resend_kind_result(
    slow_sink: HttpSink, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    from danvan.tasks.signoff import record_sign_off

    sink = slow_sink
    record_sign_off(2024, "TST", parse_instant("2024-11-30T08:30"), "approved")
    r = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00")
    assert r.exit_code == 0, r.stderr
    [line] = [x for x in r.stderr.splitlines() if "[unknown_deliveries]" in x]
    results = _states()["unknown"]
    assert results >= 5 and line.startswith(f"{results} tin chưa rõ") and sink.requests == []
    sink.delay = 0
    bad = cli("resend", "--cycle", "2024", "--kind", "ketqua", "--at", "2024-11-30T10:00")
    assert bad.exit_code == 1 and "[unknown_kind]" in bad.stderr and "Traceback" not in bad.stderr
    ok = cli("resend", "--cycle", "2024", "--kind", "result", "--at", "2024-11-30T10:00")
    assert ok.exit_code == 0, ok.stderr
    arrived = _arrived(sink)
    assert set(arrived.values()) == {1} and len(arrived) == results
    assert _states() == Counter({"sent": results})


def test_a_run_that_finds_a_dead_runs_messages_says_so(slow_sink: HttpSink, cli) -> None:  # type: ignore[no-untyped-def]
    """A run killed while sending (kill -9 of ``publish``) can tell nobody: the next run that
    finds its messages in doubt does."""
    sink = slow_sink
    sink.delay = 0
    with get_engine().begin() as conn:  # what a killed run leaves: rows claimed by a dead token
        conn.execute(
            sa.text("insert into delivery (cycle_id, unit_id, recipient_key, url, url_redacted,"
                    " milestone, kind, day, subject, body, about, status, claimed_by, attempts,"
                    " created_at) select cycle_id, unit_id, recipient_key, url, url_redacted,"
                    " 'publish', 'result', day, subject, body, about, 'sending', 'deadbeefdeadbeefdeadbeefdeadbeef',"
                    " 0, created_at from delivery where kind = 'announcement'")
        )  # fmt: skip
        killed = conn.execute(sa.text("select count(*) from delivery where status = 'sending'"))
        left = killed.scalar_one()
    assert left >= 5
    r = cli("remind", "--cycle", "2024", "--at", DAY, "--format", "json")
    assert r.exit_code == 0 and r.json()["unknown"] == left
    assert f"{left} tin chưa rõ" in r.stderr and "[unknown_deliveries]" in r.stderr
    assert _states()["unknown"] == left  # in doubt, never sent again by itself
