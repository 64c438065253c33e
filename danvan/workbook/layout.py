"""Sổ tự chấm điểm: the workbook a unit fills in (SPEC §3.4.1), as data — its layout and identity.

The *layout* lives here, pure: which criterion sits in which row, which figure in which row,
what the guide says. :mod:`danvan.workbook.draw` turns it into an XLSX with openpyxl;
:mod:`danvan.workbook.read` reads a filled copy back, finding rows by the names decided here.

The hidden identity sheet is decided here too, with what recognises it (:func:`is_template`,
:func:`check_identity`): a workbook made for another unit or for an older version of the
criteria set is refused instead of read wrongly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from danvan.rules.domain import FIGURE_GROUPS, CriteriaSet
from danvan.rules.errors import Problems
from danvan.rules.labels import FIELD_LABELS, GROUP_LABELS
from danvan.rules.text import format_date_long, normalize_text

LAYOUT_VERSION = "1"
SHEET_GUIDE = "Hướng dẫn"
SHEET_SCORES = "Chấm điểm"
SHEET_FIGURES = "Số liệu"
SHEET_IDENTITY = "danvan"
SCORE_HEADERS = (
    "Mã",
    "Tiêu chí",
    "Điểm tối đa",
    "Điểm tự chấm",
    "Không áp dụng",
    "Minh chứng, ghi chú",
)
FIGURE_HEADERS = ("Nhóm", "Mã", "Chỉ tiêu", "Số liệu")
BONUS_LABEL = "Điểm thưởng"
PENALTY_LABEL = "Điểm trừ"
TOTAL_LABEL = "Tổng điểm tự chấm"
SUBMITTED_BY_LABEL = "Người lập báo cáo"
REPORT_LABEL = "Tệp báo cáo thuyết minh"
#: Per-unit values the writer swaps into a layout shared by every unit of a criteria set.
UNIT_CODE = "@@UNIT_CODE@@"
UNIT_NAME = "@@UNIT_NAME@@"
IDENTITY_KIND = "danvan/tu-danh-gia"

GUIDE_FIRST_ROW = 3
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
SCORE_COL = "D"
FIGURE_COL = "D"

#: Row of each key on the identity sheet (column A key, column B value).
IDENTITY_ROWS = {
    k: i + 1
    for i, k in enumerate(
        ("kind", "layout", "unit", "year", "criteria_set", "criteria_fingerprint")
    )
}

RowKind = Literal["group", "criterion", "bonus", "penalty", "total"]


@dataclass(frozen=True)
class ScoreRow:
    row: int
    kind: RowKind
    code: str
    label: str
    max: float | None = None


@dataclass(frozen=True)
class FigureRow:
    row: int
    group: str
    field: str | None  # None: the group's heading row
    label: str


@dataclass(frozen=True)
class WorkbookLayout:
    """Everything the workbook of one criteria set shows; the unit is a placeholder."""

    year: int
    title: str
    criteria: CriteriaSet
    fingerprint: str
    guide: tuple[tuple[str, str], ...]
    instructions: tuple[str, ...]
    score_rows: tuple[ScoreRow, ...]
    figure_rows: tuple[FigureRow, ...]
    identity: tuple[tuple[str, str], ...]

    @property
    def input_rows(self) -> tuple[int, ...]:
        """The guide's rows a person fills in (who prepared it, the report's file name)."""
        labels = [label for label, _ in self.guide]
        return tuple(GUIDE_FIRST_ROW + labels.index(x) for x in (SUBMITTED_BY_LABEL, REPORT_LABEL))

    def row_of(self, kind: RowKind) -> int:
        return next(r.row for r in self.score_rows if r.kind == kind)

    @property
    def criterion_span(self) -> tuple[int, int]:
        rows = [r.row for r in self.score_rows if r.kind == "criterion"]
        return min(rows), max(rows)

    @property
    def total_formula(self) -> str:
        """The live total, computed as danvan computes it (scoring.unit_total): an N/A mark in
        column E counts the criterion at its max (column C) under ``full_marks``; under
        ``rescale`` the criteria part is earned ÷ the maxima not marked × 100, rounded to 2
        decimals (100 when every criterion is marked), then bonus and penalty (issue 17)."""
        first, last = self.criterion_span
        d, c, e = (f"{x}{first}:{x}{last}" for x in (SCORE_COL, "C", "E"))
        adjust = f"+{SCORE_COL}{self.row_of('bonus')}-{SCORE_COL}{self.row_of('penalty')}"
        marked = f'SUMIF({e},"<>",{c})'
        if self.criteria.not_applicable == "rescale":
            return f"=IFERROR(ROUND(SUM({d})/(SUM({c})-{marked})*100,2),100){adjust}"
        return f"=SUM({d})+{marked}{adjust}"


def kind_max(criteria: CriteriaSet, kind: str | None) -> float:
    """The most a unit of ``kind`` can score on its criteria (before bonus)."""
    return float(sum(c.max for c in criteria.criteria_for_kind(kind)))


def criteria_shown(criteria: CriteriaSet, kind: str | None) -> tuple[str, ...]:
    """The criteria codes a unit's workbook lists: units whose lists agree share one drawing."""
    return tuple(c.code for c in criteria.criteria_for_kind(kind))


