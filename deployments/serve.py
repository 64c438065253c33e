"""Serve the cycle's deployments from one long-running process (``danvan serve``).

Needs a real Prefect server (``prefect server start``; ``danvan serve`` starts one itself when
none is configured): the ephemeral one never runs scheduled runs. ``pause_on_shutdown=False``
because ``serve()`` otherwise pauses the deployments and deletes their future runs when the
process stops, so a restart of the service would silently wipe the cycle's calendar.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from prefect import get_client, serve
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

from danvan.deployments.cycle import cycle_deployments
from danvan.deployments.watch import ensure_zombie_automation

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def all_deployments() -> list[RunnerDeployment]:
    """Every deployment danvan serves."""
    return cycle_deployments()


def serve_all(deployments: list[RunnerDeployment] | None = None) -> None:
    """Register the deployments (and the zombie automation) and run their flow runs until
    interrupted."""
    ensure_zombie_automation()
    serve(*(deployments or all_deployments()), pause_on_shutdown=False)


def deploy_to_pool(pool: str) -> list[str]:
    """Register the deployments on a *process* work pool (created if missing), for workers.

    The production alternative to ``serve``: ``prefect worker start --pool POOL`` (any number,
    on any machine with danvan installed and the same settings) runs the flow runs. Returns the
    deployments' full names.
    """
    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    ensure_zombie_automation()
    names = []
    for d in all_deployments():
        d.apply(work_pool_name=pool)
        names.append(f"{d.flow_name}/{d.name}")
    return names
