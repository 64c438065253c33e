"""A season of the cycle on a real Prefect server on PostgreSQL, with nobody watching the UI
(issue #8's "Done when", issue #16's "Must hold").

The production block of docs/deployment.md, run verbatim for the module (ports and databases
substituted): ``prefect server start`` on its own PostgreSQL database, danvan on PostgreSQL too,
the profile pointing at the server, the deployments on a process work pool and a worker running
them. danvan's own REST calls go through a proxy (``DANVAN_PREFECT_API_URL``) that answers 503
when a test says so. Time is driven by the runs' own instants: the plan is for 2027, so its
calendar stays scheduled in the future and is read back at the expected local times; the steps
under test are runs created now with the instant they act at.
"""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pendulum
import pytest
import yaml

from tests.helpers import prefect_world
from tests.helpers.prefect_world import (
    HEARTBEAT,
    TZ,
    YEAR,
    children,
    create_run,
    input_value,
    local,
    read_run,
    reconcile_now,
    run,
    runs,
    state,
    wait,
)

# One Prefect world per module, its tests in order on one xdist worker (they build on each other):
# pyproject's ``--dist loadscope`` sends a module's tests to one worker, in order. (``loadgroup``
# with an ``xdist_group`` mark did not: under pytest 9 it split this module over both workers.)
pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.postgres]
#: The module's Prefect world (docs/deployment.md's production block) and its HTTP sink.
world, sink = prefect_world.world, prefect_world.sink


def issue_plan(world: dict) -> None:
    """``danvan plan issue`` of the module's plan (again: nothing changes, the same keys)."""
    world["plan_issued"] = True
    run(
        world["env"],
        "plan",
        "issue",
        str(world["tmp"] / "plan.yaml"),
        "--at",
        f"{YEAR}-02-17T09:00",
    )


def scheduled(api: httpx.Client) -> list[dict]:
    return [r for r in runs(api, f"TST-{YEAR}") if state(r) == "SCHEDULED"]


def milestones(api: httpx.Client) -> list[tuple[str, str]]:
    return sorted((r["name"], local(r)) for r in scheduled(api) if "nhac-viec" not in r["tags"])


def reconciled(api: httpx.Client) -> bool:
    """Every reconciliation the commands asked for has finished."""
    asked = runs(api, f"TST-{YEAR}", "theo-doi")
    return bool(asked) and all(state(r) in {"COMPLETED", "FAILED", "CRASHED"} for r in asked)


def test_the_plan_becomes_scheduled_runs_at_the_expected_instants(world):
    api = world["api"]
    issue_plan(world)
    # the official's command only asks; the reconciliation run (theo-doi) builds the calendar
    wait(lambda: reconciled(api) and len(milestones(api)) == 4, 300, "the calendar")
    got = [r for r in runs(api, f"TST-{YEAR}") if "theo-doi" not in r["tags"]]
    assert milestones(api) == [
        (f"tong-hop-TST-{YEAR}", f"{YEAR}-11-21 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-11 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-20 08:00"),
        (f"xep-loai-TST-{YEAR}", f"{YEAR}-11-21 09:00"),
    ]
    reminders = [r for r in got if "nhac-viec" in r["tags"]]
    assert reminders and all(local(r).endswith("08:00") for r in reminders)
    assert {r["name"] for r in reminders} >= {f"nhac-viec-TST-{YEAR}-11-03"}  # the year once
    assert {state(r) for r in got} == {"SCHEDULED"}
    # issuing again changes nothing on the server: the same keys, no duplicate
    issue_plan(world)
    assert len([r for r in runs(api, f"TST-{YEAR}") if "theo-doi" not in r["tags"]]) == len(got)
    for r in got:
        assert "://" not in str(r["parameters"])


