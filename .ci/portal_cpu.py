"""The portal SERVER's own CPU per request (issue 18's measure), the client's apart.

The server runs in a process of its own (one uvicorn process, as ``danvan portal``, access log
on, the portal's clock held at the bench's instant); its CPU (user + system, children included)
is read from ``/proc/<pid>/stat`` before and after N requests of one kind sent one after another
over one keep-alive connection (``http.client``, requests built beforehand). Each upload's receipt
goes to a live endpoint in this process (Apprise ``json://``), and the reading after the
uploads waits until every receipt has arrived and the server has settled: the receipts'
sending is counted in the server's figure. The static style sheet is measured in the same run.

    danvan bench --units 1000 --skip templates --skip workbooks --skip compile --skip status \\
        --skip inbox --skip remind --skip portal --keep /tmp/base
    PYTHON .ci/portal_cpu.py /tmp/base [N] [ROUNDS]

``PORTAL_CPU_GAP=0.4`` waits that many seconds after each request (uploads one at a time, as
units send them, each receipt sent alone rather than with the next uploads' in one run), and
first measures the server asked nothing over the same pauses (``idle``: uvicorn wakes ten
times a second), to subtract.
``PORTAL_CPU_KEEP=1`` keeps the run's database (its outbox, to compare before and after).
``PYTHON`` is the venv whose code is measured (``/work/main/.venv/bin/python`` runs this same
script on the code before): the database is copied from ``/tmp/base`` afresh for each run, so
both start from the same rows. Not a test: a measuring tool (docs/development.md)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

AT = datetime(2024, 11, 12, 2, 0, tzinfo=UTC)  # the bench's portal instant (PORTAL_AT)
_GAP = float(os.environ.get("PORTAL_CPU_GAP") or 0)
_SERVE = """
import sys
from datetime import datetime
from danvan.portal.server import server
at = datetime.fromisoformat(sys.argv[2])
server("127.0.0.1", int(sys.argv[1]), now=lambda: at, rate_burst=100_000, open_burst=100_000,
       access_log=True).run()
"""


def _ticks(pid: int) -> float:
    """CPU seconds of ``pid``: user + system, its waited-for children's included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main(base: Path, n: int, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="portal-cpu-"))
    shutil.copy(base / "bench.db", work / "bench.db")
    os.environ["DANVAN_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    os.environ["DANVAN_OUT_DIR"] = str(work / "out")

    import httpx

    from danvan.demo.bench_portal import _filled_books
    from danvan.demo.load import csrf_of, sign_in, upload_form
    from danvan.demo.run import local_inbox
    from danvan.demo.synthetic import PROVINCE, YEAR, submission, synthetic_org, write_json
    from danvan.tasks.links import link_paths
    from danvan.tasks.org import import_org

    with local_inbox() as (contact, received):
        org = synthetic_org(1000, f"{contact}/danvan-bench")
        import_org(write_json(work / "org.json", {"units": org}), AT)
        one = next(u["code"] for u in org if u["kind"] not in ("province", "district"))
        links = link_paths(YEAR, [one, PROVINCE], AT, "bench")
        total = n * rounds
        jsons = [
            (f"{one}.json", json.dumps(submission(one, 100 + i)).encode()) for i in range(total)
        ]
        books = _filled_books(one, work / "out", total)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = (work / "portal.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port), AT.isoformat()], stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    httpx.get(url + "/static/portal.css", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cookies, tokens = {}, {}
            for who in (one, PROVINCE):
                with httpx.Client(base_url=url) as c:
                    page = sign_in(c, links[who]).text
                    cookies[who] = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
                    tokens[who] = csrf_of(page) or ""
            conn = {who: http.client.HTTPConnection("127.0.0.1", port) for who in (one, PROVINCE)}

            def get(who: str, path: str) -> tuple[str, str, bytes | None, dict]:
                return who, path, None, {"Cookie": cookies[who]}

            def post(who: str, name: str, data: bytes) -> tuple[str, str, bytes | None, dict]:
                body, kind = upload_form(tokens[who], name, data)
                headers = {"Cookie": cookies[who], "Content-Type": kind}
                return who, "/don-vi/nop", body, headers

            kinds = {
                "static file": [get(one, "/static/portal.css")] * total,
                "unit page": [get(one, "/don-vi")] * total,
                "JSON upload": [post(one, name, data) for name, data in jsons],
                "workbook upload": [post(one, name, data) for name, data in books],
                "province page": [get(PROVINCE, "/tong-hop")] * total,
            }
            results: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
            if _GAP:  # what the server spends asked nothing over the same pauses (its ticks)
                results = {"idle, no request": [], **results}
            for r in range(rounds):  # the kinds in turn, each round on the next requests
                if _GAP:
                    results["idle, no request"].append(_idle(proc.pid, n))
                for kind, requests in kinds.items():
                    results[kind].append(
                        _measure(proc.pid, conn, requests[r * n : (r + 1) * n], received)
                    )
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"{sys.prefix}: server CPU ms a request (client's apart), {n} × {rounds}, "
                f"load {load}"
            )
            for kind, got in results.items():
                server = sorted(s for s, _ in got)
                client = sorted(c for _, c in got)
                print(
                    f"  {kind:16} server {server[len(server) // 2]:5.1f} "
                    f"({' '.join(f'{s:.1f}' for s in server)})   client "
                    f"{client[len(client) // 2]:4.1f}"
                )
            print(f"  receipts received: {len(received)} of {2 * total}")
        finally:
            proc.terminate()
            proc.wait(30)
            if os.environ.get("PORTAL_CPU_KEEP"):  # the database kept, to compare the outbox
                print(f"  kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


def _measure(pid: int, conn: dict, requests: list, received: list) -> tuple[float, float]:
    """Server and client CPU ms a request over ``requests``, the receipts' sending included."""
    expected = len(received) + sum(1 for r in requests if r[2] is not None)
    for c in conn.values():  # a fresh connection a batch: an idle one passes the keep-alive
        c.close()
    _settle(pid)
    server, client = _ticks(pid), time.process_time()
    for who, path, body, headers in requests:
        c = conn[who]
        c.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        answer = c.getresponse()
        text = answer.read()
        if answer.status != 200 or (body is not None and "Đã nhận".encode() not in text):
            raise RuntimeError(f"{path}: HTTP {answer.status}")
        time.sleep(_GAP)
    client = time.process_time() - client
    deadline = time.monotonic() + 60
    while len(received) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    _settle(pid)
    n = len(requests)
    return (_ticks(pid) - server) / n * 1000, client / n * 1000


def _idle(pid: int, n: int) -> tuple[float, float]:
    """Server CPU ms over ``n`` pauses of ``PORTAL_CPU_GAP`` s with no request (uvicorn's
    ticks): a figure one at a time less this one is the request's own."""
    _settle(pid)
    server = _ticks(pid)
    time.sleep(n * _GAP)
    return (_ticks(pid) - server) / n * 1000, 0.0


def _settle(pid: int) -> None:
    """Wait until the server spends no CPU for 0.2 s (its courier has recorded the outcomes)."""
    last = _ticks(pid)
    while True:
        time.sleep(0.2)
        now = _ticks(pid)
        if now == last:
            return
        last = now


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]), int(args[1]) if len(args) > 1 else 30, int(args[2]) if len(args) > 2 else 3)
