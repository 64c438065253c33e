"""A real HTTP proxy on 127.0.0.1 in front of a real server (a Prefect API) that answers 503 to
the requests a test chooses: the "9 × 503 in one serve session" of a busy embedded server, on
purpose. Everything else is forwarded as is. Nothing of danvan's is patched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from tests.helpers.sinks import _serving


@dataclass
class Fault:
    """Answer ``status`` to the next ``times`` requests whose method and path match."""

    method: str
    path_contains: str
    times: int
    status: int = 503


@dataclass
class FlakyProxy:
    upstream: str  # http://127.0.0.1:PORT/api
    port: int = 0
    faults: list[Fault] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)  # "METHOD path" of every faulted request
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def fail(self, method: str, path_contains: str, times: int = 1, status: int = 503) -> None:
        with self.lock:
            self.faults.append(Fault(method, path_contains, times, status))

    def _fault(self, method: str, path: str) -> int | None:
        with self.lock:
            for f in self.faults:
                if f.times > 0 and f.method == method and f.path_contains in path:
                    f.times -= 1
                    self.injected.append(f"{method} {path}")
                    return f.status
        return None


@contextmanager
def flaky_proxy(upstream: str) -> Iterator[FlakyProxy]:
    """A proxy to ``upstream`` (an ``…/api`` URL); its ``url`` is the API as seen through it."""
    proxy = FlakyProxy(upstream.rstrip("/"))
    client = httpx.Client(timeout=30)
    base = proxy.upstream.removesuffix("/api")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            status = proxy._fault(self.command, self.path)
            if status is not None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}
            }
            got = client.request(self.command, base + self.path, content=body, headers=headers)
            self.send_response(got.status_code)
            for k, v in got.headers.items():
                if k.lower() not in {"content-length", "transfer-encoding", "content-encoding"}:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(got.content)))
            self.end_headers()
            self.wfile.write(got.content)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

        def log_message(self, format: str, *args: Any) -> None:
            return

    try:
        with _serving(Handler) as port:
            proxy.port = port
            yield proxy
    finally:
        client.close()
