"""Running the portal with uvicorn: behind a trusted proxy, with tokens kept out of the logs,
in one process or in several (``--workers N``: sessions and CSRF tokens are signed with one
secret every worker shares, rate limits are counted in the database)."""

from __future__ import annotations

import copy
import importlib.util
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from danvan.config.settings import Settings, get_settings
from danvan.portal.app import create_app
from danvan.portal.security import hide_tokens_in_access_log

#: uvicorn's HTTP parser and event loop: the compiled ones (httptools, uvloop) when installed,
#: else h11 and asyncio's. Named here rather than left to uvicorn's "auto" so that what serves
#: the portal is decided in one place (issue 18: the pure-Python parser was ~1 ms of CPU an
#: upload; measured with ``.ci/portal_cpu.py``).
HTTP = "httptools" if importlib.util.find_spec("httptools") else "h11"
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"

#: Set by ``run`` for its worker processes: how many there are (several: shared rate limits).
WORKERS_ENV = "DANVAN_PORTAL_WORKERS"


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
        http=HTTP,
        loop=LOOP,
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


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve until stopped. With ``workers`` > 1, uvicorn starts that many processes, each
    building the app (:func:`app_factory`); without ``DANVAN_PORTAL_SECRET`` a secret is drawn
    here and handed to them in their environment only (never printed), so a session opened by
    one worker is valid in every other, for as long as this command runs."""
    if workers <= 1:
        server(host, port).run()
        return
    s = get_settings()
    if not s.portal_secret:
        os.environ["DANVAN_PORTAL_SECRET"] = secrets.token_hex(32)
    os.environ[WORKERS_ENV] = str(workers)
    uvicorn.run(
        "danvan.portal.server:app_factory",
        factory=True,
        host=host,
        port=port,
        http=HTTP,
        loop=LOOP,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=s.portal_trusted_proxies,
        server_header=False,
        log_config=log_config(),
        log_level="info",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,
        # uvicorn restarts a worker that has not answered its health check in 5 s: on a busy
        # 2-core machine importing the app alone takes longer, and workers were killed in a loop
        timeout_worker_healthcheck=60,
    )


def app_factory() -> FastAPI:
    """The app of one worker process (``--workers``): settings from the environment, rate
    limits counted in the database, the token filter on this process's loggers."""
    hide_tokens_in_access_log()
    return create_app(shared_limits=int(os.environ.get(WORKERS_ENV) or "1") > 1)


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the filter that prints a link's path as ``/l/…`` on every
    handler: each worker process configures its logging from this, so no process logs a token."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"hide_tokens": {"()": "danvan.portal.security.HideLinkTokens"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["hide_tokens"]
    return config


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
