"""A real Prefect server for the flow tests: the production block of docs/deployment.md run as
written (ports and databases substituted), and the small readers the tests share."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pendulum

from tests.helpers import REPO

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
    answers 503 now and then (Prefect's own client retries it too)."""
    for _ in range(8):
        answer = api.request(method, path, **kwargs)  # type: ignore[arg-type]
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
