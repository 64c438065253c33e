"""Serve every deployment of the open cycles from one long-running process (``danvan serve``).

Needs a real Prefect server (``prefect server start``): the ephemeral one never creates
scheduled runs. ``pause_on_shutdown=False`` because ``serve()`` otherwise pauses the
deployments and deletes their future runs when the process stops, so a restart of the service
would silently end the reminders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from danvan.deployments.reminders import reminder_deployments

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def all_deployments(session: Session) -> list[RunnerDeployment]:
    """Every schedule danvan runs, one builder per schedule kind."""
    return [*reminder_deployments(session)]


def serve_all(deployments: list[RunnerDeployment] | None = None) -> None:
    """Register the deployments and run their scheduled flow runs until interrupted."""
    from prefect import serve

    if deployments is None:
        from danvan.db import get_engine, reading

        with reading(get_engine()) as session:
            deployments = all_deployments(session)
    serve(*deployments, pause_on_shutdown=False)
