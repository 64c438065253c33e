"""``danvan portal --workers N`` (SPEC §4.5): several processes share sessions (one secret,
drawn by the parent when none is set), CSRF tokens and rate limits (counted in the database);
200 uploads at once through 2 workers on PostgreSQL are each recorded once, every unit's
versions come out 1..N with no gap, each upload's receipt reaches the unit's contact (a live
endpoint in this process) exactly once, and no process writes a link's token to any log line.
The 200 clients are light (requests built and connections opened before the start, sent over
``http.client``): they share the 2 cores with the server being measured."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
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


def test_a_process_records_one_units_files_in_turn() -> None:
    """Files of one unit go to a thread one after another (the others wait in the event loop,
    holding no thread nor connection); another unit's are not held up; nothing is kept after."""
    import asyncio

    from danvan.portal.deps import Portal, in_unit_turn

    portal = Portal.__new__(Portal)
    portal.turns = {}
    inside: dict[str, int] = {}
    most: dict[str, int] = {}  # most at once: of each unit, and of all
    guard = threading.Lock()

    def work(code: str) -> str:
        with guard:
            inside[code] = inside.get(code, 0) + 1
            most[code] = max(most.get(code, 0), inside[code])
            most["all"] = max(most.get("all", 0), sum(inside.values()))
        time.sleep(0.05)
        with guard:
            inside[code] -= 1
        return code

    async def burst() -> list[str]:
        jobs = [in_unit_turn(portal, c, work, c) for c in ["A"] * 4 + ["B"] * 4]
        return await asyncio.gather(*jobs)

    assert asyncio.run(burst()) == ["A"] * 4 + ["B"] * 4
    assert most == {"A": 1, "B": 1, "all": 2}  # one of each unit at a time, the two side by side
    assert portal.turns == {}


@pytest.mark.slow
@pytest.mark.postgres
def test_200_uploads_through_two_workers(pg_url: str, tmp_path: Path) -> None:
    from danvan.demo.run import local_inbox

    with local_inbox() as (contact, received):
        _burst(pg_url, tmp_path, contact, received)


def _burst(pg_url: str, tmp_path: Path, contact: str, received: list[dict]) -> None:
    """The 200 uploads, their receipts sent to ``contact`` (every unit's, one path each)."""
    import yaml
    from sqlmodel import select

    from danvan.demo.load import sign_in, upload_form
    from danvan.demo.sample import __file__ as sample_init
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Submission

    org = yaml.safe_load((Path(sample_init).parent / "org.yaml").read_text(encoding="utf-8"))
    h.set_up_province(tmp_path / "p", {u["code"]: f"{contact}/{u['code']}" for u in org["units"]})
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
    spent = "not measured"
    receipts_after = 0.0
    try:
        _wait_until_serving(url, proc, log)
        answers: list[str] = []
        walls: list[float] = []  # seconds per upload answered: printed, never asserted
        lock = threading.Lock()
        cpu: list[_Cpu] = []  # counted from the moment all 200 are ready to send
        barrier = threading.Barrier(UNITS * VERSIONS, action=lambda: cpu.append(_Cpu(proc.pid)))

        # each unit opens its link once (as a clerk does), not once per upload: 400 link
        # openings from one address inside a clock minute would rightly answer 429
        sessions: dict[str, tuple[str, str]] = {}
        for code in codes:
            with httpx.Client(base_url=url, timeout=300) as opener:
                page = sign_in(opener, links[code]).text
                cookie = "; ".join(f"{k}={v}" for k, v in opener.cookies.items())
                sessions[code] = (cookie, h.csrf_of(page))

        def one(code: str, hint: int) -> None:
            name = f"{code}-{hint}.json"
            data = (h.write_json(tmp_path / name, h.submission(code, hint))).read_bytes()
            try:
                cookies, token = sessions[code]
                # a light client (issue 18): the request is built and its connection opened
                # before the start, then sent over http.client; a new connection each, so the
                # session opened by one worker is read by either. httpx cost ~8 ms of CPU an
                # upload here, taken from the server being measured on the same 2 cores
                body, kind = upload_form(token, name, data)
                headers = {"Cookie": cookies, "Content-Type": kind}
                sender = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                sender.connect()
                try:
                    barrier.wait(timeout=300)
                    start = time.perf_counter()
                    sender.request("POST", "/don-vi/nop", body=body, headers=headers)
                    r = sender.getresponse()
                    text = r.read().decode()
                    took = time.perf_counter() - start
                finally:
                    sender.close()
                answer = "ok" if r.status == 200 and "Đã nhận" in text else r.status
            except Exception as exc:  # reported below, with every other answer
                barrier.abort()  # the others stop waiting: the test fails at once, saying why
                answer = f"{type(exc).__name__}: {exc}"
            with lock:
                answers.append(f"{code}-{hint}: {answer}")
                if answer == "ok":
                    walls.append(took)

        with _PgWaits(pg_url) as waits, ThreadPoolExecutor(max_workers=UNITS * VERSIONS) as pool:
            for code in codes:
                for hint in range(VERSIONS):
                    pool.submit(one, code, hint)
        spent = cpu[0].spent() if cpu else spent
        answered = time.monotonic()
        deadline = answered + 120  # the receipts go after the answers (the courier)
        while _receipts(received) < UNITS * VERSIONS and time.monotonic() < deadline:
            time.sleep(0.05)
        receipts_after = time.monotonic() - answered
        time.sleep(1)  # none more should come
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
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n{len(walls)} uploads at once, 2 workers: p50 {p50:.2f} s, p95 {p95:.2f} s, "
            f"max {ordered[-1]:.2f} s; every receipt arrived {receipts_after:.1f} s after the "
            f"last answer; CPU s (to the last answer): {spent}; load average {load}"
            f"{waits.summary()}"
        )
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
    # each upload's receipt once: every unit's contact got one message per version it sent
    receipts = [r for r in received if r["title"].startswith(RECEIPT)]
    assert Counter(r["to"] for r in receipts) == {code: VERSIONS for code in codes}
    for code in codes:  # versions 1..N, each once
        said = sorted(
            r["title"].split("phiên bản ")[1].split(",")[0] for r in receipts if r["to"] == code
        )
        assert said == sorted(str(v) for v in range(1, VERSIONS + 1)), (code, said)


