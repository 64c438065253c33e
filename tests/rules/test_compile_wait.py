"""Tổng hợp ngay nobody takes: when a queued request is given up, what the compiler reads, and
the operators' alert (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from danvan.rules.alerts import compile_not_started
from danvan.rules.compile_wait import (
    minutes_text,
    never_ran,
    not_started_in_time,
    not_started_problem,
    wait_of,
)

ASKED = datetime(2024, 11, 21, 2, 0, tzinfo=UTC)  # 09:00 in Asia/Ho_Chi_Minh


def test_the_wait_counts_from_the_request() -> None:
    wait = wait_of(10)
    assert not not_started_in_time(ASKED, ASKED + timedelta(minutes=9, seconds=59), wait)
    assert not_started_in_time(ASKED, ASKED + timedelta(minutes=10), wait)
    assert minutes_text(wait) == "10 phút" and minutes_text(wait_of(1.5)) == "1,5 phút"
    problem = not_started_problem(wait)
    assert problem.startswith("Chưa có tiến trình nào nhận việc tổng hợp sau 10 phút; báo cho")
    assert problem.endswith("[compile_not_started]")


def test_the_alert_names_the_request_and_its_run_once() -> None:
    run = "7f3c2a9e-0000-4000-8000-00000000abcd"
    alert = compile_not_started(request_id=7, compiler="QNG.BSN", year=2024, asked=ASKED,
                                wait="10 phút", run_id=run, tz="Asia/Ho_Chi_Minh",
                                ui="http://127.0.0.1:4200")  # fmt: skip
    assert alert.key == f"{run}:compile_not_started" and alert.run_name == "tong-hop-ngay-QNG.BSN-7"
    assert "09:00 ngày 21/11/2024" in alert.body and "đã được huỷ" in alert.body
    assert alert.body.endswith(f"http://127.0.0.1:4200/runs/flow-run/{run}")
    without = compile_not_started(request_id=8, compiler="QNG.BSN", year=2024, asked=ASKED,
                                  wait="10 phút", run_id=None, tz="Asia/Ho_Chi_Minh", ui=None)  # fmt: skip
    assert without.key == "compile-request-8:compile_not_started"
    assert "huỷ" not in without.body and "Prefect:" not in without.body


def test_a_request_given_up_while_queued_never_ran() -> None:
    """The page's "Đang tổng hợp" step is shown passed only for a request a runner started."""
    assert never_ran(not_started_problem(timedelta(minutes=10)))
    assert never_ran("… (danvan serve). [deployment_missing]")
    assert never_ran("Lần chạy trên Prefect đã dừng (Cancelled) … [run_cancelled]")
    assert not never_ran("Máy chủ không ghi được các tệp báo cáo. [os_error]")
    assert not never_ran("Lần tổng hợp bị gián đoạn. [compile_interrupted]")
    assert not never_ran(None) and not never_ran("không mã")


def test_a_request_whose_run_is_gone_says_why_and_never_ran() -> None:
    """Given up at once when its Prefect run is unknown to the server or the server does not
    answer: a Vietnamese reason, what to do, its code; the "running" step not passed."""
    from danvan.rules.compile_wait import PREFECT_UNREACHABLE, RUN_UNKNOWN, stale_problem

    unknown, away = stale_problem(RUN_UNKNOWN), stale_problem(PREFECT_UNREACHABLE)
    assert unknown.startswith("Máy chủ Prefect không còn lần chạy của yêu cầu này")
    assert away.startswith("Không liên lạc được máy chủ Prefect")
    for problem, code in ((unknown, RUN_UNKNOWN), (away, PREFECT_UNREACHABLE)):
        assert "Bấm Tổng hợp ngay" in problem and problem.endswith(f"[{code}]")
        assert never_ran(problem)


def test_a_cancelled_request_says_when_and_how() -> None:
    from danvan.rules.compile_wait import cancelled_problem

    running = cancelled_problem("09:05 ngày 21/11/2024", running=True)
    assert running.startswith("Đã huỷ lúc 09:05 ngày 21/11/2024, khi đang tổng hợp")
    assert "không được ghi nhận" in running and running.endswith("[compile_cancelled]")
    assert "trước khi bắt đầu tổng hợp" in cancelled_problem("09:05", running=False)
