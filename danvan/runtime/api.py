"""Talking to a Prefect server without importing Prefect (the CLI's edge to the operators' console).

Why: ``import prefect`` costs ≈1 s and a flow run through the API another ≈2 s, while an
official's ``danvan submit`` must answer in about a second and must never depend on Prefect being
up. So the acting commands record their step in danvan's database first, in-process, and then
*report* to Prefect over a few plain REST calls (httpx): create or move the cycle's scheduled
runs, trigger a follow-up run. When the server is down that report is one line on stderr and
nothing else; the next run of ``theo-doi`` (every few minutes under ``danvan serve``) catches up
from the database, which is the truth.

Where the API is: ``DANVAN_PREFECT_API_URL`` (or ``PREFECT_API_URL``) in the environment, else
the active profile of ``prefect config set PREFECT_API_URL=…`` (``$PREFECT_HOME/profiles.toml``),
read as a TOML file, the way Prefect itself reads it, else the address ``danvan serve`` left in
danvan's data folder for the server it started itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from danvan.config.settings import get_settings

UNREACHABLE_CODE = "prefect_unreachable"


def profile_api_url(env: Mapping[str, str] | None = None) -> str | None:
    """``PREFECT_API_URL`` of the active Prefect profile, if one is set there. (``os.environ``
    itself, not a copy: the portal asks after every upload, and copying decodes every variable.)"""
    env = os.environ if env is None else env
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(env.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = env.get("PREFECT_PROFILE") or doc.get("active") or "ephemeral"
    value = doc.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(value) if value else None


def data_dir() -> Path:
    """danvan's data folder: beside a SQLite database, else the working directory (where
    ``danvan serve`` keeps its own Prefect server)."""
    db = get_settings().database_url
    if db.startswith("sqlite:///") and not db.startswith("sqlite:///:memory:"):
        return Path(db.removeprefix("sqlite:///")).expanduser().absolute().parent
    return Path.cwd()


def served_api_file() -> Path:
    """Where ``danvan serve`` on the defaults writes its own server's API address, so that the
    officials' commands on the same machine (``approve``, ``submit``…) find it with no setting."""
    return data_dir() / "prefect" / "api-url"


def served_api_url() -> str | None:
    """The API of the server ``danvan serve`` started on this machine, while it runs."""
    try:
        return served_api_file().read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def configured_api_url() -> str | None:
    """Where Prefect's API is: the environment or danvan's settings, else the active Prefect
    profile, else the server of ``danvan serve`` on the defaults (:func:`served_api_file`)."""
    return get_settings().prefect_api_url or profile_api_url() or served_api_url()


