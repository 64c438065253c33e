"""Tổng hợp ngay that no runner takes (issue 18's loose end): when a queued request is given up,
and what the compiler reads then. Pure: instants and the wait in, a yes/no and a sentence out.

Why a bounded wait: with a Prefect server and no worker (or its work pool paused), the run of
``tong-hop`` stays Scheduled and the request "queued" for ever; the page would refresh for ever
and the next click would join the same request. After the wait the request is failed, so the
compiler sees why and may ask again, and the operators are told (``danvan.rules.alerts``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

CODE = "compile_not_started"


def wait_of(minutes: float) -> timedelta:
    """The setting (``DANVAN_COMPILE_START_MINUTES``) as a duration."""
    return timedelta(minutes=minutes)


def not_started_in_time(asked: datetime, at: datetime, wait: timedelta) -> bool:
    """Is a request asked at ``asked`` and still queued at ``at`` past its wait?"""
    return at - asked >= wait


def minutes_text(wait: timedelta) -> str:
    """``10 phút``, ``1,5 phút`` (a Vietnamese decimal comma)."""
    minutes = wait.total_seconds() / 60
    shown = f"{minutes:g}" if minutes == int(minutes) else f"{minutes:.1f}".replace(".", ",")
    return f"{shown} phút"


def not_started_problem(wait: timedelta) -> str:
    """What the compiler's page says of a request given up."""
    return (
        f"Chưa có tiến trình nào nhận việc tổng hợp sau {minutes_text(wait)}; báo cho quản trị "
        f"hệ thống. Có thể bấm Tổng hợp ngay để thử lại. [{CODE}]"
    )


def never_ran(problem: str | None) -> bool:
    """Was a failed request given up before any runner started it? Its code says so: not
    started in time, no ``tong-hop`` deployment, or its Prefect run ended while still queued
    (``run_cancelled``, ``run_crashed``, …). The page then shows no "running" step as passed."""
    if not problem or not problem.endswith("]"):
        return False
    code = problem.rsplit("[", 1)[-1][:-1]
    return code in (CODE, "deployment_missing") or code.startswith("run_")
