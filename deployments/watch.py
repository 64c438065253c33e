"""Runs whose worker died: Prefect 3's heartbeats and its zombie automation, set up as code.

A flow run emits a heartbeat event every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds (180 by
default since Prefect 3.6.22; at least 30) while its process lives. The automation below, the
one Prefect documents ("detect zombie flows"), says: after a run's heartbeat, expect another
event of that run (a heartbeat or a state change) within three heartbeats, else set the run
Crashed. A Crashed run is final, so it frees its deployment's concurrency slot and the operators
hear of it (``tasks/alerts.py``); re-running it is safe because every step of danvan is keyed.
``danvan serve`` and ``danvan deploy`` call :func:`ensure_zombie_automation` at start: created
once, brought to the current heartbeat when it changed, never duplicated.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

ZOMBIE_AUTOMATION = "danvan: lượt chạy mất tín hiệu → Crashed"
#: Heartbeats an alive run may miss (a loaded machine) before it is declared Crashed.
MISSED_HEARTBEATS = 3


def heartbeat_seconds() -> int:
    """The heartbeat this process's runs emit (the workers must use the same setting)."""
    from prefect.settings import get_current_settings  # lazy: only serve/deploy use Prefect

    return int(get_current_settings().flows.heartbeat_frequency or 180)


def ensure_zombie_automation(heartbeat: int | None = None) -> str:
    """Create (or update) the automation; returns its id."""
    # lazy: only serve/deploy use Prefect
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    within = timedelta(seconds=MISSED_HEARTBEATS * (heartbeat or heartbeat_seconds()))
    wanted = Automation(
        name=ZOMBIE_AUTOMATION,
        description=(
            "Lượt chạy của danvan không còn gửi tín hiệu (heartbeat) — máy hoặc worker chạy nó "
            "đã chết — được đánh dấu Crashed, giải phóng chỗ chạy của deployment; người vận "
            "hành được báo (DANVAN_OPERATOR_CONTACTS)."
        ),
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                name=None,
                force=False,
                message=f"Mất tín hiệu quá {int(within.total_seconds())} giây: máy chạy đã dừng.",
            )
        ],
    )
    # Any: Prefect's sync/async dispatch hides the return types from mypy
    try:
        found: Any = Automation.read(name=ZOMBIE_AUTOMATION)
    except ValueError:
        created: Any = wanted.create()
        return str(created.id)
    if found.trigger != wanted.trigger or found.actions != wanted.actions:
        wanted.id = found.id
        wanted.update()
    return str(found.id)
