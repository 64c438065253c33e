"""Driving a running portal as many units at once: the load test and ``danvan bench`` use it.

Each simulated official opens the unit's link (its page, then its button: a session), reads the
unit's page and sends one file through the upload form, as a browser would (cookies and CSRF
tokens included). Everything is bounded: a fixed number of requests, each with a timeout, so a
run always ends by itself.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from danvan.notify.channels import pool_cpu_seconds
from danvan.tasks import courier

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class Timings:
    """Seconds per request, by kind (``page`` / ``upload``), and the answers that went wrong."""

    page: list[float] = field(default_factory=list)
    upload: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    accepted: int = 0

    @staticmethod
    def p(samples: list[float], q: float) -> float | None:
        if not samples:
            return None
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def csrf_of(page: str) -> str | None:
    """The CSRF token of a portal page's form (None: the page has no form)."""
    match = _CSRF.search(page)
    return match.group(1) if match else None


def upload_form(csrf: str, name: str, data: bytes) -> tuple[bytes, str]:
    """The unit's upload form as a browser sends it (the CSRF field, then the file as ``tep``):
    the body and its Content-Type, for a client that sends prebuilt requests (``http.client``:
    the burst test's and ``.ci/portal_cpu.py``'s light clients)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="tep"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    tail = f"\r\n--{boundary}--\r\n"
    return head.encode() + data + tail.encode(), f"multipart/form-data; boundary={boundary}"


def sign_in(client: httpx.Client, link: str) -> httpx.Response:
    """Open a personal link as a browser does: its page (whose link it is, one button and a
    token bound to the link and to a pre-session cookie), then the button, which opens the
    session and leads by one redirect to the unit's own page (returned: the page and its CSRF
    token). A GET alone never signs in."""
    first = client.get(link)
    token = csrf_of(first.text)
    if first.status_code != 200 or token is None:
        raise RuntimeError(f"{first.status_code} opening a link")
    r = client.post(link, data={"csrf": token}, follow_redirects=True)
    if r.status_code != 200:
        raise RuntimeError(f"{r.status_code} opening a link")
    return r


def visit(client: httpx.Client, link: str, timings: Timings, lock: threading.Lock) -> str:
    """Open a link (its page, its button, one redirect to the clean page) and return the
    unit's page's CSRF token."""
    start = time.perf_counter()
    r = sign_in(client, link)
    with lock:
        timings.page.append(time.perf_counter() - start)
    token = csrf_of(r.text)
    if token is None:
        raise RuntimeError(f"{r.status_code} opening a link")
    return token


def send_file(
    base_url: str,
    link: str,
    name: str,
    data: bytes,
    timings: Timings,
    lock: threading.Lock,
    start_together: threading.Barrier | None = None,
) -> None:
    """One official: open the link, then send ``data`` as the file ``name``."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        try:
            csrf = visit(client, link, timings, lock)
            if start_together is not None:
                start_together.wait(timeout=120)
            start = time.perf_counter()
            r = client.post("/don-vi/nop", data={"csrf": csrf}, files={"tep": (name, data)})
            took = time.perf_counter() - start
            with lock:
                timings.upload.append(took)
                if r.status_code == 200 and "Đã nhận" in r.text:
                    timings.accepted += 1
                else:
                    timings.failures.append(f"{name}: HTTP {r.status_code}")
        except (httpx.HTTPError, RuntimeError, threading.BrokenBarrierError) as exc:
            with lock:
                timings.failures.append(f"{name}: {exc.__class__.__name__}: {exc}")


def upload_all(
    base_url: str,
    links: Mapping[str, str],
    files: Mapping[str, tuple[str, bytes]],
    concurrency: int,
    together: bool = False,
) -> Timings:
    """Every unit of ``links`` sends its file, ``concurrency`` at a time (``together``: all
    requests released at the same instant, after every session is open)."""
    timings, lock = Timings(), threading.Lock()
    barrier = threading.Barrier(len(links)) if together else None
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for code, link in links.items():
            name, data = files[code]
            pool.submit(send_file, base_url, link, name, data, timings, lock, barrier)
    return timings


def read_pages(base_url: str, link: str, paths: list[str], times: int) -> list[float]:
    """Open ``link`` once, then read each of ``paths`` ``times`` times; seconds per page."""
    samples: list[float] = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        sign_in(client, link)
        for _ in range(times):
            for path in paths:
                start = time.perf_counter()
                r = client.get(path)
                samples.append(time.perf_counter() - start)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {r.status_code}")
    return samples


@dataclass
class Cost:
    """One kind of request measured in sequence: CPU seconds of the whole process per request
    (the server's thread and the client's together, so a static file read in the same run is
    the floor to compare with) and the p95 of the wall time."""

    name: str
    cpu: float
    p95: float | None
    after: float = 0.0  # of ``cpu``: the work done after the answers (the receipts' courier)


def _after_cpu() -> float:
    """The CPU time of the work after the answers: the couriers' threads, and the threads they
    send a batch of messages on (a single message is sent on the courier's own thread)."""
    return courier.cpu_seconds() + pool_cpu_seconds()


def cost(name: str, send: Callable[[], httpx.Response], times: int) -> Cost:
    """Send ``times`` requests one after another (``send`` must answer 200) and measure them;
    what the portal's couriers do after the answers is waited for and counted, apart too."""
    walls: list[float] = []
    courier.wait_idle(60)  # what earlier requests left to send is not this kind's cost
    cpu_start, after_start = time.process_time(), _after_cpu()
    for _ in range(times):
        start = time.perf_counter()
        r = send()
        walls.append(time.perf_counter() - start)
        if r.status_code != 200:
            raise RuntimeError(f"{name}: HTTP {r.status_code}")
    courier.wait_idle(60)
    cpu = (time.process_time() - cpu_start) / times
    after = (_after_cpu() - after_start) / times
    return Cost(name, cpu, Timings.p(walls, 0.95), after)


def request_costs(
    base_url: str,
    unit_link: str,
    province_link: str,
    uploads: list[tuple[str, bytes]],
    times: int = 20,
    workbooks: list[tuple[str, bytes]] | None = None,
) -> list[Cost]:
    """The portal's CPU per request beside a static file served in the same run: the static
    style sheet, a unit's page, a JSON upload (one of ``uploads`` each, in turn: each a new
    version), a filled workbook's upload (one of ``workbooks``, likewise) and the province's
    page."""
    with httpx.Client(base_url=base_url, timeout=120) as unit:
        page = sign_in(unit, unit_link)
        csrf = csrf_of(page.text)
        if csrf is None:
            raise RuntimeError("no CSRF token on the unit's page")

        def send(files: list) -> Callable[[], httpx.Response]:
            """One upload of the next of ``files`` in turn, through the unit's own form."""
            count = itertools.count()
            return lambda: unit.post(
                "/don-vi/nop", data={"csrf": csrf}, files={"tep": files[next(count) % len(files)]}
            )

        costs = [
            cost("tệp tĩnh", lambda: unit.get("/static/portal.css"), times),
            cost("trang đơn vị", lambda: unit.get("/don-vi"), times),
            cost("nộp JSON", send(uploads), times),
        ]
        if workbooks:
            costs.append(cost("nộp bảng tính", send(workbooks), times))
    with httpx.Client(base_url=base_url, timeout=120) as province:
        sign_in(province, province_link)
        costs.append(cost("trang tỉnh", lambda: province.get("/tong-hop"), times))
    return costs
