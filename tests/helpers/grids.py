"""Literal workbook grids: what the workbook reader sees of a filled workbook, without a file."""

from __future__ import annotations

from typing import Any

from danvan.rules.domain import CriteriaGroup, CriteriaSet, Criterion
from danvan.workbook.layout import IDENTITY_KIND, criteria_fingerprint

CRITERIA = CriteriaSet(
    code="T",
    name="Thử",
    groups=(
        CriteriaGroup("I", "Một", (Criterion("1", "A", 10, "I"), Criterion("2", "B", 20, "I"))),
    ),
    bonus_max=5,
    penalty_max=10,
    bands=(),
)
HEAD = ["Mã", "Tiêu chí", "Điểm tối đa", "Điểm tự chấm", "Không áp dụng", "Minh chứng, ghi chú"]


def sheets(score_rows: list[list[Any]], figure_rows: list[list[Any]], **guide: Any) -> dict:
    identity = [
        ["kind", IDENTITY_KIND],
        ["layout", "1"],
        ["unit", "X"],
        ["year", 2024.0],
        ["criteria_set", "T"],
        ["criteria_fingerprint", criteria_fingerprint(CRITERIA)],
    ]
    who = guide.get("who", "Người lập")
    return {
        "Hướng dẫn": [["Tiêu đề"], [None], ["Người lập báo cáo", who]],
        "Chấm điểm": [["Tiêu đề"], [None], [None], HEAD, *score_rows],
        "Số liệu": [[None], [None], [None], ["Nhóm", "Mã", "Chỉ tiêu", "Số liệu"], *figure_rows],
        "danvan": identity,
    }


GOOD_SCORES = [
    [None, "I. Một", None, None],
    ["1", "A", 10, 9.5],
    [2.0, "B", 20, 20],  # a code Excel turned into a number
    [None, "Điểm thưởng", 5, None],
    [None, "Điểm trừ", 10, 1],
    [None, "Tổng điểm tự chấm", 30, 28.5],
]