def file_name(code: str, year: int) -> str:
    """``<code>-tu-danh-gia-<year>.xlsx`` (SPEC §3.4.1)."""
    return f"{code}-tu-danh-gia-{year}.xlsx"


def criteria_fingerprint(criteria: CriteriaSet) -> str:
    """A short hash of what a workbook depends on: codes, maxima, bonus and penalty limits.

    A workbook made for an older version of the set (a criterion added, a maximum changed)
    no longer matches and is refused instead of read wrongly.
    """
    shape = {
        "code": criteria.code,
        "criteria": [[c.code, c.max] for c in criteria.criteria],
        "bonus_max": criteria.bonus_max,
        "penalty_max": criteria.penalty_max,
    }
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
    return digest[:16]


def build_layout(
    criteria: CriteriaSet,
    *,
    year: int,
    reference: str,
    deadline: date,
    title: str = "",
    kind: str | None = None,
) -> WorkbookLayout:
    """The layout shared by every unit of ``kind`` assessed with ``criteria`` in the cycle of
    ``year``: only the criteria of that kind (``kinds:``), and their maximum as the total's."""
    rows: list[ScoreRow] = []
    n = FIRST_ROW
    mine = {c.code for c in criteria.criteria_for_kind(kind)}
    for g in criteria.groups:
        if not any(c.code in mine for c in g.criteria):
            continue
        rows.append(ScoreRow(n, "group", g.code, f"{g.code}. {g.name}"))
        n += 1
        for c in g.criteria:
            if c.code in mine:
                rows.append(ScoreRow(n, "criterion", c.code, c.name, c.max))
                n += 1
    most = 100.0 if criteria.not_applicable == "rescale" else kind_max(criteria, kind)
    rows.append(ScoreRow(n, "bonus", "", BONUS_LABEL, criteria.bonus_max))
    rows.append(ScoreRow(n + 1, "penalty", "", PENALTY_LABEL, criteria.penalty_max))
    rows.append(ScoreRow(n + 2, "total", "", TOTAL_LABEL, most))
    figures: list[FigureRow] = []
    n = FIRST_ROW
    for group, names in FIGURE_GROUPS.items():
        figures.append(FigureRow(n, group, None, GROUP_LABELS[group]))
        n += 1
        for name in names:
            figures.append(FigureRow(n, group, name, FIELD_LABELS[group][name]))
            n += 1
    deadline_text = format_date_long(deadline)
    guide = (
        ("Đơn vị", UNIT_NAME),
        ("Mã đơn vị", UNIT_CODE),
        ("Kỳ đánh giá", f"Năm {year}"),
        ("Kế hoạch", reference or title),
        ("Hạn nộp", deadline_text.capitalize()),
        ("Bộ tiêu chí", f"{criteria.code} — {criteria.name}"),
        (SUBMITTED_BY_LABEL, ""),
        (REPORT_LABEL, ""),
    )
    instructions = (
        f"1. Ghi họ tên, chức vụ người lập báo cáo vào ô “{SUBMITTED_BY_LABEL}” ở trên; "
        f"tên tệp báo cáo thuyết minh gửi kèm (ví dụ bao-cao-2024.docx) vào ô “{REPORT_LABEL}”.",
        f"2. Trang “{SHEET_SCORES}”: ghi điểm tự chấm từng tiêu chí vào cột “Điểm tự chấm”, "
        "từ 0 đến điểm tối đa, theo bước 0,25 (ví dụ 9,5 hoặc 9,75). Không để trống tiêu chí "
        "nào. Ghi điểm thưởng, điểm trừ (nếu có). Tên tệp minh chứng (ví dụ ke-hoach.pdf) ghi "
        "ở cột “Minh chứng, ghi chú” và gửi kèm.",
        f"3. Trang “{SHEET_SCORES}”: chỉ tiêu chí được phép mới đánh dấu x ở cột "
        "“Không áp dụng”, kèm lý do ở cột ghi chú.",
        f"4. Trang “{SHEET_FIGURES}”: ghi số nguyên, không dấu chấm, dấu phẩy (ví dụ 2473). "
        "Nhóm nào không phát sinh thì để trống cả nhóm (hiểu là 0); đã ghi một ô thì ghi đủ "
        "cả nhóm (ghi 0 nếu không có).",
        "5. Không đổi tên trang, không xóa hay sửa cột “Mã”, “Nhóm”; có thể chèn dòng ghi chú.",
        f"6. Lưu tệp dạng .xlsx (không đặt mật khẩu, không macro) và gửi lại trước "
        f"{deadline_text} qua cổng thông tin, thư điện tử hoặc thư mục tiếp nhận, kèm báo cáo "
        "thuyết minh và các tệp minh chứng.",
    )
    values = {
        "kind": IDENTITY_KIND,
        "layout": LAYOUT_VERSION,
        "unit": UNIT_CODE,
        "year": str(year),
        "criteria_set": criteria.code,
        "criteria_fingerprint": criteria_fingerprint(criteria),
    }
    identity = tuple((k, values[k]) for k in IDENTITY_ROWS)
    return WorkbookLayout(
        year=year,
        title=f"BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {year}",
        criteria=criteria,
        fingerprint=criteria_fingerprint(criteria),
        guide=guide,
        instructions=instructions,
        score_rows=tuple(rows),
        figure_rows=tuple(figures),
        identity=identity,
    )


