"""After a command has recorded its step: tell Prefect, if there is one (never required).

``plan issue`` and ``publish`` bring the cycle's scheduled runs in line with the calendar;
``submit``, ``appraise`` and ``remind`` ask the served ``theo-doi`` flow to refresh the progress
artifact and start any compilation that is now complete; ``approve`` answers a publication run
waiting for the sign-off. Whatever happens here, the command's own result stands: Prefect down is
one line on stderr, a refusal is one line too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from danvan.cli.common import err


def _years(years: Iterable[int] | None) -> list[int]:
    if years is not None:
        return sorted(set(years))
    from sqlmodel import col, select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import Cycle

    with reading(get_engine()) as session:
        stmt = select(Cycle.year).where(col(Cycle.published_at).is_(None))
        return sorted(set(session.exec(stmt).all()))


def check_reachable() -> None:
    """For read commands (``status``): one line when a configured Prefect is down, else nothing."""
    from danvan.runtime.api import configured_api_url, reachable, say_unreachable

    url = configured_api_url()
    if url and not reachable(url):
        say_unreachable(url)


def report(action: str, at: datetime, years: Iterable[int] | None = None) -> None:
    """``action``: plan | publish (the calendar), submit | appraise | remind (a follow-up run)."""
    from danvan.runtime.api import PrefectUnavailable, configured_api_url, connect

    if not configured_api_url():
        return
    rest = connect()
    if rest is None:
        return
    from danvan.tasks.calendar import follow_up, sync_calendar

    try:
        with rest:
            for year in _years(years):
                if action in ("plan", "publish"):
                    done = sync_calendar(rest, year)
                    if done.missing_deployments:
                        err(
                            f"Prefect: chưa có deployment {', '.join(done.missing_deployments)}; "
                            "lịch sẽ được tạo khi chạy 'danvan serve'. [prefect_not_served]"
                        )
                elif not follow_up(rest, year, at, action):
                    err("Prefect: chưa có deployment 'theo-doi' (chạy 'danvan serve').")
    except PrefectUnavailable as exc:
        err(f"Prefect không nhận cập nhật ({exc}); đã ghi vào cơ sở dữ liệu. [prefect_unreachable]")


def resume_sign_off(year: int, decision: dict) -> bool:
    """Answer the publication run waiting for this cycle's sign-off, if one is waiting."""
    from danvan.runtime.api import PrefectUnavailable, configured_api_url, connect
    from danvan.tasks.calendar import planned_runs_label

    if not configured_api_url():
        return False
    rest = connect()
    if rest is None:
        return False
    try:
        with rest:
            label = planned_runs_label(year)
            waiting = rest.runs(["danvan", label, "xep-loai"], states=["PAUSED"])
            for run in waiting:
                rest.resume(run["id"], decision)
            return bool(waiting)
    except PrefectUnavailable as exc:
        err(f"Prefect không nhận cập nhật ({exc}); đã ghi vào cơ sở dữ liệu. [prefect_unreachable]")
        return False
