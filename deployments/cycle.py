"""The cycle's deployments: a fixed set, whatever the cycles (SPEC §5).

Why fixed: ``serve()`` registers the deployments it is given once, at start. With one deployment
per cycle, a plan issued while serving was not served until a restart, and a published cycle's
cron kept piling up Late runs. Here the four deployments never change; the *calendar* is runs
created on them with idempotency keys (``tasks/calendar.py``), and ``theo-doi`` (every ten
minutes, and after each command) keeps those runs in step with the database.

None takes a contact URL or any secret: parameters are the year, a unit code, an instant.
``concurrency_limit=1``: two runs of the same milestone never overlap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from prefect.schedules import Cron

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

#: How often ``theo-doi`` looks at the cycles when nothing asked it to.
FOLLOW_CRON = "*/10 * * * *"

#: (module, attribute, deployment name, description) of each deployment.
SPECS = (
    ("danvan.flows.remind", "remind", "nhac-viec", "Nhắc hạn trong ngày (lịch của kỳ)."),
    ("danvan.flows.milestones", "compile_milestone", "tong-hop", "Tổng hợp, xếp loại một nơi tổng hợp."),
    ("danvan.flows.signoff", "sign_off_and_publish", "xep-loai", "Chờ tỉnh phê duyệt, rồi công bố."),
    ("danvan.flows.follow", "follow_cycle", "theo-doi", "Theo dõi: lịch, tiến độ, tổng hợp sớm."),
)  # fmt: skip


def entrypoint(module: str, attribute: str) -> str:
    """Where workers load the real Prefect flow (the module attribute is the lazy wrapper)."""
    return f"{module}:{attribute}.prefect"


def cycle_deployments(timezone: str = "Asia/Ho_Chi_Minh") -> list[RunnerDeployment]:
    """The four deployments, ready for ``serve()`` (not yet registered with any server)."""
    out = []
    for module, attribute, name, description in SPECS:
        lazy = getattr(importlib.import_module(module), attribute)
        options: dict[str, Any] = {
            "name": name,
            "description": description,
            "tags": ["danvan", name],
            "concurrency_limit": 1,
        }
        if name == "theo-doi":
            # One look at a time, queued, never cancelled: a command's look (the calendar moved
            # by an amendment) must run even while a periodic one is running. Missed periodic
            # looks after an outage end at once (flows.follow: LOOK_LATE_SECONDS).
            options["schedule"] = Cron(FOLLOW_CRON, timezone=timezone)
        deployment = lazy.prefect.to_deployment(**options)
        deployment.entrypoint = entrypoint(module, attribute)
        out.append(deployment)
    return out
