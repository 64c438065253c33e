"""Biên nhận và công bố: the pure parts of a receipt (its number, how a file's size reads) and of
publishing with care (when a reason is needed, which units have sent nothing).

Pure on purpose: every door (CLI, portal, inbox) and the messages read a receipt the same way
because the number and the texts come from here, not from a template or a route.
"""

from __future__ import annotations

from datetime import date

from danvan.rules.errors import reject
from danvan.rules.text import format_decimal, format_int

#: Files a unit sent that are its own (a submission, its report, its evidence), never the
#: compiler's internal bookkeeping: ``compile`` writes these beside its reports.
INTERNAL_FILES = frozenset({".complete", "summary.json"})

ROLE_LABELS = {
    "submission": "Tệp tự đánh giá",
    "report": "Báo cáo",
    "evidence": "Minh chứng",
}


def receipt_number(year: int, unit: str, version: int) -> str:
    """*Số tiếp nhận*: ``TN-2024-QNG.BSN-01``: one per (cycle, unit, version), the same from every
    door and on every re-run, so a unit can quote it and an official can find the version by it
    without a second counter in the database."""
    return f"TN-{year}-{unit}-{version:02d}"


def size_text(size: int) -> str:
    """How a file's size reads in Vietnamese: ``812 byte``, ``12,5 KB``, ``3,25 MB``."""
    if size < 1024:
        return f"{format_int(size)} byte"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, 1)} KB"
    return f"{format_decimal(size / (1024 * 1024), 2)} MB"


def is_internal(name: str) -> bool:
    """A file ``compile`` keeps for itself (never listed or offered as a report)."""
    return name in INTERNAL_FILES or name.startswith(".")


def check_publication(*, today: date, scoring_deadline: date, reason: str) -> None:
    """Publishing before the ``province_scoring`` deadline needs a reason (kept in the audit log);
    on or after that day none is needed. Units that sent nothing are named on the confirmation,
    never a bar: they are published in the cycle's missing band."""
    if today < scoring_deadline and not reason.strip():
        raise reject(
            "publish_reason_required",
            "ly_do",
            "Công bố trước hạn xếp loại của tỉnh (ngày "
            f"{scoring_deadline.strftime('%d/%m/%Y')}) cần ghi lý do; lý do được lưu trong nhật ký.",
        )
