"""Real endpoints on 127.0.0.1 for delivery tests: an HTTP sink (Apprise ``json://``) and an SMTP
sink (Apprise ``mailto://``). Tests deliver for real and read back what arrived; nothing is patched.

Use the context managers directly, or the fixtures ``http_sink`` and ``smtp_sink``.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class HttpRequest:
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON document


@dataclass
class HttpSink:
    host: str
    port: int
    requests: list[HttpRequest] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait after recording a request before answering it
    #: With ``delay``: a relay that gives up on what it answers late — such a request is never
    #: recorded (it did not get through), so a resend must bring it exactly once.
    lose_late: bool = False

    def url(self, path: str = "notify", **params: str) -> str:
        """An Apprise URL posting to this sink."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"json://{self.host}:{self.port}/{path}" + (f"?{query}" if query else "")

    def wait_for(self, count: int, timeout: float = 5.0) -> list[HttpRequest]:
        return _wait(lambda: self.requests, count, timeout)


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        """The decoded body: the plain-text part, else the HTML part."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class SmtpSink:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)  # user names that authenticated

    def url(self, to: str, sender: str = "danvan@example.gov.vn", auth: str = "") -> str:
        """An Apprise URL sending plain-text mail to this sink (``auth``: ``user:password``)."""
        who = f"{auth}@" if auth else ""
        return f"mailto://{who}{self.host}:{self.port}?from={sender}&to={to}&format=text"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Mail]:
        return _wait(lambda: self.mails, count, timeout)


def _wait(get, count: int, timeout: float):
    deadline = time.monotonic() + timeout
    while len(get()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(get())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_http_sink(port: int = 0) -> Iterator[HttpSink]:
    """An HTTP sink on 127.0.0.1 (``port`` 0: any free one; a fixed one lets a test bring a
    "down" endpoint back up)."""
    sink = HttpSink("127.0.0.1", port)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = raw.decode("utf-8", "replace")
            request = HttpRequest(self.path, dict(self.headers), body)
            delay, lose = sink.delay, sink.lose_late and sink.delay > 0
            if not lose:
                sink.requests.append(request)
            if delay:  # received, but the answer is late (or never comes in time)
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    with _serving(Handler, port) as bound:
        sink.port = bound
        yield sink


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], port: int = 0) -> Iterator[int]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yields the port; stops on exit."""

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default backlog (5) refuses concurrent deliveries
        daemon_threads = True

    server = Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Recorder:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.mails.append(Mail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def running_smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server that accepts any login (plain, no TLS) so URLs with passwords work."""
    sink = SmtpSink("127.0.0.1", free_port())

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            sink.logins.append(auth_data.login.decode())
        return AuthResult(success=True)

    controller = Controller(
        _Recorder(sink),
        hostname=sink.host,
        port=sink.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    with running_http_sink() as sink:
        yield sink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with running_smtp_sink() as sink:
        yield sink


@dataclass
class ZaloSink:
    """Answers as Zalo's OA message API does: HTTP 200 with ``{"error": 0, …}`` on success, or
    with a non-zero ``error`` (``fail_with``) — Zalo's way of saying no."""

    host: str
    port: int
    requests: list[HttpRequest] = field(default_factory=list)
    fail_with: int | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def running_zalo_sink() -> Iterator[ZaloSink]:
    sink = ZaloSink("127.0.0.1", 0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw.decode("utf-8"))
            sink.requests.append(HttpRequest(self.path, dict(self.headers), body))
            if self.path != "/v3.0/oa/message/cs":
                answer = {"error": -201, "message": "Method is not supported"}
            elif sink.fail_with is not None:
                answer = {"error": sink.fail_with, "message": "User has not followed OA"}
            else:
                answer = {"error": 0, "message": "Success", "data": {"message_id": "m1"}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    with _serving(Handler) as bound:
        sink.port = bound
        yield sink
