"""After a step is recorded: tell Prefect, if there is one (never required), for every door.

Every acting command (``plan issue``, ``plan amend``, ``submit``, ``appraise``, ``return``,
``remind``, ``publish``) asks for one run of the served ``theo-doi`` flow, the reconciliation: it
brings the cycle's scheduled runs in line with the plan in force, refreshes the progress
artifact and starts any compilation that is now complete. One request, so the command costs the
same with a Prefect API as without (the calendar's dozens of runs are that run's work).
``approve`` answers the publication runs waiting for the sign-off, found by deployment and year.
The CLI and the portal call the same functions after the same steps. Whatever happens here, the
step's own result stands: Prefect down or a missing deployment comes back as a :class:`Notice`
(a line for the official, a code for the logs), which the CLI prints on stderr and the portal
logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# ``tasks.calendar`` (the cycle's Prefect calendar) is imported where a Prefect API is used:
# ``status`` asks only :func:`reachability`, and without a Prefect API nothing here needs it.
from danvan.runtime.api import (
    UNREACHABLE_CODE,
    PrefectRest,
    PrefectUnavailable,
    configured_api_url,
    connect,
    reachable,
    unreachable_line,
)


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
    """One follow-up run (``theo-doi``) per year of ``years`` (default: every open cycle) after
    ``action`` (plan | amend | publish | submit | appraise | return | remind): it reconciles the
    calendar, refreshes progress and starts complete compilations. One request per year, so the
    official's command costs the same with a Prefect API as without, whatever the calendar."""
    if not configured_api_url():
        return []
    from danvan.tasks.calendar import follow_up, open_years  # only with a Prefect API (below)

    rest = connect()
    if rest is None:
        return []
    notices: list[Notice] = []
    try:
        with rest:
            for year in sorted(set(years)) if years is not None else open_years():
                # plan/publish too: the calendar's dozens of runs are made by the reconciliation
                # run (theo-doi), not inside the official's command (≤ 1 s with a Prefect API)
                if not follow_up(rest, year, at, action):
                    notices.append(
                        Notice(
                            "Prefect: chưa có deployment 'theo-doi'; lịch và tiến độ sẽ được cập "
                            "nhật khi chạy 'danvan serve' (hoặc 'danvan deploy' và worker).",
                            "prefect_not_served",
                        )
                    )
    except PrefectUnavailable as exc:
        notices.append(_unreachable(exc))
    return notices


def waiting_publications(rest: PrefectRest, year: int) -> list[dict]:
    """The publication runs of ``year`` waiting for the sign-off, however they were started: by
    the calendar (tagged), the UI's button or ``prefect deployment run`` (untagged). Found by
    their deployment (``xep-loai``) and their ``year`` parameter, not by tags."""
    from danvan.tasks.calendar import DEPLOYMENTS

    deployment = rest.deployment_id(*DEPLOYMENTS["xep-loai"])
    if deployment is None:
        return []
    paused = rest.runs([], states=["PAUSED"], deployment=deployment)
    return [r for r in paused if str((r.get("parameters") or {}).get("year")) == str(year)]


def release_publications(rest: PrefectRest, year: int, approve: bool, note: str) -> int:
    """Answer every publication run of ``year`` waiting for the sign-off with the decision."""
    waiting = waiting_publications(rest, year)
    for run in waiting:
        rest.resume(run["id"], {"approve": approve, "note": note})
    return len(waiting)


def resume_publication(year: int, approve: bool, note: str) -> tuple[bool, list[Notice]]:
    """Answer the publication run waiting for this cycle's sign-off, if one is waiting."""
    if not configured_api_url():
        return False, []
    rest = connect()
    if rest is None:
        return False, []
    try:
        with rest:
            return bool(release_publications(rest, year, approve, note)), []
    except PrefectUnavailable as exc:
        return False, [_unreachable(exc)]
