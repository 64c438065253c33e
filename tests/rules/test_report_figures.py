"""Section III's figures as an official writes them: zero as *0* or *không phát sinh*, never "00";
a figure group nobody reported said to be unreported, never stated as zeros (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

from danvan.rules.aggregate import sum_figures
from danvan.rules.compilation import UnitInput
from danvan.rules.report_figures import figure_paragraphs, reported_groups
from danvan.rules.text import format_count

AT = datetime(2024, 11, 1, tzinfo=UTC)


def _unit(code: str, kind: str, figures: dict) -> UnitInput:
    return UnitInput(code=code, name=code, kind=kind, status="on_time", submitted_at=AT,
                     self_total=90, final_total=90, band="Tốt", figures=figures)  # fmt: skip


def test_zero_is_never_two_digits() -> None:
    assert [format_count(n) for n in (0, 1, 9, 10, 1234)] == ["0", "01", "09", "10", "1.234"]


def test_a_group_nobody_gave_is_not_reported_and_zeros_do_not_happen() -> None:
    reception = {"regular_sessions": 0, "regular_people": 0, "cases": 0, "periodic_sessions": 0,
                 "periodic_people": 0, "group_cases": 0}  # fmt: skip
    units = [_unit("P.S1", "department", {}), _unit("P.X1", "commune",
                                                     {"citizen_reception": reception})]  # fmt: skip
    assert reported_groups(units) == {None: {"citizen_reception"}, "Cấp tỉnh": set(),
                                      "Cấp xã": {"citizen_reception"}}  # fmt: skip
    figures = sum_figures(u.figures or {} for u in units)
    text = " ".join(figure_paragraphs(units, figures, 2024, None))
    assert "Các đơn vị chưa báo cáo số liệu giải quyết thủ tục hành chính." in text
    assert "không tiếp nhận hồ sơ" not in text  # nobody said so
    assert "trong năm 2024 không phát sinh lượt tiếp công dân." in text
    assert "Hòa giải ở cơ sở: các đơn vị chưa báo cáo số liệu." in text
    assert " 00 " not in text and "00 lượt" not in text
