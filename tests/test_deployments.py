"""Every deployment definition loads (SPEC §4 ``serve``), without starting any Prefect server.

Builds the deployments for a database holding an issued cycle, as ``danvan serve`` does, and
checks what a Prefect server would be told: schedule, time zone, parameters, entrypoint.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_province import issue_small_cycle

from danvan.db import get_engine, reading, transaction
from danvan.deployments.reminders import REMIND_ENTRYPOINT, daily_cron, reminder_deployments
from danvan.deployments.serve import all_deployments
from danvan.models.tables import Cycle

SECRET_MARKERS = ("://", "@", "password", "pass", "token", "secret", "key")


@pytest.fixture
def issued(db_url: str, tmp_path: Path) -> str:
    issue_small_cycle(tmp_path, send_at="07:30")
    return db_url


def _deployments() -> list:
    with reading(get_engine()) as session:
        return all_deployments(session)


def test_one_daily_reminder_deployment_per_open_cycle(issued):
    [d] = _deployments()
    assert d.name == "remind-2024"
    [schedule] = d.schedules
    assert schedule.schedule.cron == "30 7 * * *"
    assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert schedule.active
    assert d.parameters == {"year": 2024}  # at=None: the flow acts at its scheduled time
    assert d.entrypoint == REMIND_ENTRYPOINT


def test_entrypoint_loads_the_real_prefect_flow(issued):
    from prefect.flows import Flow, load_flow_from_entrypoint

    [d] = _deployments()
    flow = load_flow_from_entrypoint(d.entrypoint)
    assert isinstance(flow, Flow)
    assert flow.name == "remind"


def test_no_secrets_in_parameters(issued):
    for d in _deployments():
        text = json.dumps(d.parameters).lower()
        assert not any(marker in text for marker in SECRET_MARKERS), d.parameters
        assert set(d.parameters) <= {"year"}


def test_published_cycles_get_no_deployment(issued):
    from datetime import UTC, datetime

    with transaction(get_engine()) as session:
        cycle = session.query(Cycle).one()
        cycle.published_at = datetime(2024, 12, 1, tzinfo=UTC)
    assert _deployments() == []


def test_built_from_given_cycles_too(issued):
    with reading(get_engine()) as session:
        cycles = list(session.query(Cycle).all())
    [d] = reminder_deployments(cycles)
    assert d.name == "remind-2024"


@pytest.mark.parametrize(
    ("send_at", "cron"), [("08:00", "0 8 * * *"), ("07:30", "30 7 * * *"), ("0:05", "5 0 * * *")]
)
def test_daily_cron(send_at, cron):
    assert daily_cron(send_at) == cron


def test_the_prefect_flows_can_be_pickled():
    """Prefect pickles a flow to run it in a subprocess (``run_flow_in_subprocess``, ``Flow.serve``)."""
    import cloudpickle

    from danvan.flows.intake import submit
    from danvan.flows.plan import issue_plan
    from danvan.flows.remind import remind

    for lazy in (remind, submit, issue_plan):
        flow = cloudpickle.loads(cloudpickle.dumps(lazy.prefect))
        assert flow.name == lazy.prefect.name
