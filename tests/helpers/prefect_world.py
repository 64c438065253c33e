"""A real Prefect server for the flow tests: the production block of docs/deployment.md run as
written (ports and databases substituted) — the module-scoped ``world`` fixture and its ``sink``
(import both into the test module) — and the small readers the tests share."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pendulum
import pytest
import yaml

from tests.helpers import REPO
from tests.helpers.db import PG_ADMIN_URL, make_pg_database, pg_unavailable
from tests.helpers.flaky import flaky_proxy
from tests.helpers.province import write_province
from tests.helpers.sinks import HttpSink, free_port, running_http_sink

BIN = Path(sys.executable).parent
TZ = "Asia/Ho_Chi_Minh"


def wait(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


DEPLOYMENT = REPO / "docs" / "deployment.md"
#: Commands of the production block that run as services (in the background).
SERVICES = ("prefect server start", "prefect worker start", "danvan serve")


def production_block() -> list[str]:
    """The fenced commands of the production section of docs/deployment.md, as written there."""
    text = DEPLOYMENT.read_text("utf-8")
    section = text[text.index("(production)") :]
    block = section[section.index("```sh\n") + 6 : section.index("\n```", section.index("```sh"))]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def run_block(lines: list[str], subs: dict[str, str], env: dict, cwd: Path, logs: Path) -> list:
    """Run the block's lines with ``subs`` applied (ports, databases); services in background."""
    services = []
    for line in lines:
        for old, new in subs.items():
            line = line.replace(old, new)
        words = shlex.split(line)
        if words[0] == "export":
            key, _, value = words[1].partition("=")
            env[key] = value
            continue
        extra = {}
        while "=" in words[0] and not words[0].startswith("-"):
            key, _, value = words.pop(0).partition("=")
            extra[key] = value
        words[0] = str(BIN / words[0])
        if any(svc in line for svc in SERVICES):
            log = (logs / f"{len(services)}.log").open("wb")
            services.append(subprocess.Popen(words, env=env | extra, cwd=cwd, stdout=log,
                                             stderr=subprocess.STDOUT))  # fmt: skip
            if "prefect server start" in line:
                api = subs["http://127.0.0.1:4200/api"]
                wait(lambda: healthy(api), 150, "the Prefect server")  # noqa: B023
            continue
        done = subprocess.run(words, env=env | extra, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stderr)
    return services


def healthy(api: str) -> bool:
    try:
        return httpx.get(api + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "danvan"), *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def call(api: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    """A request of the test's own, as an operator's client makes it: a busy embedded server
    answers 503 now and then (Prefect's own client retries it too), and on a loaded machine a
    read may get no answer within the client's timeout: a read is asked again (a write is not:
    it may have been done)."""
    read = method == "GET" or path.endswith("/filter")
    for attempt in range(8):
        try:
            answer = api.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            if not read or attempt == 7:
                raise
            continue
        if answer.status_code not in (429, 500, 502, 503, 504):
            return answer
        time.sleep(2)
    return answer


def runs(api: httpx.Client, *tags: str) -> list[dict]:
    body = {"flow_runs": {"tags": {"all_": ["danvan", *tags]}}, "limit": 200}
    return call(api, "POST", "/flow_runs/filter", json=body).json()


def local(run: dict) -> str:
    at = pendulum.parse(run["next_scheduled_start_time"] or run["expected_start_time"])
    return at.in_timezone(TZ).format("YYYY-MM-DD HH:mm")


def state(run: dict) -> str:
    return run["state"]["type"]


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (a worker's flow-run subprocesses)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            out += [kid, *children(kid)]
    return out


def create_run(api: httpx.Client, flow: str, deployment: str, **body: object) -> dict:
    """A run of ``flow/deployment`` created as the UI's button or ``prefect deployment run``
    would: only what ``body`` gives (no name or tags unless given)."""
    found = call(api, "GET", f"/deployments/name/{flow}/{deployment}").json()
    created = call(api, "POST", f"/deployments/{found['id']}/create_flow_run", json=body)
    assert created.status_code < 300, created.text
    return created.json()


def read_run(api: httpx.Client, run_id: str) -> dict:
    return call(api, "GET", f"/flow_runs/{run_id}").json()


def input_value(api: httpx.Client, run_id: str, key: str) -> str:
    """A run input as text (the UI's form: its JSON schema, its description), unescaped."""
    value: object = api.get(f"/flow_runs/{run_id}/input/{key}").text
    while isinstance(value, str) and value[:1] in '{["':
        try:
            value = json.loads(value)
        except ValueError:
            break
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def reconcile_now(api: httpx.Client) -> dict:
    """What an operator does with the UI's Run button on ``theo-doi`` (or waits ten minutes)."""
    started = create_run(api, "follow-cycle", "theo-doi")
    wait(lambda: state(read_run(api, started["id"])) == "COMPLETED", 180, "a reconciliation")
    return read_run(api, started["id"])


YEAR = 2027
HEARTBEAT = 30  # seconds: a dead worker's run is Crashed after three missed (90 s)


@pytest.fixture(scope="module")
def sink() -> Iterator[HttpSink]:
    with running_http_sink() as s:
        yield s


@pytest.fixture(scope="module")
def world(tmp_path_factory, sink) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """The production block of docs/deployment.md, verbatim but for ports and databases."""
    if pg_unavailable():
        pytest.skip(pg_unavailable() or "")
    import sqlalchemy as sa

    tmp = tmp_path_factory.mktemp("prefect-world")
    prefect_db = f"prefect_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{prefect_db}"'))
    danvan_url, drop_danvan = make_pg_database()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    subs = {
        "http://127.0.0.1:4200/api": api,
        "postgresql+psycopg://danvan:…@db/danvan": danvan_url.replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        "postgresql+asyncpg://prefect:…@db/prefect": (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}"
        ),
        "--pool danvan": f"--pool danvan-{port}",
    }
    services: list = []
    with flaky_proxy(api) as proxy:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DANVAN_"))} | {
            "PREFECT_HOME": str(tmp / "prefect-home"),
            "PREFECT_SERVER_API_PORT": str(port),  # the docs' `prefect server start`, on our port
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT),
            "DANVAN_OUT_DIR": str(tmp / "out"),
            "DANVAN_PREFECT_API_URL": proxy.url,  # danvan's REST calls, through the proxy
            "DANVAN_OPERATOR_CONTACTS": sink.url("ops"),
            "DANVAN_NOTIFY_TIMEOUT_SECONDS": "300",  # a slow endpoint keeps a run running
        }
        write_province(tmp, sink.url("w"))
        plan = yaml.safe_load((tmp / "plan.yaml").read_text("utf-8"))
        plan |= {"year": YEAR, "issued_on": f"{YEAR}-02-17"}
        plan["deadlines"] = {m: d.replace("2024", str(YEAR)) for m, d in plan["deadlines"].items()}
        (tmp / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
        try:
            services = run_block(production_block(), subs, env, tmp, tmp)
            rest = httpx.Client(base_url=api, timeout=10)
            wait(lambda: rest.get("/deployments/name/follow-cycle/theo-doi").status_code == 200,
                 90, "the deployments")  # fmt: skip
            assert "PREFECT_API_URL" not in env  # Prefect's own clients use the profile
            yield {"env": env, "tmp": tmp, "api": rest, "db": danvan_url, "services": services,
                   "proxy": proxy}  # fmt: skip
        finally:
            for service in reversed(services):
                service.send_signal(signal.SIGINT)
                try:
                    service.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    service.kill()
            drop_danvan()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)'))
            admin.dispose()
