"""The cycle's flows through Prefect give the same database truth as in-process.

One session-scoped ``prefect_test_harness()`` (≈12 s once), heartbeats off (PLATFORM.md: each
sync flow run costs ≈1 s otherwise). Checks:

* ``plan issue`` → ``submit`` → ``remind`` as Prefect flow runs: every run COMPLETED, the same
  return values and the same database (status, deliveries) as the very same steps in-process;
* a *scheduled* run of the ``nhac-viec`` deployment, executed the way ``serve()`` executes it
  (``python -m prefect.engine`` loading the deployment's entrypoint), acts at its scheduled time;
* ``danvan … --format json`` under Prefect keeps stdout pure JSON (Prefect logs go to stderr).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from danvan.flows.intake import submit
from danvan.flows.plan import issue_plan
from danvan.flows.remind import remind
from danvan.flows.resend import resend
from danvan.models.db import get_engine, reading
from danvan.models.schema import upgrade
from danvan.tasks.org import import_org
from tests.helpers.db import use_database
from tests.helpers.province import ISSUE_AT, YEAR, at, write_province, write_submission
from tests.helpers.sinks import HttpSink, running_http_sink

pytestmark = pytest.mark.prefect

DANVAN = Path(sys.executable).parent / "danvan"
SUBMIT_AT = "2024-11-05T10:00"
REMIND_AT = "2024-11-07T08:30"  # Thursday, 3 days before the deadline: "before" reminders


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A Prefect API for the whole session; flows and tasks report to it."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=180),  # a loaded machine needs > 30 s
    ):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="module")
def sink() -> Iterator[HttpSink]:
    with running_http_sink() as s:
        yield s


def fresh_database(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    folder.mkdir()
    url = f"sqlite:///{folder / 'danvan.db'}"
    use_database(url, monkeypatch)
    upgrade(get_engine())
    return url


def run_cycle(folder: Path, contact: str, step) -> dict:  # type: ignore[no-untyped-def]
    """plan issue → submit (each answer handed on as it is settled) → remind → resend (nothing
    in doubt) with ``step(flow, *args)`` running each flow."""
    write_province(folder, contact)
    import_org(str(folder / "org.yaml"), at(ISSUE_AT))
    subs = [write_submission(folder, u) for u in ("TST.H01.X01", "TST.SNV")]
    answered: list[dict] = []
    return {
        "plan": step(issue_plan, str(folder / "plan.yaml"), at(ISSUE_AT)),
        "submit": step(
            submit, [str(p) for p in subs], at(SUBMIT_AT), "cli", None, False, answered.append
        ),
        "answered": answered,
        "remind": step(remind, YEAR, at(REMIND_AT)),
        "resend": step(resend, YEAR, at(REMIND_AT)),
    }


def in_process(flow, *args):  # type: ignore[no-untyped-def]
    return flow.fn(*args)


def through_prefect(flow, *args):  # type: ignore[no-untyped-def]
    state = flow.prefect(*args, return_state=True)
    assert state.is_completed(), state
    return state.result()


def database_truth() -> dict:
    """What the cycle's database says, without ids or wall-clock times."""
    from sqlmodel import select

    from danvan.models import store
    from danvan.models.tables import Delivery
    from danvan.tasks.views import cycle_status

    with reading(get_engine()) as session:
        status = cycle_status(session, year=YEAR, at=at("2024-11-12T08:00"))
        codes = store.load_org(session=session).codes_by_id
        deliveries = sorted(
            (codes[d.unit_id], d.milestone, d.kind, d.day.isoformat(), d.status, d.subject)
            for d in session.exec(select(Delivery)).all()
        )
    return {"status": status, "deliveries": deliveries}


def without_paths(results: dict, folder: Path) -> dict:
    """Submission results name their file: make them comparable across two folders."""
    return json.loads(json.dumps(results, default=str).replace(str(folder), "<folder>"))


def test_flows_through_prefect_match_in_process(prefect_api, sink, tmp_path, monkeypatch):
    fresh_database(tmp_path / "a", monkeypatch)
    expected = run_cycle(tmp_path / "a", sink.url("a"), in_process)
    expected_truth = database_truth()

    fresh_database(tmp_path / "b", monkeypatch)
    got = run_cycle(tmp_path / "b", sink.url("a"), through_prefect)

    assert without_paths(got, tmp_path / "b") == without_paths(expected, tmp_path / "a")
    assert database_truth() == expected_truth
    kinds = {(s["kind"], s["ok"]) for s in got["remind"]["sent"]}
    assert kinds == {("before", True), ("digest", True)}  # a real day's work, delivered
    assert got["answered"] == got["submit"] and len(got["answered"]) == 2
    assert got["resend"]["requeued"] == [] and got["remind"]["unknown"] == 0


