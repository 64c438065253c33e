"""Each data-quality flag kind as the official reads it (SPEC §3.8): a sentence naming the figure
in the seeds' words, numbers written as the reports write them, no key, formula or z-score."""

from __future__ import annotations

from fractions import Fraction

import pytest

from danvan.rules.errors import Problems
from danvan.rules.flag_text import (
    KIND_WORDS,
    copied_note,
    figure_label,
    peer_note,
    rule_note,
    yoy_note,
)
from danvan.rules.quality import KINDS, Thresholds, UnitFigures, flags_for
from danvan.rules.quality_checks import parse_checks
from danvan.rules.text import MINUS, format_decimal, format_int

MACHINE_WORDS = ("admin_procedures", "petitions.", "yoy_jump", "peer_outlier", ">=", "<=", " * ")


def test_every_kind_has_its_words() -> None:
    assert set(KIND_WORDS) == set(KINDS)


@pytest.mark.parametrize(
    ("now", "before", "sentence"),
    [
        (53, 12, "Thủ tục hành chính: số hồ sơ tiếp nhận tăng 341,66% so với năm trước"
                 " (12 → 53), có thể gõ nhầm."),
        (24820, 2434, "Thủ tục hành chính: số hồ sơ tiếp nhận tăng 919,72% so với năm trước"
                      " (2.434 → 24.820), có thể gõ nhầm."),
        (50, 150, "Thủ tục hành chính: số hồ sơ tiếp nhận giảm 66,66% so với năm trước"
                  " (150 → 50), có thể gõ nhầm."),  # truncated, never rounded up
        (50, 0, "Thủ tục hành chính: số hồ sơ tiếp nhận tăng từ 0 năm trước lên 50 năm nay,"
                " có thể gõ nhầm."),  # from nothing: no percentage of 0
    ],
)  # fmt: skip
def test_yoy_jump(now: int, before: int, sentence: str) -> None:
    assert yoy_note("admin_procedures.received", now, before) == sentence


def test_peer_outlier_says_high_or_low_and_the_median_truncated() -> None:
    low = peer_note("admin_online", Fraction(8078, 100000), Fraction(72929, 100000), 11)
    assert low == (
        "Tỷ lệ hồ sơ trực tuyến 8,07%, thấp bất thường so với các đơn vị cùng loại"
        " (trung vị 72,92% của 11 đơn vị)."
    )
    high = peer_note("mediation_success", Fraction(9977, 10000), Fraction(1, 2), 1200)
    assert high == (
        "Tỷ lệ hòa giải thành 99,77%, cao bất thường so với các đơn vị cùng loại"
        " (trung vị 50,00% của 1.200 đơn vị)."
    )


def test_same_as_last_year() -> None:
    assert copied_note() == (
        "Toàn bộ số liệu trùng khớp với năm trước: có thể gửi nhầm tệp của năm trước."
    )


def test_a_check_in_words() -> None:
    note = rule_note("admin_procedures.online", ">=", "0.5 * admin_procedures.received",
                     Fraction(100), Fraction(150))  # fmt: skip
    assert note == (
        "Thủ tục hành chính: hồ sơ trực tuyến là 100, không thỏa điều kiện phải lớn hơn hoặc"
        " bằng 0,5 × số hồ sơ tiếp nhận (150)."
    )
    # a bare number on the right says itself; large values with the thousands point
    assert rule_note("petitions.outstanding", "==", "0", Fraction(29264), Fraction(0)) == (
        "Đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh của công dân: số đơn tồn đọng là"
        " 29.264, không thỏa điều kiện phải bằng 0."
    )


def test_a_check_across_groups_names_each_figures_group_and_a_minus_sign() -> None:
    note = rule_note("petitions.received - mediation.received", ">", "0", Fraction(-5), Fraction(0))
    assert note == (
        "Số đơn đã tiếp nhận (đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh của công dân)"
        f" {MINUS} số vụ tiếp nhận hòa giải (hòa giải ở cơ sở) là {MINUS}5, không thỏa điều kiện"
        " phải lớn hơn 0."
    )
    assert "-" not in note  # the typographic minus, as every number the reports write


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("admin_procedures.received", "Thủ tục hành chính: Số hồ sơ tiếp nhận"),
        ("admin_online", "Tỷ lệ hồ sơ trực tuyến"),
        ("admin_on_time", "Tỷ lệ hồ sơ giải quyết trước và đúng hạn"),
        ("figures", "Toàn bộ số liệu"),
        ("admin_procedures.on_time + admin_procedures.overdue",
         "Thủ tục hành chính: giải quyết trước và đúng hạn + quá hạn"),
    ],
)  # fmt: skip
def test_figure_label(field: str, label: str) -> None:
    assert figure_label(field) == label


def test_every_flag_flags_for_writes_is_a_sentence_without_machine_words() -> None:
    """The notes as the flags carry them to every door: no key, operator or kind code."""
    p = Problems()
    checks = parse_checks(
        [{"left": "admin_procedures.online", "op": ">=", "right": "0.5 * admin_procedures.received"}],
        "checks", p,
    )  # fmt: skip
    typical = {"admin_procedures": {"received": 100, "online": 70, "resolved": 100,
                                    "on_time": 90, "overdue": 10}}  # fmt: skip
    units = [UnitFigures(f"X{i}", "commune", typical, typical) for i in range(8)]
    odd = {"admin_procedures": {"received": 1000, "online": 10, "resolved": 100,
                                "on_time": 90, "overdue": 10}}  # fmt: skip
    units.append(UnitFigures("Y", "commune", odd, typical, checks))
    flags = flags_for(units, Thresholds())
    assert {f.kind for f in flags} == {"same_as_last_year", "yoy_jump", "peer_outlier", "rule"}
    for f in flags:
        assert f.note[0].isupper() and f.note.endswith("."), f.note
        assert not any(w in f.note for w in MACHINE_WORDS), f.note


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (format_int(-29264), f"{MINUS}29.264"),
        (format_int(29264), "29.264"),
        (format_decimal(-5.6), f"{MINUS}5,6"),
        (format_decimal(-0.001), "0"),  # rounds to nothing: no sign before a 0
    ],
)
def test_negative_numbers_take_the_typographic_minus(written: str, expected: str) -> None:
    assert written == expected