def is_template(sheet_names: Sequence[str]) -> bool:
    """Does this workbook come from ``danvan template`` (it has the identity sheet)?"""
    return SHEET_IDENTITY in {normalize_text(n) for n in sheet_names}


def check_identity(
    identity: Mapping[str, str],
    *,
    unit: str,
    criteria: CriteriaSet,
    expected_unit: str | None = None,
) -> None:
    """Was this workbook made for this unit, with the criteria set the cycle uses now?"""
    p = Problems()
    at = f"{SHEET_IDENTITY}!B{IDENTITY_ROWS['criteria_set']}"
    if identity.get("kind") != IDENTITY_KIND:
        p.add("not_a_template", at, "Trang nhận dạng của mẫu bị sửa hoặc không phải mẫu danvan.")
        p.raise_if_any()
    if expected_unit and expected_unit != unit:
        p.add(
            "wrong_unit",
            at,
            f"Tệp này là mẫu của đơn vị {unit}, không phải của đơn vị {expected_unit}.",
        )
    made_for = identity.get("criteria_set")
    if made_for != criteria.code or identity.get("criteria_fingerprint") != criteria_fingerprint(
        criteria
    ):
        which = (
            f"một phiên bản cũ của bộ tiêu chí {criteria.code}"
            if made_for == criteria.code
            else f"bộ tiêu chí {made_for}, không phải bộ {criteria.code} đang áp dụng cho đơn vị"
        )
        p.add(
            "criteria_set_changed",
            at,
            f"Mẫu được lập theo {which}: hãy tải mẫu mới và ghi lại.",
        )
    p.raise_if_any()
