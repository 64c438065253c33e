"""A Prefect server of danvan's own on this machine (``danvan serve`` with no setting, ``danvan
demo --keep``): ``prefect server start`` on SQLite under a folder of danvan's data, on 127.0.0.1.

Not the ephemeral server: that one never runs schedules and dies with the process, while this
one serves the calendar and can outlive the demo so its runs can be browsed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


class LocalServerFailed(Exception):
    """The server did not come up; its log says why."""


@dataclass
class LocalServer:
    url: str  # the API: http://127.0.0.1:PORT/api
    home: Path  # PREFECT_HOME: its SQLite database, its log
    process: subprocess.Popen

    @property
    def ui(self) -> str:
        return self.url.removesuffix("/api")

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
            return
        self.process.kill()


def start(home: Path, port: int, timeout: float = 180) -> LocalServer:
    """Start the server in the background and wait until it answers."""
    home = home.absolute()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_SERVER_DATABASE_CONNECTION_URL", None)
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    prefect = Path(sys.executable).parent / "prefect"
    with (home / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = LocalServer(f"http://127.0.0.1:{port}/api", home, process)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                    return server
            time.sleep(0.5)
    except BaseException:  # stopped while waiting (SIGTERM, ^C): never leave the server behind
        server.stop()
        raise
    server.stop()
    raise LocalServerFailed(str(home / "server.log"))


@contextlib.contextmanager
def running(home: Path, port: int) -> Iterator[LocalServer]:
    """The server for as long as the ``with`` lasts."""
    server = start(home, port)
    try:
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