def redacted(url: str) -> str:
    """The URL without any user:password (a basic-auth string must never be printed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


_reachable: dict[str, bool] = {}


def reachable(url: str, timeout: float = 1.5) -> bool:
    """Is the server answering? Asked once per process (a refused port answers at once)."""
    if url not in _reachable:
        import httpx  # lazy: httpx (~0.15 s) loads only when a Prefect API is configured

        try:
            ok = httpx.get(url.rstrip("/") + "/health", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            ok = False
        _reachable[url] = ok
    return _reachable[url]


def unreachable_line(url: str) -> str:
    """What an official reads when Prefect is down (the step itself is recorded)."""
    return (
        f"Prefect không truy cập được tại {redacted(url)}: đã ghi vào cơ sở dữ liệu, "
        "Prefect sẽ cập nhật khi hoạt động lại."
    )


def say_unreachable(url: str) -> None:
    """That line on stderr, once per command."""
    sys.stderr.write(f"{unreachable_line(url)} [{UNREACHABLE_CODE}]\n")


class PrefectUnavailable(Exception):
    """The API is not configured, not answering, or refused a request."""


@dataclass(frozen=True)
class RunSpec:
    """A flow run to exist on the Prefect server: which deployment, when, with what."""

    flow: str
    deployment: str
    name: str
    key: str  # idempotency key: the same key is the same run, never a second one
    scheduled: datetime | None  # aware; None: as soon as a runner is free (the server's now)
    parameters: dict[str, Any]
    tags: tuple[str, ...]


#: Waits before each retry of a call answered 429 or 5xx (Prefect's own client retries the same
#: way; an embedded server under load answers 503 now and then).
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
#: The most a ``Retry-After`` header may make a call wait (an official's command is waiting).
MAX_RETRY_AFTER = 10.0


def retry_delay(
    status: int, retry_after: str | None, attempt: int, delays: tuple[float, ...] = RETRY_DELAYS
) -> float | None:
    """How long to wait before trying again after HTTP ``status`` (None: do not retry)."""
    if status != 429 and status < 500:
        return None
    if attempt >= len(delays):
        return None
    delay = delays[attempt]
    if retry_after:
        with contextlib.suppress(ValueError):  # an HTTP date: the backoff's own delay
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


class PrefectRest:
    """A handful of REST calls to Prefect's API (the subset of its client danvan needs).

    Every call is retried on 429 and 5xx with backoff (:data:`RETRY_DELAYS`), as Prefect's own
    client does: one 503 from a busy server must not fail a publication's clean-up.
    """

    def __init__(
        self, url: str, timeout: float = 10.0, retry_delays: tuple[float, ...] = RETRY_DELAYS
    ) -> None:
        import httpx  # lazy: httpx (~0.15 s) loads only when a Prefect API is configured

        self.url = url.rstrip("/")
        self.retry_delays = retry_delays
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._deployments: dict[tuple[str, str], str | None] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrefectRest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx  # lazy: httpx (~0.15 s) loads only when a Prefect API is configured

        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise PrefectUnavailable(
                    f"{exc.__class__.__name__} ({redacted(self.url)})"
                ) from None
            delay = retry_delay(
                response.status_code,
                response.headers.get("retry-after"),
                attempt,
                self.retry_delays,
            )
            if delay is None:
                break
            time.sleep(delay)
            attempt += 1
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise PrefectUnavailable(f"{method} {path}: HTTP {response.status_code}")
        return response.json() if response.content else None

    def deployment_id(self, flow: str, deployment: str) -> str | None:
        """The id of ``flow/deployment``, or None when ``danvan serve`` has not registered it."""
        if (flow, deployment) not in self._deployments:
            found = self._call("GET", f"/deployments/name/{flow}/{deployment}")
            self._deployments[(flow, deployment)] = found["id"] if found else None
        return self._deployments[(flow, deployment)]

    def create_run(self, spec: RunSpec) -> dict | None:
        """Create ``spec`` as a scheduled run (the same key returns the existing run unchanged)."""
        deployment = self.deployment_id(spec.flow, spec.deployment)
        if deployment is None:
            return None
        details: dict[str, str] = {}
        if spec.scheduled is not None:
            details["scheduled_time"] = spec.scheduled.isoformat()
        body = {
            "name": spec.name,
            "parameters": spec.parameters,
            "tags": list(spec.tags),
            "idempotency_key": spec.key,
            "state": {"type": "SCHEDULED", "name": "Scheduled", "state_details": details},
        }
        return self._call("POST", f"/deployments/{deployment}/create_flow_run", json=body)

    def runs(
        self,
        tags: list[str],
        states: list[str] | None = None,
        deployment: str | None = None,
        state_names: list[str] | None = None,
    ) -> list[dict]:
        """Flow runs carrying every tag in ``tags`` (optionally only in state types ``states``
        or named ``state_names``, only of the deployment whose id is ``deployment``)."""
        flow_runs: dict[str, Any] = {"tags": {"all_": tags}} if tags else {}
        state: dict[str, Any] = {}
        if states:
            state["type"] = {"any_": states}
        if state_names:
            state["name"] = {"any_": state_names}
        if state:
            flow_runs["state"] = state
        body: dict[str, Any] = {"flow_runs": flow_runs, "limit": 200, "sort": "ID_DESC"}
        if deployment:
            body["deployments"] = {"id": {"any_": [deployment]}}
        out: list[dict] = []
        while True:
            page = self._call("POST", "/flow_runs/filter", json=body | {"offset": len(out)})
            out.extend(page or [])
            if not page or len(page) < 200:
                return out

    def delete_run(self, run_id: str) -> None:
        self._call("DELETE", f"/flow_runs/{run_id}")

    def read_run(self, run_id: str) -> dict | None:
        return self._call("GET", f"/flow_runs/{run_id}")

    def cancel_run(self, run_id: str, message: str) -> dict | None:
        """Cancel a run as ``prefect flow-run cancel`` does (Prefect 3: propose ``CANCELLING``;
        the server makes a Scheduled run without infrastructure ``CANCELLED`` at once, and a
        worker holding one tears it down). ``message`` is the note the run's state carries.
        Prefect's answer (``status`` ACCEPT/REJECT/ABORT and the state), None: no such run."""
        body = {"state": {"type": "CANCELLING", "name": "Cancelling", "message": message}}
        return self._call("POST", f"/flow_runs/{run_id}/set_state", json=body)

    def resume(self, run_id: str, run_input: dict[str, Any]) -> dict | None:
        """Answer a run waiting for input (a suspended sign-off) with ``run_input``."""
        return self._call("POST", f"/flow_runs/{run_id}/resume", json={"run_input": run_input})


def connect() -> PrefectRest | None:
    """A client for the configured, answering API; None (after one line on stderr) otherwise."""
    url = configured_api_url()
    if not url:
        return None
    if not reachable(url):
        say_unreachable(url)
        return None
    return PrefectRest(url)
