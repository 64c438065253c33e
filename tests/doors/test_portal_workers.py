"""``danvan portal --workers N`` (SPEC §4.5): several processes share sessions (one secret,
drawn by the parent when none is set), CSRF tokens and rate limits (counted in the database);
200 uploads at once through 2 workers on PostgreSQL are each recorded once, every unit's
versions come out 1..N with no gap, and no process writes a link's token to any log line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import portal as h
from tests.helpers.sinks import free_port

UNITS = 25
VERSIONS = 8  # 25 units × 8 versions = 200 uploads


def test_two_limiters_share_one_count(db_url: str) -> None:
    """Two workers' limiters (one process here, the same database) read the same count."""
    from danvan.portal.security import SharedRateLimiter

    minute = [600.0]
    one = SharedRateLimiter(3, 2, "link", clock=lambda: minute[0])
    two = SharedRateLimiter(3, 2, "link", clock=lambda: minute[0])
    assert [one.allow(7), two.allow(7), one.allow(7)] == [True, True, True]
    assert two.allow(7) is False and one.allow(7) is False
    assert one.allow(8) is True  # another link has its own count
    minute[0] += 60  # the next minute starts afresh
    assert two.allow(7) is True


@pytest.mark.slow
@pytest.mark.postgres
def test_200_uploads_through_two_workers(pg_url: str, tmp_path: Path) -> None:
    from sqlmodel import select

    from danvan.demo.load import sign_in
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Submission

    h.set_up_province(tmp_path / "p")
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=h.YEAR)
    codes = sorted(c for c in ctx.province_units if ctx.units[c].assessed and ctx.units[c].active)
    codes = codes[:UNITS]
    assert len(codes) == UNITS
    links = h.mint_links(codes)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DANVAN_PORTAL_SECRET"}
    log = tmp_path / "portal.log"
    danvan = Path(sys.executable).parent / "danvan"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(danvan), "portal", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, proc, log)
        answers: list[str] = []
        walls: list[float] = []  # seconds per upload answered: printed, never asserted
        lock = threading.Lock()
        barrier = threading.Barrier(UNITS * VERSIONS)

        # each unit opens its link once (as a clerk does), not once per upload: 400 link
        # openings from one address inside a clock minute would rightly answer 429
        sessions: dict[str, tuple[dict, str]] = {}
        for code in codes:
            with httpx.Client(base_url=url, timeout=300) as opener:
                page = sign_in(opener, links[code]).text
                found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
                assert found is not None
                sessions[code] = (dict(opener.cookies), found.group(1))

        def one(code: str, hint: int) -> None:
            name = f"{code}-{hint}.json"
            data = (h.write_json(tmp_path / name, h.submission(code, hint))).read_bytes()
            try:
                cookies, token = sessions[code]
                barrier.wait(timeout=300)
                # a new connection: the session opened by one worker is read by either
                with httpx.Client(base_url=url, timeout=300, cookies=cookies) as sender:
                    start = time.perf_counter()
                    r = sender.post(
                        "/don-vi/nop", data={"csrf": token}, files={"tep": (name, data)}
                    )
                    took = time.perf_counter() - start
                answer = "ok" if r.status_code == 200 and "Đã nhận" in r.text else r.status_code
            except Exception as exc:  # reported below, with every other answer
                barrier.abort()  # the others stop waiting: the test fails at once, saying why
                answer = f"{type(exc).__name__}: {exc}"
            with lock:
                answers.append(f"{code}-{hint}: {answer}")
                if answer == "ok":
                    walls.append(took)

        with ThreadPoolExecutor(max_workers=UNITS * VERSIONS) as pool:
            for code in codes:
                for hint in range(VERSIONS):
                    pool.submit(one, code, hint)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if walls:  # issue 18's measure (target p95 ≤ 3 s); speed is read here, not asserted
        ordered = sorted(walls)
        p50, p95 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95))
        print(f"\n{len(walls)} uploads at once, 2 workers: p50 {p50:.2f} s, p95 {p95:.2f} s")
    wrong = sorted({a.split(": ", 1)[1] for a in answers if not a.endswith(": ok")})
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    assert wrong == [], f"{wrong}\n{tail}"
    assert len(answers) == UNITS * VERSIONS
    with reading(get_engine()) as session:
        rows = session.exec(select(Submission.unit_id, Submission.version)).all()
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "submit")).all()
    versions: dict[int, list[int]] = {}
    for unit_id, version in rows:
        versions.setdefault(unit_id, []).append(version)
    assert len(rows) == UNITS * VERSIONS == len(audited)
    assert all(sorted(v) == list(range(1, VERSIONS + 1)) for v in versions.values())
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /don-vi/nop" in text  # the access log was on, in both workers
    assert len(set(re.findall(r"\[(\d+)\]", text))) >= 2, text[:2000]  # two worker pids
    for link in links.values():
        token = link.rsplit("/", 1)[-1]
        assert token not in text
    assert "/l/…" in text


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 240  # two processes importing the app on a busy machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"danvan portal exited with {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(url + "/static/portal.css", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"danvan portal did not start: {log.read_text()[-2000:]}")
