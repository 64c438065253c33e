"""Tổng hợp ngay that no runner takes (a Prefect server with no worker, or its pool paused): past
``DANVAN_COMPILE_START_MINUTES`` (10 by default) after it was asked, the request reads as failed
``[compile_not_started]`` with a Vietnamese reason, the page stops refreshing, the next click
starts a new request, and the operators are told once — however many readers find it at once
(two processes, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import portal as h
from tests.helpers.sinks import HttpSink, running_http_sink
from tests.helpers.site import running_site

NOW = "2024-11-21T09:00"
NOT_STARTED = "Chưa có tiến trình nào nhận việc tổng hợp sau 10 phút"


def _operators(monkeypatch: pytest.MonkeyPatch, sink: HttpSink) -> None:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_OPERATOR_CONTACTS", sink.url("ops"))
    get_settings.cache_clear()


def _alerts() -> list[Any]:
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import OperatorAlert

    with reading(get_engine()) as session:
        return list(session.exec(select(OperatorAlert).order_by(OperatorAlert.id)).all())


def _told(sink: HttpSink, count: int, seconds: float = 20) -> list[Any]:
    """The operators' messages once ``count`` have come (or the time is up), a moment more so
    that a second one would show."""
    ends = time.monotonic() + seconds
    while len(sink.requests) < count and time.monotonic() < ends:
        time.sleep(0.05)
    time.sleep(0.5)
    return [r for r in sink.requests if r.path == "/ops"]


def test_a_request_nobody_takes_fails_after_the_wait_and_the_compiler_may_ask_again(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page of a request no runner took (claimed as the Prefect path claims it: no lease
    of this process, a run id) follows the portal's clock: queued at 9 minutes, failed with the
    reason at 10, no refresh any more; the operators hear of it once; the button starts anew."""
    from danvan.tasks.alerts import COURIER
    from danvan.tasks.compile_requests import claim, set_run

    with (
        running_http_sink() as sink,
        running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site,
    ):
        _operators(monkeypatch, sink)
        stuck, new = claim(year=h.YEAR, code=h.DISTRICT, at=h.at(NOW), actor="portal:t")
        assert new
        set_run(stuck.id, "7f3c2a9e-0000-4000-8000-00000000abcd")  # a run nobody picks up
        district = h.open_session(site.url, site.links[h.DISTRICT])
        where = f"/tong-hop/bien-soan/{stuck.id}"

        site.clock[0] = h.at(NOW) + timedelta(minutes=9, seconds=59)
        assert "Đang chờ chạy" in district.get(where).text
        assert district.get(f"{where}/trang-thai").json()["status"] == "queued"
        assert _alerts() == []

        site.clock[0] = h.at(NOW) + timedelta(minutes=10)
        page = district.get(where).text
        assert "Tổng hợp không thành" in page and 'http-equiv="refresh"' not in page
        assert NOT_STARTED in page and "[compile_not_started]" in page
        assert district.get(f"{where}/trang-thai").json() == {
            "status": "failed", "text": "Tổng hợp không thành", "finished": True,
        }  # fmt: skip
        COURIER.wait_idle(20)
        (told,) = _told(sink, 1)
        assert f"Tổng hợp ngay của {h.DISTRICT}" in told.body["title"]
        assert "[compile_not_started]" in told.body["message"]
        assert "09:00 ngày 21/11/2024" in told.body["message"]  # asked, in the province's time
        (alert,) = _alerts()
        assert (alert.reason, alert.status) == ("compile_not_started", "sent")

        # read again, by the page and the poll: nothing changes, nobody is told twice
        district.get(where)
        district.get(f"{where}/trang-thai")
        COURIER.wait_idle(20)
        assert len(_told(sink, 2, seconds=1)) == 1 and len(_alerts()) == 1

        # the compiler asks again: a new request, run by this portal (no Prefect here), done
        page = district.get("/tong-hop").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None
        again = district.post("/tong-hop/bien-soan", data={"csrf": csrf.group(1)})
        assert again.headers["location"] != where
        assert "Đã tổng hợp xong" in h.follow_compile(district, again.headers["location"])


def test_the_next_click_gives_up_a_request_nobody_took(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compiler who left the page and clicks again later does not join the stuck request:
    the claim fails it (once, told once) and queues a new one; before the wait it joins."""
    from danvan.tasks.alerts import COURIER
    from danvan.tasks.compile_requests import claim, request_view

    with running_http_sink() as sink:
        h.set_up_province(tmp_path / "p")
        _operators(monkeypatch, sink)
        at = h.at(NOW)
        stuck, _ = claim(year=h.YEAR, code=h.DISTRICT, at=at, actor="t")
        joined, new = claim(year=h.YEAR, code=h.DISTRICT, at=at + timedelta(minutes=9), actor="t")
        assert (joined.id, new) == (stuck.id, False)
        fresh, new = claim(year=h.YEAR, code=h.DISTRICT, at=at + timedelta(minutes=15), actor="t")
        assert new and fresh.id != stuck.id and fresh.status == "queued"
        old = request_view(year=h.YEAR, code=h.DISTRICT, request_id=stuck.id)
        assert old is not None and old.status == "failed" and NOT_STARTED in (old.problem or "")
        COURIER.wait_idle(20)
        assert len(_told(sink, 1)) == 1 and len(_alerts()) == 1


ROUNDS = 8
SINCE = timedelta(minutes=11)


def _reader(barrier: Any, answers: Any, at: datetime) -> None:
    """One portal process: each round it claims (both join one request), then at the barrier
    both read it past its wait; at the end, its courier's sending is awaited."""
    from danvan.flows.compile_now import progress
    from danvan.tasks.alerts import COURIER
    from danvan.tasks.compile_requests import claim

    for i in range(ROUNDS):
        asked = at + i * 2 * SINCE
        view, _ = claim(year=h.YEAR, code=h.DISTRICT, at=asked, actor="t")
        barrier.wait(timeout=120)
        seen = progress(year=h.YEAR, code=h.DISTRICT, request_id=view.id, at=asked + SINCE)
        assert seen is not None
        answers.put((i, view.id, seen.request.status, seen.request.problem))
        barrier.wait(timeout=120)
    COURIER.wait_idle(60)


def test_two_readers_at_once_give_one_failure_and_one_alert(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes read the same stale request at one instant, round after round: both see it
    failed, and each request has one alert row per contact and one message."""
    from tests.doors.test_portal_compile_now import _two_processes

    with running_http_sink() as sink:
        h.set_up_province(tmp_path / "p")
        _operators(monkeypatch, sink)
        procs, answers, _barrier = _two_processes(_reader)  # kept until they end
        got = [answers.get(timeout=180) for _ in range(2 * ROUNDS)]
        for p in procs:
            p.join(timeout=120)
        assert [p.exitcode for p in procs] == [0, 0]
        for i in range(ROUNDS):
            seen = [(rid, status, problem) for n, rid, status, problem in got if n == i]
            assert len({rid for rid, _, _ in seen}) == 1, (i, seen)
            assert all(s == "failed" and NOT_STARTED in (p or "") for _, s, p in seen), seen
        alerts = _alerts()
        assert len(alerts) == ROUNDS and len({a.key for a in alerts}) == ROUNDS
        assert {a.status for a in alerts} == {"sent"}
        assert len(_told(sink, ROUNDS)) == ROUNDS
