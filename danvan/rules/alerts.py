"""Báo người vận hành: which Prefect runs an operator must hear about, and what they read. Pure:
runs as the Prefect API returns them (JSON dicts), the instant, out come the alerts.

SPEC §5: a run that failed or crashed, a run whose deliveries all failed (its state is named
``Gửi lỗi``), a sign-off still waiting a day after its scheduled time. Each alert's key is the
run's id and the reason, so the caller tells each once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pendulum

#: A sign-off may wait this long after its scheduled time before an operator is told.
SIGNOFF_GRACE = timedelta(days=1)
#: The state name of a run whose deliveries all failed (``danvan.runtime.lazy.outcome``).
DELIVERIES_FAILED = "Gửi lỗi"

WHAT = {
    "failed": "bị lỗi (Failed)",
    "crashed": "bị dừng đột ngột (Crashed): máy chạy hoặc worker đã mất liên lạc",
    "deliveries_failed": "đã chạy xong nhưng mọi tin nhắn đều gửi lỗi",
    "signoff_waiting": "vẫn chờ tỉnh phê duyệt kết quả, đã quá một ngày so với lịch",
}
TODO = {
    "failed": "Xem nhật ký của lượt chạy; chạy lại được an toàn (không gửi trùng).",
    "crashed": "Kiểm tra worker/danvan serve; chạy lại lượt này được an toàn (không gửi trùng).",
    "deliveries_failed": "Kiểm tra địa chỉ liên hệ và kênh gửi; lượt nhắc sau gửi lại tin lỗi.",
    "signoff_waiting": "Đề nghị tỉnh phê duyệt: danvan approve, cổng thông tin, hoặc biểu mẫu "
    "trên Prefect.",
}


@dataclass(frozen=True)
class Alert:
    run_id: str
    run_name: str
    reason: str  # failed | crashed | deliveries_failed | signoff_waiting
    subject: str
    body: str

    @property
    def key(self) -> str:
        return f"{self.run_id}:{self.reason}"


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = pendulum.parse(value)
    return parsed if isinstance(parsed, datetime) else None


def reason_of(run: dict, at: datetime) -> str | None:
    """Why an operator must hear about ``run`` at ``at`` (None: no need)."""
    state = run.get("state") or {}
    kind, name = state.get("type"), state.get("name")
    if kind == "FAILED":
        return "failed"
    if kind == "CRASHED":
        return "crashed"
    if kind == "COMPLETED" and name == DELIVERIES_FAILED:
        return "deliveries_failed"
    if kind == "PAUSED":
        expected = _instant(run.get("expected_start_time"))
        if expected is not None and at - expected >= SIGNOFF_GRACE:
            return "signoff_waiting"
    return None


_URL = re.compile(r"\S+://\S+")


def _safe(message: str, limit: int = 300) -> str:
    """A state's message without any URL (a contact address may carry a token), cut short."""
    text = _URL.sub("[địa chỉ ẩn]", " ".join(message.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alerts_for(runs: Iterable[dict], at: datetime, tz: str, ui: str | None) -> list[Alert]:
    """The alerts ``runs`` call for at ``at``; times shown in ``tz``, links to the UI at ``ui``."""
    out = []
    for run in runs:
        reason = reason_of(run, at)
        if reason is None:
            continue
        state = run.get("state") or {}
        name = str(run.get("name") or run["id"])
        when = _instant(state.get("timestamp")) or at
        local = pendulum.instance(when).in_timezone(tz).format("HH:mm [ngày] DD/MM/YYYY")
        lines = [f"Lượt chạy {name} {WHAT[reason]} (trạng thái lúc {local})."]
        if state.get("message") and reason != "signoff_waiting":
            lines.append(f"Thông báo của Prefect: {_safe(str(state['message']))}")
        lines.append(TODO[reason])
        if ui:
            lines.append(f"Xem trên Prefect: {ui.rstrip('/')}/runs/flow-run/{run['id']}")
        subject = f"[danvan] Lượt chạy {name}: {WHAT[reason].split(',')[0].split(':')[0]}"
        out.append(Alert(str(run["id"]), name, reason, subject, "\n".join(lines)))
    return out


def compile_not_started(
    *,
    request_id: int,
    compiler: str,
    year: int,
    asked: datetime,
    wait: str,
    run_id: str | None,
    tz: str,
    ui: str | None,
) -> Alert:
    """The operators' alert for a Tổng hợp ngay that no runner took within ``wait`` (a text such
    as ``10 phút``): keyed by the request, so that it is told once whoever reads it first."""
    name = f"tong-hop-ngay-{compiler}-{request_id}"
    local = pendulum.instance(asked).in_timezone(tz).format("HH:mm [ngày] DD/MM/YYYY")
    lines = [
        f"Yêu cầu Tổng hợp ngay số {request_id} của {compiler} (kỳ {year}), gửi lúc {local}, chưa "
        f"được tiến trình nào nhận sau {wait}; đã ghi là không thành [compile_not_started]"
        + (" và lượt chạy trên Prefect đã được huỷ." if run_id else "."),
        "Kiểm tra worker (prefect worker start --pool …) hoặc danvan serve, và work pool / hàng "
        "đợi có đang tạm dừng (Paused) không. Sau khi sửa, đơn vị bấm Tổng hợp ngay lại được.",
    ]
    if ui and run_id:
        lines.append(f"Xem trên Prefect: {ui.rstrip('/')}/runs/flow-run/{run_id}")
    subject = f"[danvan] Tổng hợp ngay của {compiler}: chưa có tiến trình nào nhận việc"
    key = run_id or f"compile-request-{request_id}"
    return Alert(key, name, "compile_not_started", subject, "\n".join(lines))
