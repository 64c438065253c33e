"""After a step is recorded: tell Prefect, if there is one (never required), for every door.

``plan issue`` and ``publish`` bring the cycle's scheduled runs in line with the calendar;
``submit``, ``appraise``, ``return`` and ``remind`` ask the served ``theo-doi`` flow to refresh the
progress artifact and start any compilation that is now complete; ``approve`` answers a
publication run waiting for the sign-off. The CLI and the portal call the same functions after
the same steps. Whatever happens here, the step's own result stands: Prefect down or a missing
deployment comes back as a :class:`Notice` (a line for the official, a code for the logs), which
the CLI prints on stderr and the portal logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from danvan.runtime.api import (
    UNREACHABLE_CODE,
    PrefectUnavailable,
    configured_api_url,
    connect,
    reachable,
    unreachable_line,
)
from danvan.tasks.calendar import follow_up, open_years, planned_runs_label, sync_calendar


@dataclass(frozen=True)
class Notice:
    """Something an official should know about Prefect; the step itself is recorded."""

    text: str
    code: str

    def line(self) -> str:
        return f"{self.text} [{self.code}]"


def _unreachable(exc: Exception) -> Notice:
    return Notice(
        f"Prefect không nhận cập nhật ({exc}); đã ghi vào cơ sở dữ liệu.", "prefect_unreachable"
    )


def reachability() -> list[Notice]:
    """For read commands (``status``): a notice when a configured Prefect is down."""
    url = configured_api_url()
    if url and not reachable(url):
        return [Notice(unreachable_line(url), UNREACHABLE_CODE)]
    return []


def tell_prefect(action: str, at: datetime, years: Iterable[int] | None = None) -> list[Notice]:
    """``action``: plan | publish (the calendar), submit | appraise | return | remind (a
    follow-up run), for ``years`` (default: every open cycle)."""
    if not configured_api_url():
        return []
    rest = connect()
    if rest is None:
        return []
    notices: list[Notice] = []
    try:
        with rest:
            for year in sorted(set(years)) if years is not None else open_years():
                if action in ("plan", "publish"):
                    done = sync_calendar(rest, year)
                    if done.missing_deployments:
                        notices.append(
                            Notice(
                                f"Prefect: chưa có deployment "
                                f"{', '.join(done.missing_deployments)}; lịch sẽ được tạo khi chạy "
                                "'danvan serve'.",
                                "prefect_not_served",
                            )
                        )
                elif not follow_up(rest, year, at, action):
                    notices.append(
                        Notice(
                            "Prefect: chưa có deployment 'theo-doi' (chạy 'danvan serve').",
                            "prefect_not_served",
                        )
                    )
    except PrefectUnavailable as exc:
        notices.append(_unreachable(exc))
    return notices


def resume_publication(year: int, approve: bool, note: str) -> tuple[bool, list[Notice]]:
    """Answer the publication run waiting for this cycle's sign-off, if one is waiting."""
    if not configured_api_url():
        return False, []
    rest = connect()
    if rest is None:
        return False, []
    try:
        with rest:
            waiting = rest.runs(["danvan", planned_runs_label(year), "xep-loai"], states=["PAUSED"])
            for run in waiting:
                rest.resume(run["id"], {"approve": approve, "note": note})
            return bool(waiting), []
    except PrefectUnavailable as exc:
        return False, [_unreachable(exc)]
