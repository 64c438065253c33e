"""Nhắc hạn hằng ngày: one scheduled ``remind`` deployment per open cycle.

Each open (unpublished) cycle gets a deployment ``remind-<year>`` that runs the ``remind`` flow
every day at the plan's ``send_at``, in the cycle's own time zone (Asia/Ho_Chi_Minh: no DST, so
08:00 is always 08:00 for the officials). The only parameter is the year: ``at`` is left out so
the flow acts at its *scheduled* start time, and a run that starts late still sends that day's
reminders. Delivery URLs (which may hold SMTP passwords) stay in the database and the
environment; they are never deployment parameters, which the Prefect UI shows to every operator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlmodel import Session, col, select

from danvan.models.tables import Cycle

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

#: Where served runs load the real flow from (``LazyFlow.prefect``), for workers and the UI.
REMIND_ENTRYPOINT = "danvan.flows.remind:remind.prefect"


@dataclass(frozen=True)
class OpenCycle:
    """What a reminder schedule needs from a cycle: its year, send time and time zone."""

    year: int
    send_at: str  # "HH:MM", local time of ``timezone``
    timezone: str

    @classmethod
    def of(cls, cycle: Cycle) -> OpenCycle:
        return cls(cycle.year, cycle.reminders["send_at"], cycle.timezone)


def open_cycles(session: Session) -> list[OpenCycle]:
    """Cycles not yet published, oldest first: the only ones that still send reminders."""
    stmt = select(Cycle).where(col(Cycle.published_at).is_(None)).order_by(col(Cycle.year))
    return [OpenCycle.of(c) for c in session.exec(stmt).all()]


def daily_cron(send_at: str) -> str:
    """``"08:00"`` → ``"0 8 * * *"``: every day at that local time."""
    hh, mm = (int(x) for x in send_at.split(":"))
    return f"{mm} {hh} * * *"


def reminder_deployment(cycle: OpenCycle) -> RunnerDeployment:
    """The daily ``remind`` deployment of one cycle (not yet registered with any server)."""
    from prefect.schedules import Cron

    from danvan.flows.remind import remind

    deployment = remind.prefect.to_deployment(
        name=f"remind-{cycle.year}",
        schedule=Cron(daily_cron(cycle.send_at), timezone=cycle.timezone),
        parameters={"year": cycle.year},
        description=f"Nhắc hạn kỳ đánh giá {cycle.year}: mỗi ngày lúc {cycle.send_at}.",
        tags=["danvan", "remind", str(cycle.year)],
    )
    # The flow's module attribute is the lazy wrapper; point loaders at the real Prefect flow.
    deployment.entrypoint = REMIND_ENTRYPOINT
    return deployment


def reminder_deployments(source: Session | Iterable[Cycle]) -> list[RunnerDeployment]:
    """One daily reminder deployment per open cycle, from a session or from given cycles."""
    if isinstance(source, Session):
        cycles = open_cycles(source)
    else:
        cycles = [
            OpenCycle.of(c) for c in cast("Iterable[Cycle]", source) if c.published_at is None
        ]
    return [reminder_deployment(c) for c in cycles]
