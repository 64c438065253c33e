"""The cycle runs itself on a real Prefect server on PostgreSQL (issue #8's "Done when").

The production block of docs/deployment.md, run verbatim for the module (ports and databases
substituted): ``prefect server start`` on its own PostgreSQL database, danvan on PostgreSQL too, the profile
pointing at the server, the deployments on a process work pool and a worker running them. Time is driven by the runs' own instants: the plan is for 2027, so its calendar stays
scheduled in the future and is read back at the expected local times; the steps under test are
runs created now with the instant they act at.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pendulum
import pytest
import yaml

from tests.helpers import REPO
from tests.helpers.db import PG_ADMIN_URL, make_pg_database, pg_unavailable
from tests.helpers.province import write_province
from tests.helpers.sinks import HttpSink, free_port, running_http_sink

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.postgres]

BIN = Path(sys.executable).parent
YEAR = 2027
TZ = "Asia/Ho_Chi_Minh"


def _wait(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def sink() -> Iterator[HttpSink]:
    with running_http_sink() as s:
        yield s


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
    import shlex

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
                _wait(lambda: _healthy(api), 150, "the Prefect server")  # noqa: B023
            continue
        done = subprocess.run(words, env=env | extra, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stderr)
    return services


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DANVAN_"))} | {
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_SERVER_API_PORT": str(port),  # the docs' `prefect server start`, on our port
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "DANVAN_OUT_DIR": str(tmp / "out"),
    }
    write_province(tmp, sink.url("w"))
    plan = yaml.safe_load((tmp / "plan.yaml").read_text("utf-8"))
    plan |= {"year": YEAR, "issued_on": f"{YEAR}-02-17"}
    plan["deadlines"] = {m: d.replace("2024", str(YEAR)) for m, d in plan["deadlines"].items()}
    (tmp / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    services: list = []
    try:
        services = run_block(production_block(), subs, env, tmp, tmp)
        rest = httpx.Client(base_url=api, timeout=10)
        _wait(lambda: rest.get("/deployments/name/follow-cycle/theo-doi").status_code == 200,
              90, "the deployments")  # fmt: skip
        assert "PREFECT_API_URL" not in env  # danvan found the server through the profile
        yield {"env": env, "tmp": tmp, "api": rest, "db": danvan_url, "services": services}
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


def _healthy(api: str) -> bool:
    try:
        return httpx.get(api + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "danvan"), *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def runs(api: httpx.Client, *tags: str) -> list[dict]:
    body = {"flow_runs": {"tags": {"all_": ["danvan", *tags]}}, "limit": 200}
    return api.post("/flow_runs/filter", json=body).json()


def local(run: dict) -> str:
    at = pendulum.parse(run["next_scheduled_start_time"] or run["expected_start_time"])
    return at.in_timezone(TZ).format("YYYY-MM-DD HH:mm")


def state(run: dict) -> str:
    return run["state"]["type"]


def test_the_plan_becomes_scheduled_runs_at_the_expected_instants(world):
    api = world["api"]
    run(
        world["env"],
        "plan",
        "issue",
        str(world["tmp"] / "plan.yaml"),
        "--at",
        f"{YEAR}-02-17T09:00",
    )
    got = runs(api, f"TST-{YEAR}")
    milestones = sorted((r["name"], local(r)) for r in got if "nhac-viec" not in r["tags"])
    assert milestones == [
        (f"tong-hop-TST-{YEAR}", f"{YEAR}-11-21 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-11 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-20 08:00"),
        (f"xep-loai-TST-{YEAR}", f"{YEAR}-11-21 09:00"),
    ]
    reminders = [r for r in got if "nhac-viec" in r["tags"]]
    assert reminders and all(local(r).endswith("08:00") for r in reminders)
    assert {state(r) for r in got} == {"SCHEDULED"}
    # issuing again changes nothing on the server: the same keys, no duplicate
    run(
        world["env"],
        "plan",
        "issue",
        str(world["tmp"] / "plan.yaml"),
        "--at",
        f"{YEAR}-02-17T09:00",
    )
    assert len(runs(api, f"TST-{YEAR}")) == len(got)
    for r in got:
        assert "://" not in str(r["parameters"])


def test_the_last_submission_starts_the_compilation_and_its_artifact(world):
    from tests.helpers.province import write_submission

    api, tmp = world["api"], world["tmp"]
    paths = []
    for unit in ("TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"):
        path = write_submission(tmp, unit)
        path.write_text(path.read_text("utf-8").replace("year: 2024", f"year: {YEAR}"), "utf-8")
        paths.append(str(path))
    run(world["env"], "submit", *paths, "--at", f"{YEAR}-11-05T10:00")

    def early_done() -> list[dict]:
        found = [r for r in runs(api, f"TST-{YEAR}", "TST.H01")
                 if ":tong-hop-som:" in (r["idempotency_key"] or "")]  # fmt: skip
        return [r for r in found if state(r) == "COMPLETED"]

    [done] = _wait(early_done, 150, "the early compilation of TST.H01")
    assert done["name"] == f"tong-hop-TST.H01-{YEAR}"
    keys = ["compile-2027-tst-h01", "tien-do-tst-2027"]
    found = api.post("/artifacts/filter", json={"artifacts": {"key": {"any_": keys}}}).json()
    assert {a["key"] for a in found} == set(keys)
    assert (Path(world["env"]["DANVAN_OUT_DIR"]) / "TST.H01").is_dir()


def test_sign_off_in_prefect_then_publication_delivers_results(world, sink):
    api = world["api"]
    deployment = api.get("/deployments/name/sign-off-and-publish/xep-loai").json()
    created = api.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        json={"name": f"xep-loai-TST-{YEAR}", "tags": ["danvan", f"TST-{YEAR}", "xep-loai"],
              "parameters": {"year": YEAR, "at": f"{YEAR}-11-28T09:00:00+07:00"}},
    ).json()  # fmt: skip

    def read() -> dict:
        return api.get(f"/flow_runs/{created['id']}").json()

    _wait(lambda: state(read()) == "PAUSED", 240, "the publication run to wait for sign-off")
    before = len(sink.requests)
    answer = api.post(
        f"/flow_runs/{created['id']}/resume",
        json={"run_input": {"approve": True, "note": "Đồng ý kết quả"}},
    )
    assert answer.status_code < 300, answer.text
    _wait(
        lambda: state(read()) == "COMPLETED",
        300,
        f"publication after the sign-off ({read()['state']})",
    )
    results = sink.wait_for(before + 1, timeout=10)[before:]
    assert results, "no result was delivered"
    status = run(world["env"], "status", "--cycle", str(YEAR), "--format", "json")
    assert '"published": true' in status.stdout
    # what was left of the calendar is gone
    left = [r for r in runs(api, f"TST-{YEAR}") if state(r) == "SCHEDULED"]
    assert left == []


def test_after_the_worker_is_killed_and_two_days_pass_no_past_reminder_goes_out(world):
    """The worker dies (SIGKILL, as in a crash); the two days' reminder runs go Late meanwhile;
    a new worker runs them: each records its own day skipped (once), nothing is sent for those
    days."""
    import sqlalchemy as sa

    api, services = world["api"], world["services"]
    worker = services[-1]
    args = worker.args
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=20)
    deployment = api.get("/deployments/name/remind/nhac-viec").json()
    now = datetime.now(UTC)
    created = []
    for days in (2, 1):
        when = (now - timedelta(days=days)).isoformat()
        created.append(api.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"name": f"nhac-viec-outage-{days}", "parameters": {"year": YEAR},
                  "tags": ["danvan", f"TST-{YEAR}", "nhac-viec"],
                  "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": when}}},
        ).json())  # fmt: skip
    log = (world["tmp"] / "worker-2.log").open("wb")
    services.append(subprocess.Popen(args, env=world["env"], cwd=world["tmp"], stdout=log,
                                     stderr=subprocess.STDOUT))  # fmt: skip
    for run_ in created:
        _wait(
            lambda r=run_: state(api.get(f"/flow_runs/{r['id']}").json()) == "COMPLETED",
            150,
            "a late reminder run",
        )
    engine = sa.create_engine(world["db"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        skipped = conn.execute(
            sa.text("SELECT detail FROM audit_log WHERE action = 'remind_skipped'")
        ).all()
        days = [pendulum.instance(now - timedelta(days=d)).in_timezone(TZ).date() for d in (2, 1)]
        sent = conn.execute(
            sa.text("SELECT count(*) FROM delivery WHERE day IN (:a, :b)"),
            {"a": days[0], "b": days[1]},
        ).scalar()
    engine.dispose()
    skipped_days = sorted(row[0]["day"] for row in skipped)
    assert skipped_days == sorted({d.isoformat() for d in days}), skipped_days
    assert sent == 0