RECEIPT = "[Đã nhận]"  # a receipt's subject begins so (config/templates/receipt.j2)


def _receipts(received: list[dict]) -> int:
    return sum(1 for r in received if r["title"].startswith(RECEIPT))


class _Cpu:
    """CPU seconds (user + system) spent from now on by the portal's processes (the parent and
    its workers, read in /proc), by this test process (the 200 clients) and by every
    ``postgres`` process of the machine (other users' queries included), apart."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = self._server(), time.process_time(), self._postgres()

    @staticmethod
    def _cpu(pid: int | str) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _server(self) -> dict[int, float]:
        pids, seen = [self.pid], {}
        while pids:
            pid = pids.pop()
            try:
                seen[pid] = self._cpu(pid)
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            pids += [int(c) for c in children]
        return seen

    @classmethod
    def _postgres(cls) -> dict[str, float]:
        seen = {}
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                    seen[entry.name] = cls._cpu(entry.name)
            except OSError:
                continue
        return seen

    def spent(self) -> str:
        before, client, pg = self.start
        now, pg_now = self._server(), self._postgres()
        each = [now[p] - before.get(p, 0.0) for p in sorted(now)]
        clients = time.process_time() - client
        database = sum(v - pg.get(p, 0.0) for p, v in pg_now.items())
        # the burst is CPU-bound: on 2 free cores its last answer comes after about half of it
        whole = sum(each) + clients + database
        return (
            f"server {' + '.join(f'{x:.1f}' for x in each)}, clients {clients:.1f}, "
            f"postgres {database:.1f}; all / 2 cores = {whole / 2:.1f} s"
        )


class _PgWaits:
    """With ``DANVAN_TEST_PG_WAITS=1``: what the portal's PostgreSQL sessions are doing,
    sampled every 50 ms from pg_stat_activity during the burst (where the time goes)."""

    def __init__(self, url: str) -> None:
        self.url, self.counts = url, Counter[str]()
        self.on = os.environ.get("DANVAN_TEST_PG_WAITS") == "1"
        self.stop = threading.Event()

    def __enter__(self) -> _PgWaits:
        if self.on:
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.on:
            self.thread.join(10)

    def _sample(self) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        query = text(
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        sessions = text(
            "SELECT sessions, xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        with engine.connect() as conn:
            before = conn.execute(sessions).one()
            conn.rollback()
            while not self.stop.wait(0.05):
                for state, kind, event in conn.execute(query):
                    self.counts[f"{state}/{kind or '-'}:{event or '-'}"] += 1
                conn.rollback()
            after = conn.execute(sessions).one()
        engine.dispose()
        self.counts["new connections"] = after[0] - before[0]
        self.counts["commits"] = after[1] - before[1]

    def summary(self) -> str:
        top = ", ".join(f"{k} {n}" for k, n in self.counts.most_common(14))
        return f"\nPostgreSQL sessions sampled: {top}" if self.on else ""


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
