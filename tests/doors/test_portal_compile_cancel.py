"""Tổng hợp ngay, cancelled and gone stale: the compiler's "Huỷ tổng hợp" (a POST with the CSRF
token) cancels a request queued or running — in a thread of the portal, or as a Prefect run —
records it in the audit log, and the page says so; a second click, or one after the compile
ended, is answered as such. A request queued for a Prefect run the server no longer knows, or
whose server does not answer (a closed port on 127.0.0.1, which refuses), is given up with the
reason and the next click goes ahead."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import portal as h
from tests.helpers.site import running_site

NOW = "2024-11-21T09:00"


def _rows() -> tuple[list[Any], list[Any], list[Any]]:
    """(compile requests, compilations, audit entries of compiles and cancels)."""
    from sqlmodel import col, select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Compilation, CompileRequest

    with reading(get_engine()) as session:
        requests = list(session.exec(select(CompileRequest).order_by(CompileRequest.id)).all())
        compilations = list(session.exec(select(Compilation)).all())
        audit = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action).in_(["compile", "compile_cancel"]))
            .order_by(AuditEntry.id)
        ).all()
    return requests, compilations, list(audit)


def _use_prefect(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_PREFECT_API_URL", url)
    get_settings.cache_clear()


def _closed_port() -> str:
    """A Prefect API URL on this machine that refuses at once (nothing listens there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The compile's writing held until the test lets it go: (entered, release)."""
    from danvan.tasks import compile as compile_task

    entered, release = threading.Event(), threading.Event()
    write = compile_task.write_one

    def held(*args: Any) -> Any:
        entered.set()
        assert release.wait(60)
        return write(*args)

    monkeypatch.setattr(compile_task, "write_one", held)
    yield entered, release
    release.set()


def _runner_gone(request_id: int, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while any(t.name == f"compile-request-{request_id}" for t in threading.enumerate()):
        assert time.monotonic() < ends, "the compile's thread did not end"
        time.sleep(0.05)


def test_a_running_compile_is_cancelled_and_records_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gate: Any
) -> None:
    """Cancelled while it writes (in a thread of the portal): the page says cancelled, with no
    refresh and no button; the compile, let go, records nothing; the audit log names who; a
    second click and a click after a finished compile are answered; others get 404."""
    entered, release = gate
    with running_site(tmp_path, monkeypatch, [h.DISTRICT, "QNG.STH", h.UNIT], now=NOW) as site:
        h.submit_unit_and_other(tmp_path)
        district = h.open_session(site.url, site.links[h.DISTRICT])
        csrf = h.csrf_of(district.get("/tong-hop").text)
        where = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        n = int(where.rsplit("/", 1)[1])
        assert entered.wait(60)
        page = district.get(where).text
        assert "Đang tổng hợp" in page and f'action="{where}/huy"' in page
        assert "Huỷ tổng hợp" in page

        assert district.post(f"{where}/huy", data={"csrf": "0" * 64}).status_code == 403
        other = h.open_session(site.url, site.links["QNG.STH"])
        assert other.post(f"{where}/huy", data={"csrf": h.csrf_of(other.get("/tong-hop").text)}
                          ).status_code == 404  # fmt: skip
        unit = h.open_session(site.url, site.links[h.UNIT])
        assert unit.post(f"{where}/huy", data={"csrf": h.csrf_of(unit.get("/don-vi").text)}
                         ).status_code == 404  # fmt: skip

        r = district.post(f"{where}/huy", data={"csrf": csrf})
        assert (r.status_code, r.headers["location"]) == (303, f"{where}?da_huy=1")
        page = district.get(r.headers["location"]).text
        assert "Đã huỷ lần tổng hợp này." in page and "Đã huỷ" in page
        assert "khi đang tổng hợp: lần này không được ghi nhận" in page
        assert "[compile_cancelled]" in page and "Traceback" not in page
        assert 'http-equiv="refresh"' not in page and "Huỷ tổng hợp" not in page
        assert district.get(f"{where}/trang-thai").json() == {
            "status": "cancelled", "text": "Đã huỷ", "finished": True,
        }  # fmt: skip

        release.set()
        _runner_gone(n)
        requests, compilations, audit = _rows()
        assert [(q.id, q.status) for q in requests] == [(n, "cancelled")]
        assert compilations == []
        assert [(a.action, a.actor, a.entity_key) for a in audit] == [
            ("compile_cancel", f"portal:{h.DISTRICT}", f"2024/{h.DISTRICT}/{n}")
        ]
        assert audit[0].detail["was"] == "running"

        again = district.post(f"{where}/huy", data={"csrf": csrf})
        assert again.headers["location"] == f"{where}?da_huy_truoc=1"
        assert "đã được huỷ trước đó" in district.get(again.headers["location"]).text
        assert len(_rows()[2]) == 1  # no second entry

        # a new click goes ahead; cancelling it once done is answered, and changes nothing
        fresh = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        assert fresh != where
        assert "Đã tổng hợp xong" in h.follow_compile(district, fresh)
        late = district.post(f"{fresh}/huy", data={"csrf": csrf})
        assert late.headers["location"] == f"{fresh}?da_xong=1"
        page = district.get(late.headers["location"]).text
        assert "đã kết thúc trước khi yêu cầu huỷ đến" in page and "Đã tổng hợp xong" in page
        requests, compilations, audit = _rows()
        assert [q.status for q in requests] == ["cancelled", "done"]
        assert len(compilations) == 1 and [a.action for a in audit] == ["compile_cancel", "compile"]


@dataclass
class FakePrefect:
    """Prefect's API as far as Tổng hợp ngay uses it, on 127.0.0.1: health, the ``tong-hop``
    deployment, creating a run, reading one (``runs``; an id not there: 404, as the server
    answers for a run it does not know) and setting its state (recorded)."""

    url: str = ""
    runs: dict[str, dict] = field(default_factory=dict)
    states_set: list[tuple[str, dict]] = field(default_factory=list)
    stop: Any = None  # stops answering: its port refuses from then on


@contextmanager
def fake_prefect() -> Iterator[FakePrefect]:
    fake = FakePrefect()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, doc: Any = None) -> None:
            body = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/api/health":
                return self._answer(200, True)
            if self.path.startswith("/api/deployments/name/"):
                return self._answer(200, {"id": "dep-tong-hop"})
            run = fake.runs.get(self.path.removeprefix("/api/flow_runs/"))
            return self._answer(200, run) if run else self._answer(404, {"detail": "not found"})

        def do_POST(self) -> None:
            doc = json.loads(self.rfile.read(int(self.headers["content-length"] or 0)) or b"{}")
            if self.path.endswith("/create_flow_run"):
                run = {"id": str(uuid.uuid4()), "state": {"type": "SCHEDULED", "name": "Scheduled"}}
                fake.runs[run["id"]] = run
                return self._answer(201, run)
            run_id = self.path.removeprefix("/api/flow_runs/").removesuffix("/set_state")
            fake.states_set.append((run_id, doc["state"]))
            return self._answer(201, {"status": "ACCEPT", "state": doc["state"]})

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{srv.server_address[1]}/api"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    stopped: list[bool] = []

    def stop() -> None:
        if not stopped:
            stopped.append(True)
            srv.shutdown()
            srv.server_close()

    fake.stop = stop
    try:
        yield fake
    finally:
        stop()


