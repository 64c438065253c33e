"""Tổng hợp ngay (issue 18): the compiler's button answers at once with a page following the
compile in the background — queued or running, then done with its files or failed with a
reason — refreshed by <meta refresh> without JavaScript and by a poll with it. Two clicks at
once start one compile; the same instant gives the same files; a runner that died reads as
failed and the next click starts again."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import portal as h
from tests.helpers.browser import DESKTOP, PHONE, browser_or_skip, open_link
from tests.helpers.site import Site, running_site

NOW = "2024-11-21T09:00"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".")}  # fmt: skip


def test_compile_now_runs_in_the_background(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import CompileRequest

    codes = [h.DISTRICT, "QNG.STH"]
    with running_site(tmp_path, monkeypatch, codes, now=NOW) as site:
        h.submit_unit_and_other(tmp_path)
        district = h.open_session(site.url, site.links[h.DISTRICT])
        csrf = h.csrf_of(district.get("/tong-hop").text)
        # two clicks at once (two tabs, or two portal workers): one compile
        answers: list[Any] = []

        def click() -> None:
            answers.append(district.post("/tong-hop/bien-soan", data={"csrf": csrf}))

        cpu, wall = time.process_time(), time.monotonic()
        clicks = [threading.Thread(target=click) for _ in range(2)]
        for t in clicks:
            t.start()
        for t in clicks:
            t.join()
        wall = time.monotonic() - wall
        assert [a.status_code for a in answers] == [303, 303]
        (where,) = {a.headers["location"] for a in answers}
        assert re.fullmatch(r"/tong-hop/bien-soan/\d+", where)
        print(f"two clicks answered in {wall:.2f} s wall ({time.process_time() - cpu:.2f} s CPU)")

        first = district.get(where).text
        assert 'http-equiv="refresh"' in first and "/static/progress.js" in first
        assert "Đang chờ chạy" in first or "Đang tổng hợp" in first
        poll = district.get(f"{where}/trang-thai").json()
        assert poll["status"] in ("queued", "running", "done") and isinstance(
            poll["finished"], bool
        )

        done = h.follow_compile(district, where)
        assert "Đã tổng hợp xong" in done and 'http-equiv="refresh"' not in done
        report = f"bao-cao-tong-hop-{h.DISTRICT}-2024.docx"
        assert f'href="/tong-hop/bao-cao/{report}"' in done
        assert district.get(f"/tong-hop/bao-cao/{report}").content.startswith(b"PK")
        assert district.get(f"{where}/trang-thai").json() == {
            "status": "done", "text": "Đã tổng hợp xong", "finished": True,
        }  # fmt: skip
        with reading(get_engine()) as session:
            assert len(session.exec(select(CompileRequest)).all()) == 1
        before = _hashes(site.out / h.DISTRICT)

        # again at the same instant: a new request, the very same files
        again = district.post("/tong-hop/bien-soan", data={"csrf": csrf})
        assert again.headers["location"] != where
        assert "Đã tổng hợp xong" in h.follow_compile(district, again.headers["location"])
        assert _hashes(site.out / h.DISTRICT) == before

        # another compiler's request, or no number at all: not found
        other = h.open_session(site.url, site.links["QNG.STH"])
        assert other.get(where).status_code == 404
        assert other.get(f"{where}/trang-thai").status_code == 404
        assert district.get("/tong-hop/bien-soan/abc").status_code == 404


def test_a_failed_compile_says_why_and_the_next_click_runs_again(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output folder cannot be written (a file stands in its place): the page ends failed
    with a Vietnamese reason and its code, no server path; once it can, the next click is done."""
    with running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site:
        h.submit_unit_and_other(tmp_path)
        site.out.write_text("not a folder", "utf-8")
        district = h.open_session(site.url, site.links[h.DISTRICT])
        csrf = h.csrf_of(district.get("/tong-hop").text)
        r = district.post("/tong-hop/bien-soan", data={"csrf": csrf})
        failed = h.follow_compile(district, r.headers["location"])
        assert "Tổng hợp không thành" in failed and "[os_error]" in failed
        assert str(site.out) not in failed and "Traceback" not in failed
        site.out.unlink()
        again = district.post("/tong-hop/bien-soan", data={"csrf": csrf})
        assert again.headers["location"] != r.headers["location"]
        assert "Đã tổng hợp xong" in h.follow_compile(district, again.headers["location"])


