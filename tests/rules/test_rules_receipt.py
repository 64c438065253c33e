"""The receipt's number and sizes, the internal files, and when publishing needs a reason."""

from __future__ import annotations

from datetime import date

import pytest

from danvan.rules.errors import Rejected
from danvan.rules.receipt import check_publication, is_internal, receipt_number, size_text


@pytest.mark.parametrize(
    ("year", "unit", "version", "number"),
    [
        (2024, "QNG.BSN", 1, "TN-2024-QNG.BSN-01"),
        (2024, "QNG.BSN.X01", 12, "TN-2024-QNG.BSN.X01-12"),
        (2027, "QNG", 105, "TN-2027-QNG-105"),
    ],
)
def test_receipt_number(year: int, unit: str, version: int, number: str) -> None:
    assert receipt_number(year, unit, version) == number


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 byte"),
        (812, "812 byte"),
        (1023, "1.023 byte"),
        (1024, "1 KB"),
        (12_800, "12,5 KB"),
        (1024 * 1024, "1 MB"),
        (3_407_872, "3,25 MB"),
        (52_428_800, "50 MB"),
    ],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        (".complete", True),
        ("summary.json", True),
        (".hidden", True),
        ("bao-cao-QNG.BSN-2024.docx", False),
        ("tong-hop.xlsx", False),
    ],
)
def test_internal_files(name: str, internal: bool) -> None:
    assert is_internal(name) is internal


@pytest.mark.parametrize(
    ("today", "reason", "allowed"),
    [
        (date(2024, 12, 3), "", False),
        (date(2024, 12, 3), "   ", False),
        (date(2024, 12, 3), "Chủ tịch UBND tỉnh chỉ đạo công bố sớm", True),
        (date(2024, 12, 10), "", True),
        (date(2024, 12, 11), "", True),
    ],
)
def test_publication_before_scoring_needs_a_reason(today: date, reason: str, allowed: bool) -> None:
    deadline = date(2024, 12, 10)
    if allowed:
        check_publication(today=today, scoring_deadline=deadline, reason=reason)
        return
    with pytest.raises(Rejected) as exc:
        check_publication(today=today, scoring_deadline=deadline, reason=reason)
    (problem,) = exc.value.problems
    assert (problem.code, problem.field) == ("publish_reason_required", "ly_do")
    assert "10/12/2024" in problem.message
