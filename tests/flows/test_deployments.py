"""Every deployment definition loads (SPEC §5 ``serve``), without starting any Prefect server,
and every cycle's calendar is what the plan says (read as local times of Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import json
from datetime import date, time

import pendulum
import pytest

from danvan.deployments.serve import all_deployments
from danvan.rules.calendar import CycleDates, cycle_runs, is_calendar_key, started_too_late

SECRET_MARKERS = ("://", "@", "password", "pass", "token", "secret")


def test_four_fixed_deployments_one_concurrent_run_each():
    deployments = {d.name: d for d in all_deployments()}
    assert set(deployments) == {"nhac-viec", "tong-hop", "xep-loai", "theo-doi"}
    [schedule] = deployments["theo-doi"].schedules
    assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
    for d in deployments.values():
        assert "danvan" in d.tags
        assert d.concurrency_limit == 1 or d.concurrency_options is not None
        assert not json.dumps(d.parameters).count("://")


def test_entrypoints_load_the_real_prefect_flows():
    from prefect.flows import Flow, load_flow_from_entrypoint

    for d in all_deployments():
        flow = load_flow_from_entrypoint(d.entrypoint)
        assert isinstance(flow, Flow) and flow.name == d.flow_name


DATES = CycleDates(
    province="QNG", year=2024, timezone="Asia/Ho_Chi_Minh", issued_on=date(2024, 2, 17),
    self_assessment=date(2024, 11, 10), district_compilation=date(2024, 11, 20),
    province_scoring=date(2024, 11, 29), send_at=time(8, 0), before_days=(14, 7, 3, 1),
)  # fmt: skip


def _local(run) -> str:  # type: ignore[no-untyped-def]
    return pendulum.instance(run.at).in_timezone("Asia/Ho_Chi_Minh").format("YYYY-MM-DD HH:mm")


def test_the_calendar_of_a_cycle():
    runs = cycle_runs(DATES, ["QNG.BSN", "QNG.STH"])
    milestones = [(r.name, _local(r)) for r in runs if r.kind != "nhac-viec"]
    assert milestones == [
        ("tong-hop-QNG.BSN-2024", "2024-11-11 08:00"),
        ("tong-hop-QNG.STH-2024", "2024-11-11 08:00"),
        ("tong-hop-QNG.BSN-2024", "2024-11-20 08:00"),
        ("tong-hop-QNG.STH-2024", "2024-11-20 08:00"),
        ("tong-hop-QNG-2024", "2024-11-21 08:00"),
        ("xep-loai-QNG-2024", "2024-11-21 09:00"),
    ]
    reminders = [r for r in runs if r.kind == "nhac-viec"]
    assert reminders[0].name == "nhac-viec-QNG-2024-10-24"  # the year once
    assert _local(reminders[-1]) == "2024-12-13 08:00"
    assert len({r.key for r in runs}) == len(runs)  # one key per run: never a duplicate
    for r in runs:
        assert {"danvan", "2024", "QNG-2024", r.kind} <= set(r.tags)
        assert not any(m in json.dumps(r.parameters).lower() for m in SECRET_MARKERS)


def test_only_the_calendar_s_own_runs_are_the_reconciliation_s_to_delete():
    runs = cycle_runs(DATES, ["QNG.BSN"])
    assert all(is_calendar_key(r.key, "QNG-2024") for r in runs)
    assert not is_calendar_key(runs[0].key, "QNG-2025")
    # a command's look and an early compilation may be Scheduled (waiting for their slot)
    assert not is_calendar_key("danvan:QNG-2024:theo-doi:plan:20240217T0200Z", "QNG-2024")
    assert not is_calendar_key("danvan:QNG-2024:tong-hop-som:QNG.BSN:20241105T0300Z", "QNG-2024")
    assert not is_calendar_key(None, "QNG-2024")


def test_a_moved_deadline_moves_its_runs_and_only_them():
    before = {r.key for r in cycle_runs(DATES, ["QNG.BSN"])}
    moved = CycleDates(**{**DATES.__dict__, "district_compilation": date(2024, 11, 22)})
    after = {r.key for r in cycle_runs(moved, ["QNG.BSN"])}
    assert before != after
    assert {k for k in before - after if ":tong-hop:" in k or ":xep-loai:" in k}
    assert cycle_runs(DATES, ["QNG.BSN"]) == cycle_runs(DATES, ["QNG.BSN"])


@pytest.mark.parametrize(
    ("scheduled", "started", "late"),
    [
        ("2024-11-07T01:00:00Z", "2024-11-07T01:00:05Z", False),
        ("2024-11-07T01:00:00Z", "2024-11-07T16:59:00Z", False),  # 23:59 the same local day
        ("2024-11-07T01:00:00Z", "2024-11-07T17:00:00Z", True),  # 00:00 the next local day
        ("2024-11-07T01:00:00Z", "2024-11-09T01:00:00Z", True),  # after a two-day outage
    ],
)
def test_a_run_that_starts_after_its_day_is_late(scheduled, started, late):
    assert (
        started_too_late(pendulum.parse(scheduled), pendulum.parse(started), "Asia/Ho_Chi_Minh")
        is late
    )
