"""Running the portal with uvicorn: behind a trusted proxy, with tokens kept out of the logs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import uvicorn

from danvan.config.settings import Settings, get_settings
from danvan.portal.app import create_app
from danvan.portal.security import hide_tokens_in_access_log


def server(
    host: str,
    port: int,
    settings: Settings | None = None,
    now: Callable[[], datetime] | None = None,
    access_log: bool = True,
    **app_options: Any,
) -> uvicorn.Server:
    """A uvicorn server for the portal. X-Forwarded-Proto/-For are believed only from the
    configured proxies, so cookies are ``Secure`` exactly when the user's browser used TLS."""
    s = settings or get_settings()
    config = uvicorn.Config(
        create_app(s, now=now, **app_options),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=s.portal_trusted_proxies,
        server_header=False,
        access_log=access_log,
        log_level="info",
        timeout_graceful_shutdown=5,
        # Phones on slow networks (and a load test's clients waiting for each other) keep a
        # connection idle for a while between a page and its form: uvicorn's 5 s is short.
        timeout_keep_alive=30,
    )
    hide_tokens_in_access_log()  # after Config: uvicorn has configured its loggers by now
    return uvicorn.Server(config)


def run(host: str, port: int) -> None:
    server(host, port).run()


@contextmanager
def running(
    settings: Settings | None = None,
    now: Callable[[], datetime] | None = None,
    access_log: bool = False,
    port: int | None = None,
    **app_options: Any,
) -> Iterator[str]:
    """The portal on a free 127.0.0.1 port in a thread (tests, the benchmark); yields its URL.
    ``access_log``: log each request as ``danvan portal`` does (tests of what the log holds);
    ``port``: a fixed port instead (``danvan bench --portal-port``, to watch it from outside)."""
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    srv = server("127.0.0.1", port, settings, now, access_log=access_log, **app_options)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
