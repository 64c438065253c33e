"""Messages whose delivery is unknown: what officials and operators are told about them.

A message is ``unknown`` when it may have arrived (a time-out, a run cut off while sending): it is
never resent by itself (a retry could deliver it twice), so people must hear of it. One wording
for every place that tells: the line a run prints when it leaves some (``remind``, ``publish``,
``resend``, and their Prefect runs' state), and what ``status`` and the portal's province page
say to do. Light on purpose: ``status`` imports it without the notifier.
"""

from __future__ import annotations

#: The code of the line a run prints when it leaves messages ``unknown``.
CODE = "unknown_deliveries"

#: What an official does about a message whose delivery is unknown.
WHAT_TO_DO = (
    "Chưa rõ đơn vị đã nhận hay chưa (không có trả lời trong thời gian chờ, hoặc lượt gửi bị dừng "
    "giữa chừng); hệ thống không tự gửi lại để tránh gửi trùng. Hãy hỏi đơn vị nhận; tin nào "
    "chưa đến thì gửi lại bằng lệnh dưới đây (mỗi tin được gửi đúng một lần)."
)


def resend_command(year: int) -> str:
    """The command that sends them again, as an official types it."""
    return f"danvan resend --cycle {year} [--unit MÃ] [--kind LOẠI]"


def unknown_line(year: int, count: int) -> str:
    """What a run says when it leaves ``count`` messages ``unknown`` (one line, with its code)."""
    return (
        f"{count} tin chưa rõ đã đến hay chưa (không có trả lời trong thời gian chờ, hoặc lượt "
        "gửi bị dừng giữa chừng): không tự gửi lại. Hãy hỏi đơn vị nhận; tin nào chưa đến thì "
        f"gửi lại: {resend_command(year)} [{CODE}]"
    )