def test_the_lazy_flow_goes_through_prefect_when_asked(prefect_api, sink, tmp_path, monkeypatch):
    """``DANVAN_USE_PREFECT=1``: the CLI's own call path creates a Prefect flow run."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    fresh_database(tmp_path / "c", monkeypatch)
    monkeypatch.setenv("DANVAN_USE_PREFECT", "1")
    write_province(tmp_path / "c", sink.url("c"))
    import_org(str(tmp_path / "c" / "org.yaml"), at(ISSUE_AT))
    result = issue_plan(str(tmp_path / "c" / "plan.yaml"), at("2024-02-18T09:00"))
    assert result["created"]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["issue-plan"])),
            sort=FlowRunSort.START_TIME_DESC,  # the sync client sends null defaults otherwise
            limit=10,
        )
    assert runs, "no issue-plan flow run was recorded"
    assert {r.state.type.value for r in runs} == {"COMPLETED"}


def test_a_scheduled_remind_run_that_starts_after_its_day_sends_nothing_late(
    prefect_api, sink, tmp_path, monkeypatch
):
    """The deployment's run, executed as ``serve()`` does, acts at its scheduled day only:
    scheduled for 7 November 2024 and started today, it records the day as skipped (SPEC §4.1)."""
    from prefect import get_client
    from prefect.states import Scheduled
    from sqlmodel import select

    from danvan.deployments.cycle import cycle_deployments
    from danvan.models.tables import AuditEntry, Delivery

    url = fresh_database(tmp_path / "d", monkeypatch)
    write_province(tmp_path / "d", sink.url("d"))
    import_org(str(tmp_path / "d" / "org.yaml"), at(ISSUE_AT))
    issue_plan.fn(str(tmp_path / "d" / "plan.yaml"), at(ISSUE_AT))
    [deployment] = [d for d in cycle_deployments() if d.name == "nhac-viec"]
    deployment_id = deployment.apply()
    scheduled = datetime(2024, 11, 7, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=scheduled), parameters={"year": YEAR}
        )
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT__FLOW_RUN_ID": str(run.id),
        "DANVAN_DATABASE_URL": url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "prefect.engine"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with get_client(sync_client=True) as client:
        finished = client.read_flow_run(run.id)
    assert finished.state.is_completed(), finished.state
    with reading(get_engine()) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind != "announcement")).all()
    assert rows == []  # nothing sent late
    with reading(get_engine()) as session:
        [skip] = session.exec(select(AuditEntry).where(AuditEntry.action == "remind_skipped")).all()
    assert skip.detail["day"] == date(2024, 11, 7).isoformat()  # the scheduled day, not today


def test_json_output_stays_pure_under_prefect(sink, tmp_path, monkeypatch):
    """The real console script with a temporary Prefect server: logs on stderr only."""
    url = fresh_database(tmp_path / "e", monkeypatch)
    write_province(tmp_path / "e", sink.url("e"))
    import_org(str(tmp_path / "e" / "org.yaml"), at(ISSUE_AT))
    issue_plan.fn(str(tmp_path / "e" / "plan.yaml"), at(ISSUE_AT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DANVAN_"))} | {
        "DANVAN_USE_PREFECT": "1",
        "DANVAN_DATABASE_URL": url,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }
    args = ["remind", "--cycle", str(YEAR), "--at", REMIND_AT, "--format", "json"]
    done = subprocess.run(
        [str(DANVAN), *args], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)  # nothing but the document on stdout
    assert doc["cycle"] == YEAR
    assert {s["kind"] for s in doc["sent"]} == {"before", "digest"}
    assert "Finished in state Completed" in done.stderr  # it did run through Prefect


def test_compile_publishes_its_summary_and_ranking_as_artifacts(
    prefect_api, sink, tmp_path, monkeypatch
):
    """The Prefect UI shows each compilation: a markdown summary and a ranking table."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from danvan.flows.compile import compile_reports

    fresh_database(tmp_path / "d", monkeypatch)
    run_cycle(tmp_path / "d", sink.url("d"), lambda flow, *args: flow.fn(*args))
    result = compile_reports.prefect(YEAR, at("2024-11-29T16:00"), str(tmp_path / "out"))
    compilers = [c["compiler"] for c in result["compiled"]]
    assert compilers, "nothing compiled"
    keys = [f"compile-{YEAR}-{c}".lower().replace(".", "-") for c in compilers]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[*keys, *(k + "-ranking" for k in keys)])
            ),
            limit=50,
        )
    by_key = {a.key: a for a in found}
    for key, code in zip(keys, compilers, strict=True):
        assert by_key[key].type == "markdown" and code in str(by_key[key].data)
        assert by_key[key + "-ranking"].type == "table"


def test_runs_that_failed_their_purpose_end_in_a_named_state(prefect_api, tmp_path, monkeypatch):
    """Every delivery failed, every file rejected: the UI shows it (not plain Completed)."""
    fresh_database(tmp_path / "f", monkeypatch)
    write_province(tmp_path / "f", "json://127.0.0.1:1")  # a closed port: a certain failure
    import_org(str(tmp_path / "f" / "org.yaml"), at(ISSUE_AT))
    issue_plan.fn(str(tmp_path / "f" / "plan.yaml"), at(ISSUE_AT))
    monkeypatch.setenv("DANVAN_NOTIFY_RETRIES", "0")
    from danvan.config.settings import get_settings

    get_settings.cache_clear()
    reminded = remind.prefect(YEAR, at(REMIND_AT), return_state=True)
    assert reminded.name == "Gửi lỗi" and reminded.is_completed()
    assert reminded.result()["sent"] and not any(s["ok"] for s in reminded.result()["sent"])
    bad = tmp_path / "f" / "bad.yaml"
    bad.write_text("unit: TST.NOPE\n", "utf-8")
    rejected = submit.prefect([str(bad)], at(SUBMIT_AT), return_state=True)
    assert rejected.name == "Bị từ chối"
    assert not rejected.result()[0]["accepted"]
