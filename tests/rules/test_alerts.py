"""Which Prefect runs the operators hear about, and what they read (SPEC §5), on literal runs."""

from __future__ import annotations

import pendulum
import pytest

from danvan.rules.alerts import alerts_for, reason_of

AT = pendulum.datetime(2027, 11, 23, 9, 0, tz="Asia/Ho_Chi_Minh")


def run(kind: str, name: str = "", expected: str = "2027-11-21T02:00:00Z", **state: str) -> dict:
    return {
        "id": "9b1d6f0e-0000-4000-8000-000000000001",
        "name": "tong-hop-QNG.BSN-2027",
        "expected_start_time": expected,
        "state": {"type": kind, "name": name or kind.title(), "timestamp": "2027-11-22T01:30:00Z"}
        | state,
    }


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (run("FAILED"), "failed"),
        (run("CRASHED"), "crashed"),
        (run("COMPLETED", "Gửi lỗi"), "deliveries_failed"),
        (run("COMPLETED"), None),
        (run("COMPLETED", "Chưa rõ đã gửi"), None),
        (run("PAUSED", "Suspended", expected="2027-11-22T02:00:00Z"), "signoff_waiting"),  # 1 day
        (run("PAUSED", "Suspended", expected="2027-11-22T02:00:01Z"), None),
        (run("RUNNING"), None),
        (run("SCHEDULED"), None),
    ],
)
def test_reason_of(given, reason):
    assert reason_of(given, AT) == reason


def test_an_alert_is_vietnamese_local_time_linked_and_carries_no_contact_address():
    failing = run("FAILED", message="Lỗi gửi tới json://user:s3cret@hook.example/x: HTTP 500")
    [alert] = alerts_for([failing], AT, "Asia/Ho_Chi_Minh", "http://127.0.0.1:4200")
    assert alert.key == f"{failing['id']}:failed"
    assert alert.subject == "[danvan] Lượt chạy tong-hop-QNG.BSN-2027: bị lỗi (Failed)"
    assert "08:30 ngày 22/11/2027" in alert.body
    assert "s3cret" not in alert.body and "[địa chỉ ẩn]" in alert.body
    assert f"http://127.0.0.1:4200/runs/flow-run/{failing['id']}" in alert.body
    assert alerts_for([run("COMPLETED")], AT, "Asia/Ho_Chi_Minh", None) == []