def test_an_amendment_moves_the_calendar_at_once(world, sink):
    """An official letter extends the districts' deadline: ``plan amend`` records it, tells the
    units, and the reconciliation it asks for moves the milestones (the old runs are deleted)."""
    tmp = world["tmp"]
    plan = yaml.safe_load((tmp / "plan.yaml").read_text("utf-8"))
    plan["deadlines"]["district_compilation"] = f"{YEAR}-11-24"
    (tmp / "plan-2.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    before = len(sink.requests)
    run(world["env"], "plan", "amend", str(tmp / "plan-2.yaml"), "--reason",
        "Công văn số 12/UBND-NC gia hạn tổng hợp", "--at", f"{YEAR}-03-01T09:00")  # fmt: skip
    wanted = [
        (f"tong-hop-TST-{YEAR}", f"{YEAR}-11-25 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-11 08:00"),
        (f"tong-hop-TST.H01-{YEAR}", f"{YEAR}-11-24 08:00"),
        (f"xep-loai-TST-{YEAR}", f"{YEAR}-11-25 09:00"),
    ]
    wait(lambda: reconciled(world["api"]) and milestones(world["api"]) == wanted, 300,
         "the calendar to move")  # fmt: skip
    told = [r for r in sink.requests[before:] if "[Điều chỉnh kế hoạch]" in r.body["title"]]
    assert len(told) == 5 and all("thay cho hạn 20/11/2027" in r.body["message"] for r in told)


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

    [done] = wait(early_done, 150, "the early compilation of TST.H01")
    assert done["name"] == f"tong-hop-TST.H01-{YEAR}"
    keys = ["compile-2027-tst-h01", "tien-do-tst-2027"]
    found = api.post("/artifacts/filter", json={"artifacts": {"key": {"any_": keys}}}).json()
    assert {a["key"] for a in found} == set(keys)
    assert (Path(world["env"]["DANVAN_OUT_DIR"]) / "TST.H01").is_dir()


def test_a_worker_killed_mid_run_leaves_a_crashed_run_and_the_operators_are_told_once(world, sink):  # type: ignore[no-untyped-def]
    """A reminder run is sending (the endpoint is slow) when its worker dies with its flow
    process (SIGKILL, a power cut): no heartbeat comes, Prefect's zombie automation (set up by
    ``danvan deploy``) marks it Crashed, the slot is free for a new worker's runs, and the next
    reconciliation tells the operators, once."""
    api, services, env = world["api"], world["services"], world["env"]
    worker = services[-1]
    sink.delay = 600  # received, answered only after the test
    try:
        started = create_run(api, "remind", "nhac-viec", name=f"nhac-viec-TST-{YEAR}-11-09",
                             tags=["danvan", f"TST-{YEAR}", "nhac-viec"],
                             parameters={"year": YEAR, "at": f"{YEAR}-11-09T08:00:00+07:00"})  # fmt: skip
        before = len(sink.requests)
        wait(lambda: state(read_run(api, started["id"])) == "RUNNING", 180, "the reminder run")
        wait(lambda: len(sink.requests) > before, 120, "its first delivery")
        for pid in [worker.pid, *children(worker.pid)]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        sink.delay = 0
    crashed = wait(
        lambda: (r := read_run(api, started["id"]))["state"]["type"] == "CRASHED" and r,
        HEARTBEAT * 3 + 150,
        "the zombie automation to mark the run Crashed",
    )
    assert crashed["name"] == f"nhac-viec-TST-{YEAR}-11-09"  # the name it was scheduled with
    log = (world["tmp"] / "worker-after-crash.log").open("wb")
    services.append(subprocess.Popen(worker.args, env=env, cwd=world["tmp"], stdout=log,
                                     stderr=subprocess.STDOUT))  # fmt: skip
    first = len(sink.requests)
    reconcile_now(api)
    alerts = [r for r in sink.requests[first:] if r.path == "/ops"]
    assert len(alerts) == 1, [a.body for a in alerts]
    assert f"nhac-viec-TST-{YEAR}-11-09" in alerts[0].body["title"]
    assert "Crashed" in alerts[0].body["title"] and "chạy lại" in alerts[0].body["message"]
    reconcile_now(api)  # told once: the next look says nothing more about it
    assert [r for r in sink.requests[first:] if r.path == "/ops"] == alerts


def test_a_hand_started_publication_is_released_by_approve_and_ends_completed_despite_503(
    world, sink
):  # type: ignore[no-untyped-def]
    """The operator starts the publication from the UI's button (no name, no tags); the
    province approves with ``danvan approve``, which finds the waiting run by its deployment and
    year. The calendar's clean-up afterwards meets a server answering 503 to every DELETE: the
    run still ends Completed (it has published), and the next reconciliation removes what the
    clean-up left: no run of the cycle stays scheduled."""
    api, env, proxy = world["api"], world["env"], world["proxy"]
    created = create_run(api, "sign-off-and-publish", "xep-loai",
                         parameters={"year": YEAR, "at": f"{YEAR}-11-28T09:00:00+07:00"})  # fmt: skip
    wait(lambda: state(read_run(api, created["id"])) == "PAUSED", 240, "the sign-off wait")
    waiting = read_run(api, created["id"])
    assert waiting["name"] == f"xep-loai-TST-{YEAR}"  # named for people, not "clever-otter"
    keyset = waiting["state"]["state_details"]["run_input_keyset"]
    form = {k: input_value(api, created["id"], keyset[k]) for k in ("schema", "description")}
    assert "Phê duyệt" in form["schema"] and "Ghi chú" in form["schema"], form
    assert "công bố" in form["description"], form  # it says what approving does
    before = len(sink.requests)
    proxy.fail("DELETE", "/flow_runs/", times=10_000)
    try:
        run(env, "approve", "--cycle", str(YEAR), "--by", "TST", "--at", f"{YEAR}-11-28T10:00")
        done = wait(
            lambda: (
                (r := read_run(api, created["id"]))["state"]["type"]
                in {"COMPLETED", "FAILED", "CRASHED"}
                and r
            ),
            300,
            "publication after the sign-off",
        )
    finally:
        faulted = list(proxy.injected)
        proxy.faults.clear()
    assert done["state"]["type"] == "COMPLETED", done["state"]
    assert any(f.startswith("DELETE") for f in faulted)  # the clean-up did meet the 503s
    assert sink.wait_for(before + 1, timeout=10)[before:], "no result was delivered"
    # as at an instant after the approval (10:00) and the run's publication; without --at the
    # command asks as at now, and this world's cycle (2027) is still ahead of the clock
    status = run(env, "status", "--cycle", str(YEAR), "--at", f"{YEAR}-11-28T11:00",
                 "--format", "json")  # fmt: skip
    assert '"published": true' in status.stdout
    reconcile_now(api)
    assert scheduled(api) == []  # nothing of the cycle left to run, whatever failed before


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
        wait(
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


def _as_the_portal(world: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process configured as a portal of the world (its database, API, output folder and
    operators), with the plan issued (run alone; after the amendment test the plan stands)."""
    from danvan.config.settings import get_settings
    from tests.helpers.db import use_database

    if not world.get("plan_issued"):
        issue_plan(world)
    use_database(world["db"], monkeypatch)
    for key in ("DANVAN_PREFECT_API_URL", "DANVAN_OUT_DIR", "DANVAN_OPERATOR_CONTACTS"):
        monkeypatch.setenv(key, world["env"][key])
    get_settings.cache_clear()


def test_compile_now_from_the_portal_is_a_run_of_the_deployment(world, monkeypatch):  # type: ignore[no-untyped-def]
    """Tổng hợp ngay with a Prefect server configured (issue 18): the portal's one entry point
    creates a run of ``tong-hop`` at once (the request as its idempotency key), two clicks give
    one request and one run, and the worker's run moves the request to done with its files,
    the page showing the run's state."""
    from danvan.flows.compile_now import progress, start_compile

    _as_the_portal(world, monkeypatch)
    at = pendulum.parse(f"{YEAR}-11-06T10:00", tz=TZ).in_timezone("UTC")
    asked = dict(year=YEAR, code="TST.H01", at=at, actor="portal:TST.H01", out_dir="ignored")
    first, second = start_compile(**asked), start_compile(**asked)
    assert first.id == second.id and first.run_id is not None and first.status == "queued"
    assert [r["id"] for r in runs(world["api"], f"{YEAR}", "tong-hop-ngay")] == [first.run_id]

    def finished():  # type: ignore[no-untyped-def]
        seen = progress(year=YEAR, code="TST.H01", request_id=first.id, at=at)
        return seen if seen and seen.request.finished else None

    seen = wait(finished, 180, "the compile request's run")
    assert seen.request.status == "done", seen.request.problem
    assert f"bao-cao-tong-hop-TST.H01-{YEAR}.docx" in seen.request.files
    # the request is closed by the compile's recording; the run ends just after (artifacts)
    ended = wait(lambda: state(read_run(world["api"], first.run_id)) not in ("PENDING", "RUNNING"),
                 60, "the run's end")  # fmt: skip
    assert ended and state(read_run(world["api"], first.run_id)) == "COMPLETED"
    out = Path(world["env"]["DANVAN_OUT_DIR"]) / "TST.H01"
    assert (out / f"bao-cao-tong-hop-TST.H01-{YEAR}.docx").is_file()


def test_compile_now_cancelled_cancels_its_run(world, monkeypatch):  # type: ignore[no-untyped-def]
    """The compiler cancels a request still queued (the pool paused, its run Scheduled): the
    request reads cancelled, its run is Cancelled on the server, and the run, once the pool is
    back, compiles nothing."""
    from danvan.flows.compile_now import cancel_compile, progress, start_compile

    _as_the_portal(world, monkeypatch)
    pool = f"/work_pools/danvan-{world['api'].base_url.port}"
    assert world["api"].patch(pool, json={"is_paused": True}).status_code < 300
    try:
        at = pendulum.parse(f"{YEAR}-11-06T12:00", tz=TZ).in_timezone("UTC")
        asked = start_compile(year=YEAR, code="TST.H01", at=at, actor="portal:TST.H01", out_dir="")
        assert asked.status == "queued" and asked.run_id is not None
        answer = cancel_compile(year=YEAR, code="TST.H01", request_id=asked.id, at=at,
                                actor="portal:TST.H01")  # fmt: skip
        assert answer is not None and (answer.outcome, answer.run_not_told) == ("cancelled", False)
        wait(lambda: state(read_run(world["api"], asked.run_id)) == "CANCELLED", 30, "Cancelled")
        seen = progress(year=YEAR, code="TST.H01", request_id=asked.id, at=at)
        assert seen is not None and seen.request.status == "cancelled"
    finally:
        world["api"].patch(pool, json={"is_paused": False})


def test_compile_now_no_worker_takes_is_given_up(world, sink, monkeypatch):  # type: ignore[no-untyped-def]
    """The pool paused (no worker takes the run): read 11 minutes after it was asked, the
    request is failed ``[compile_not_started]``, its run Cancelled, the operators told once."""
    from danvan.flows.compile_now import progress, start_compile
    from danvan.tasks.alerts import COURIER

    _as_the_portal(world, monkeypatch)
    pool = f"/work_pools/danvan-{world['api'].base_url.port}"
    assert world["api"].patch(pool, json={"is_paused": True}).status_code < 300
    try:
        at = pendulum.parse(f"{YEAR}-11-06T11:00", tz=TZ).in_timezone("UTC")
        asked = start_compile(year=YEAR, code="TST.H01", at=at, actor="portal:TST.H01", out_dir="")
        first, later = len(sink.requests), at + timedelta(minutes=11)
        seen = progress(year=YEAR, code="TST.H01", request_id=asked.id, at=later)
        assert seen is not None and "[compile_not_started]" in (seen.request.problem or "")
        assert state(read_run(world["api"], asked.run_id)) == "CANCELLED"
        COURIER.wait_idle(30)
        assert [r.body["title"] for r in sink.requests[first:] if r.path == "/ops"] == [
            "[danvan] Tổng hợp ngay của TST.H01: chưa có tiến trình nào nhận việc"]  # fmt: skip
    finally:
        world["api"].patch(pool, json={"is_paused": False})