def test_a_queued_prefect_run_is_cancelled_there_too(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a Prefect server: the cancel marks the request and proposes Cancelling for its run
    (as ``prefect flow-run cancel``); a worker that starts the run anyway compiles nothing."""
    from danvan.flows.compile_now import run_held

    with (
        fake_prefect() as prefect,
        running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site,
    ):
        _use_prefect(monkeypatch, prefect.url)
        district = h.open_session(site.url, site.links[h.DISTRICT])
        csrf = h.csrf_of(district.get("/tong-hop").text)
        where = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        page = district.get(where).text
        assert "Đang chờ chạy" in page and "(Prefect: Scheduled)" in page
        ((run_id, _),) = prefect.runs.items()

        r = district.post(f"{where}/huy", data={"csrf": csrf})
        assert r.headers["location"] == f"{where}?da_huy=1"
        page = district.get(r.headers["location"]).text
        assert "trước khi bắt đầu tổng hợp" in page and "[compile_cancelled]" in page
        assert [(i, s["type"]) for i, s in prefect.states_set] == [(run_id, "CANCELLING")]
        (q,), _, (entry,) = _rows()
        assert (q.status, entry.detail) == ("cancelled", {"was": "queued", "run_id": run_id})
        assert run_held(q.id, str(site.out)) is None  # the run, started anyway: nothing to do
        assert not site.out.exists() and _rows()[1] == []


def test_a_stale_request_is_given_up_and_the_next_click_goes_ahead(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request queued for a Prefect run: the server no longer knows the run → the page gives
    it up ``[run_unknown]`` at once (not after the 10-minute wait) and the next click is a new
    run; the server gone (a closed port) → the next click gives the queued one up
    ``[prefect_unreachable]`` and compiles on this machine; a cancel while the server is gone
    cancels the request and says the run could not be told."""
    from danvan.tasks.compile_requests import claim, set_run

    with (
        fake_prefect() as prefect,
        running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site,
    ):
        h.submit_unit_and_other(tmp_path)
        _use_prefect(monkeypatch, prefect.url)
        district = h.open_session(site.url, site.links[h.DISTRICT])
        csrf = h.csrf_of(district.get("/tong-hop").text)
        # the run is not on the server (deleted, or another server's): given up on sight
        lost, _ = claim(year=h.YEAR, code=h.DISTRICT, at=h.at(NOW), actor="portal:t")
        set_run(lost.id, str(uuid.uuid4()))
        page = district.get(f"/tong-hop/bien-soan/{lost.id}").text
        assert "Tổng hợp không thành" in page and "[run_unknown]" in page
        assert "Máy chủ Prefect không còn lần chạy của yêu cầu này" in page
        assert 'http-equiv="refresh"' not in page and "Huỷ tổng hợp" not in page
        new = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        assert new != f"/tong-hop/bien-soan/{lost.id}" and len(prefect.runs) == 1

        # the server stops answering (this process saw it healthy: it asks once): the next click
        # gives up the queued request, and the new run the server refuses, and compiles here;
        # the page of the old one says why
        prefect.stop()
        here = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        assert here != new
        assert "Đã tổng hợp xong" in h.follow_compile(district, here)
        page = district.get(new).text
        assert "[prefect_unreachable]" in page and "Không liên lạc được máy chủ Prefect" in page

        # a server configured but refusing from the start (a closed port): a request queued
        # for a run is given up by the next click too, which compiles here
        _use_prefect(monkeypatch, _closed_port())
        queued, _ = claim(year=h.YEAR, code=h.DISTRICT, at=h.at(NOW), actor="portal:t")
        set_run(queued.id, str(uuid.uuid4()))
        again = district.post("/tong-hop/bien-soan", data={"csrf": csrf}).headers["location"]
        assert again != f"/tong-hop/bien-soan/{queued.id}"
        assert "Đã tổng hợp xong" in h.follow_compile(district, again)

        # queued for a run while the server is away: cancelled all the same, the run untold
        stuck, _ = claim(year=h.YEAR, code=h.DISTRICT, at=h.at(NOW), actor="portal:t")
        set_run(stuck.id, str(uuid.uuid4()))
        where = f"/tong-hop/bien-soan/{stuck.id}"
        r = district.post(f"{where}/huy", data={"csrf": csrf})
        assert r.headers["location"] == f"{where}?da_huy=1&prefect_chua_bao=1"
        page = district.get(r.headers["location"]).text
        assert "Đã huỷ lần tổng hợp này." in page and "Chưa báo được cho máy chủ Prefect" in page
        statuses = [(q.status, (q.problem or "")[-22:]) for q in _rows()[0]]
        assert [s for s, _ in statuses] == [
            "failed", "failed", "failed", "done", "failed", "done", "cancelled"
        ]  # fmt: skip
        assert "[run_unknown]" in statuses[0][1]
        assert all(statuses[i][1].endswith("[prefect_unreachable]") for i in (1, 2, 4))
        assert prefect.states_set == []  # no server was reached to cancel anything


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.helpers.browser import browser_or_skip

    yield from browser_or_skip()


@pytest.mark.parametrize(("name", "script"), [("phone", True), ("desktop", False)])
def test_cancel_in_a_browser(
    browser: Any,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gate: Any,
    name: str,
    script: bool,
) -> None:
    """The phone with the page's script, the desktop with JavaScript off: the button cancels
    the running compile and the page says so, with no sideways scroll on the phone."""
    import os

    from tests.helpers.browser import DESKTOP, PHONE, open_link, small_png

    entered, _ = gate
    size = PHONE if name == "phone" else DESKTOP
    with running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site:
        h.submit_unit_and_other(tmp_path)
        ctx = browser.new_context(viewport=size, java_script_enabled=script)
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        open_link(page, site.link(h.DISTRICT))
        page.goto(site.url + "/tong-hop")
        page.click("button:has-text('Tổng hợp ngay')")
        assert entered.wait(60)
        page.reload()
        assert "Đang tổng hợp" in page.inner_text("main")
        shots = os.environ.get("DANVAN_SCREENSHOTS")

        def shot(label: str) -> None:
            if shots:
                target = Path(shots) / f"{label}-{name}.png"
                page.screenshot(path=str(target), full_page=True)
                small_png(target)

        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        page.click("button:has-text('Huỷ tổng hợp')")
        assert re.search(r"/tong-hop/bien-soan/\d+\?da_huy=1$", page.url)
        text = page.inner_text("main")
        assert "Đã huỷ lần tổng hợp này." in text and "[compile_cancelled]" in text
        assert page.query_selector("button:has-text('Huỷ tổng hợp')") is None
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        shot("c3-tong-hop-da-huy")  # the page before it, with the button: c1-…
        ctx.close()


def _race(request_id: int) -> list[str]:
    """Six cancels and the recording of ``request_id``, let go at once; what each answered."""
    from danvan.models.db import get_engine, transaction
    from danvan.tasks.compile_cancel import cancel
    from danvan.tasks.compile_requests import CompileCancelled, close_done

    barrier = threading.Barrier(7)
    outcomes: list[str] = []

    def click() -> None:
        barrier.wait()
        done = cancel(year=h.YEAR, code=h.DISTRICT, request_id=request_id, at=h.at(NOW),
                      actor="portal:t")  # fmt: skip
        outcomes.append("?" if done is None else done.outcome)

    def record() -> None:
        barrier.wait()
        try:
            with transaction(get_engine()) as session:
                close_done(session, request_id, {h.DISTRICT: ["a.docx"]})
            outcomes.append("recorded")
        except CompileCancelled:
            outcomes.append("rolled back")

    threads = [threading.Thread(target=click) for _ in range(6)]
    threads.append(threading.Thread(target=record))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_cancels_and_the_recording_race_and_one_wins(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six cancels (portal processes, clicks) and the compile's recording meet one running
    request at once, on SQLite and on PostgreSQL, four times: exactly one of them wins.
    Cancelled: one audit entry, the recording rolled back (``CompileCancelled``), the other
    clicks told "already". Recorded: no cancel audited, every click told "ended"."""
    from danvan.tasks.compile_requests import claim, hold_lease, start

    with running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW):
        for _ in range(4):
            lease = hold_lease()
            try:
                view, new = claim(year=h.YEAR, code=h.DISTRICT, at=h.at(NOW), actor="t",
                                  lease=lease.token)  # fmt: skip
                assert new and start(view.id, lease.token) is not None
                outcomes = _race(view.id)
            finally:
                lease.__exit__(None, None, None)
            requests, _, audit = _rows()
            status = next(q.status for q in requests if q.id == view.id)
            key = f"/{view.id}"
            cancels = [
                a for a in audit if a.action == "compile_cancel" and a.entity_key.endswith(key)
            ]
            if status == "cancelled":
                assert sorted(outcomes) == ["already"] * 5 + ["cancelled", "rolled back"]
                assert len(cancels) == 1
            else:
                assert status == "done", status
                assert sorted(outcomes) == ["ended"] * 6 + ["recorded"]
                assert cancels == []
