"""The portal's receipt goes out after the answer (issue 18): the upload is answered while the
unit's contact has not yet answered the message (a sink held shut), the receipt is queued with
the version and delivered by the portal's courier once the contact answers — once, whatever
``remind`` runs meanwhile."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select

from danvan.demo.load import sign_in
from tests.helpers import portal as h

AT = h.at("2024-11-08T09:00")


class HeldSink:
    """An HTTP endpoint that, once held (``release`` cleared), answers nothing until released:
    a slow or dead contact."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.bodies: list[dict] = []
        self.arrived = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.arrived.set()
                sink.release.wait(60)
                sink.bodies.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]


@pytest.fixture
def held() -> Iterator[HeldSink]:
    sink = HeldSink()
    thread = threading.Thread(target=sink.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.release.set()
        sink.server.shutdown()


def _receipts() -> list[tuple[str, str]]:
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import Delivery

    with reading(get_engine()) as session:
        rows = session.exec(select(Delivery.kind, Delivery.status)).all()
    return sorted((k, s) for k, s in rows if k.startswith("receipt"))


def test_the_answer_does_not_wait_for_the_contact(
    db_url: str, tmp_path: Path, held: HeldSink
) -> None:
    import httpx

    from danvan.portal.server import running
    from danvan.tasks import courier

    h.set_up_province(tmp_path / "p", contacts={h.UNIT: f"json://127.0.0.1:{held.port}/x07"})
    main = h.write_json(tmp_path / f"{h.UNIT}.json", h.submission(h.UNIT))
    links = h.mint_links([h.UNIT])
    held.release.clear()  # the plan's announcement got through; from now on the contact hangs
    held.arrived.clear()
    held.bodies.clear()
    with running(now=lambda: AT) as url, httpx.Client(base_url=url, timeout=60) as unit:
        page = sign_in(unit, links[h.UNIT]).text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = unit.post(
            "/don-vi/nop", data={"csrf": csrf}, files={"tep": (main.name, main.read_bytes())}
        )
        # answered, while the contact holds the message unanswered (or has not got it yet)
        assert r.status_code == 200 and "Đã nhận" in r.text
        assert held.bodies == []
        assert _receipts() in ([("receipt-v1", "pending")], [("receipt-v1", "sending")])
        assert held.arrived.wait(30)  # the courier is at the contact's door
        held.release.set()
        assert courier.wait_idle(60)
    assert _receipts() == [("receipt-v1", "sent")]
    assert len(held.bodies) == 1 and "[Đã nhận]" in held.bodies[0]["title"]


def test_an_upload_reads_its_tree_once_and_shows_the_receipt_it_recorded(
    db_url: str, tmp_path: Path
) -> None:
    """Issue 18: the upload checks the tree once (the request's cycle is handed to the intake),
    its answer shows the receipt read by the recording's own transaction, the same file again
    shows version 1's, and a unit nobody is to be told gives the courier no work (no read)."""
    import httpx
    from sqlalchemy import event

    from danvan.models.db import get_engine
    from danvan.portal.server import running
    from danvan.rules.receipt import receipt_number
    from danvan.tasks import courier

    h.set_up_province(tmp_path / "p")  # no contacts
    main = h.write_json(tmp_path / f"{h.UNIT}.json", h.submission(h.UNIT))
    links = h.mint_links([h.UNIT])
    checks: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "max(unit.updated_at)" in statement:
            checks.append(statement)

    with running(now=lambda: AT) as url, httpx.Client(base_url=url, timeout=60) as unit:
        page = sign_in(unit, links[h.UNIT]).text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        event.listen(get_engine(), "before_cursor_execute", seen)
        try:
            answers = []
            for _ in range(2):
                checks.clear()
                answers.append(
                    unit.post(
                        "/don-vi/nop",
                        data={"csrf": csrf},
                        files={"tep": (main.name, main.read_bytes())},
                    )
                )
                assert courier.wait_idle(60)
                assert len(checks) == 1  # the request's own check, none by intake or courier
        finally:
            event.remove(get_engine(), "before_cursor_execute", seen)
    number = receipt_number(h.YEAR, h.UNIT, 1)
    for r in answers:
        assert r.status_code == 200 and number in r.text and main.name in r.text
    assert "Đã nhận" in answers[0].text
    assert _receipts() == []  # nobody to tell: nothing queued