def _two_processes(target: Any) -> tuple[list[Any], Any, Any]:
    """Two fresh processes (spawned: no thread or connection of this one) running ``target``
    with a shared barrier, a queue for their answers and the compile instant; started. The
    caller keeps the barrier until they end (its semaphore goes with the last reference)."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    barrier, answers = spawn.Barrier(2), spawn.Queue()
    procs = [spawn.Process(target=target, args=(barrier, answers, h.at(NOW))) for _ in range(2)]
    for p in procs:
        p.start()
    return procs, answers, barrier


def _portal_worker(barrier: Any, answers: Any, at: datetime) -> None:
    """One portal worker process: the button's entry point at the barrier, then alive until the
    compile it may have started is finished (its thread and lease live in this process)."""
    from danvan.flows.compile_now import progress, start_compile

    barrier.wait(timeout=120)
    r = start_compile(year=h.YEAR, code=h.DISTRICT, at=at, actor=f"pid:{os.getpid()}",
                      out_dir=os.environ["DANVAN_OUT_DIR"])  # fmt: skip
    answers.put(r.id)
    ends = time.monotonic() + 240
    while time.monotonic() < ends:
        seen = progress(year=h.YEAR, code=h.DISTRICT, request_id=r.id, at=at)
        if seen is None or seen.request.finished:
            return
        time.sleep(0.2)


def test_two_portal_workers_start_one_compile(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``danvan portal --workers 2``: the same button reaching both processes at one instant
    gives one request, run once, and it ends done."""
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import CompileRequest

    monkeypatch.setenv("DANVAN_OUT_DIR", str(tmp_path / "out"))
    h.set_up_province(tmp_path / "p")
    h.submit_unit_and_other(tmp_path)
    workers, answers, _barrier = _two_processes(_portal_worker)  # kept until they end
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]
    ids = {answers.get(timeout=5), answers.get(timeout=5)}
    assert len(ids) == 1
    with reading(get_engine()) as session:
        rows = session.exec(select(CompileRequest)).all()
    assert [(r.status, r.problem) for r in rows] == [("done", None)]
    assert (tmp_path / "out" / h.DISTRICT / f"bao-cao-tong-hop-{h.DISTRICT}-2024.docx").is_file()


ROUNDS = 25


def _claimer(barrier: Any, answers: Any, at: datetime) -> None:
    """A process holding a runner's lease, claiming at the barrier round after round; the
    round's winner closes its request so the next round races again."""
    from danvan.tasks.compile_requests import claim, finish, hold_lease

    lease = hold_lease()
    for i in range(ROUNDS):
        barrier.wait(timeout=120)
        view, new = claim(year=h.YEAR, code=h.DISTRICT, at=at, actor="t", lease=lease.token)
        answers.put((i, view.id, new))
        barrier.wait(timeout=120)
        if new:
            finish(view.id, [])


def test_claims_at_one_instant_give_one_request(db_url: str, tmp_path: Path) -> None:
    """The claim's lock, measured: two processes claim together 25 times; each time one request
    is new and both get it (without ``lock_unit`` PostgreSQL adds two)."""
    h.set_up_province(tmp_path / "p")
    procs, answers, _barrier = _two_processes(_claimer)  # kept until they end
    got = [answers.get(timeout=180) for _ in range(2 * ROUNDS)]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0]
    for i in range(ROUNDS):
        seen = [(rid, new) for n, rid, new in got if n == i]
        assert len({rid for rid, _ in seen}) == 1 and sorted(new for _, new in seen) == [
            False,
            True,
        ], (i, seen)


def test_a_dead_runner_reads_as_failed(db_url: str, tmp_path: Path) -> None:
    """A request whose runner's lease is gone (its process killed) is failed, with the reason,
    and the compiler's next click starts a new one."""
    from danvan.tasks.compile_requests import INTERRUPTED, claim, request_view

    h.set_up_province(tmp_path / "p")
    at = h.at(NOW)
    gone, new = claim(year=h.YEAR, code=h.DISTRICT, at=at, actor="t", lease="0" * 32)
    assert new
    seen = request_view(year=h.YEAR, code=h.DISTRICT, request_id=gone.id)
    assert seen is not None and seen.status == "failed" and seen.problem == INTERRUPTED
    assert request_view(year=h.YEAR, code="QNG.STH", request_id=gone.id) is None
    fresh, new = claim(year=h.YEAR, code=h.DISTRICT, at=at, actor="t", lease="1" * 32)
    assert new and fresh.id != gone.id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from browser_or_skip()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with running_site(tmp_path, monkeypatch, [h.DISTRICT], now=NOW) as site:
        h.submit_unit_and_other(tmp_path)
        yield site


@pytest.mark.parametrize(
    ("name", "size", "script"), [("phone", PHONE, True), ("desktop", DESKTOP, False)]
)
def test_compile_now_in_a_browser(
    browser: Any, site: Site, name: str, size: dict, script: bool
) -> None:
    """The phone follows it with the page's script, the desktop with JavaScript off (the
    <meta refresh>): both end on the files, with no sideways scroll on the phone."""
    import os

    from tests.helpers.browser import small_png

    ctx = browser.new_context(viewport=size, java_script_enabled=script)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    open_link(page, site.link(h.DISTRICT))
    page.goto(site.url + "/tong-hop")
    page.click("button:has-text('Tổng hợp ngay')")
    assert re.search(r"/tong-hop/bien-soan/\d+$", page.url)
    shots = os.environ.get("DANVAN_SCREENSHOTS")

    def shot(label: str) -> None:
        if shots:
            target = Path(shots) / f"{label}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            small_png(target)

    text = page.inner_text("main")
    assert "Tổng hợp ngay" in text and ("Đang" in text or "Đã tổng hợp xong" in text)
    shot("c1-tong-hop-dang-chay")
    page.wait_for_selector("text=Đã tổng hợp xong", timeout=180_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot("c2-tong-hop-xong")
    with page.expect_download() as info:
        page.click(f"text=bao-cao-tong-hop-{h.DISTRICT}-2024.docx")
    assert Path(info.value.path()).read_bytes().startswith(b"PK")
    ctx.close()
