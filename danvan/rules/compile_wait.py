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


#: Codes of a queued request given up because the Prefect run meant to start it is gone or
#: out of reach: its runner will never come (see :func:`stale_problem`).
RUN_UNKNOWN = "run_unknown"
PREFECT_UNREACHABLE = "prefect_unreachable"


def stale_problem(code: str) -> str:
    """What the compiler's page says of a queued request whose Prefect run is unknown to the
    server (deleted, or the server's database replaced) or whose server does not answer: left
    queued, it would wait for a run that never starts; given up, the next click goes ahead (on
    this machine while Prefect is away)."""
    if code == RUN_UNKNOWN:
        why = "Máy chủ Prefect không còn lần chạy của yêu cầu này (đã bị xoá hoặc máy chủ đã đổi)"
    else:
        why = "Không liên lạc được máy chủ Prefect, nơi yêu cầu này đang chờ chạy"
    return f"{why}; yêu cầu đã được dừng. Bấm Tổng hợp ngay để tổng hợp lại. [{code}]"


CANCELLED = "compile_cancelled"


def cancelled_problem(shown: str, running: bool) -> str:
    """What the compiler's page says of a request cancelled at ``shown`` (local time, written
    out), while it ran or before: a cancelled compile records nothing."""
    when = (
        "khi đang tổng hợp: lần này không được ghi nhận"
        if running
        else "trước khi bắt đầu tổng hợp"
    )
    return f"Đã huỷ lúc {shown}, {when}. Bấm Tổng hợp ngay để tổng hợp lại khi cần. [{CANCELLED}]"


def never_ran(problem: str | None) -> bool:
    """Was a failed request given up before any runner started it? Its code says so: not
    started in time, no ``tong-hop`` deployment, or its Prefect run ended while still queued
    (``run_cancelled``, ``run_crashed``, ``run_unknown``…) or its server out of reach. The page
    then shows no "running" step as passed."""
    if not problem or not problem.endswith("]"):
        return False
    code = problem.rsplit("[", 1)[-1][:-1]
    return code in (CODE, "deployment_missing", PREFECT_UNREACHABLE) or code.startswith("run_")
