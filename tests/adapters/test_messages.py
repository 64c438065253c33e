"""Thông báo: each kind rendered in Vietnamese from its template, as data."""

from __future__ import annotations

import unicodedata
from datetime import date

import jinja2
import pytest

from danvan.notify.messages import (
    MESSAGE_KINDS,
    CycleInfo,
    Message,
    Renderer,
    ResultInfo,
    render_announcement,
    render_reminder,
    render_result,
)
from danvan.rules.reminders import Progress, Reminder

CYCLE = CycleInfo(
    year=2024,
    title="Kế hoạch thực hiện công tác dân vận chính quyền năm 2024",
    reference="Kế hoạch số 30/KH-UBND ngày 17/02/2024",
    province_name="Ủy ban nhân dân tỉnh Quảng Ngãi",
    deadlines={
        "self_assessment": date(2024, 11, 15),
        "district_compilation": date(2024, 11, 20),
        "province_scoring": date(2024, 11, 29),
    },
)
XA = "Ủy ban nhân dân xã Bình Thạnh"
HUYEN = "Ủy ban nhân dân huyện Bình Sơn"


def reminder(kind, days, **kw):
    base = dict(
        recipient="QNG.BSN.X07",
        recipient_name=XA,
        milestone="self_assessment",
        kind=kind,
        days=days,
        to=("mailto://x@example.gov.vn",),
    )
    return Reminder(**{**base, **kw})


@pytest.mark.parametrize(
    ("kind", "days", "in_subject", "in_body"),
    [
        ("before", 3, ["còn 03 ngày", "15/11/2024", "Tự đánh giá, chấm điểm"], ["còn 03 ngày"]),
        ("before", 14, ["còn 14 ngày"], ["còn 14 ngày"]),
        ("due", 0, ["Đến hạn hôm nay", "15/11/2024"], ["hôm nay", "hạn cuối"]),
        ("overdue", 4, ["Quá hạn 04 ngày", "15/11/2024"], ["quá hạn 04 ngày"]),
        ("overdue", 12, ["Quá hạn 12 ngày"], ["quá hạn 12 ngày"]),
    ],
)
def test_unit_reminders(kind, days, in_subject, in_body):
    message = render_reminder(reminder(kind, days), CYCLE)
    for text in in_subject:
        assert text in message.subject
    for text in [
        f"Kính gửi: {XA}.",
        "ngày 15 tháng 11 năm 2024",
        "tự đánh giá, chấm điểm",
        *in_body,
    ]:
        assert text in message.body
    assert "Kế hoạch số 30/KH-UBND ngày 17/02/2024" in message.body
    assert "\n" not in message.subject and message.body.endswith("\n")
    assert unicodedata.is_normalized("NFC", message.subject + message.body)


def test_milestone_label_and_its_deadline():
    message = render_reminder(reminder("before", 7, milestone="district_compilation"), CYCLE)
    assert "Tổng hợp, xếp loại cấp huyện" in message.subject and "20/11/2024" in message.subject
    assert "ngày 20 tháng 11 năm 2024" in message.body


def test_escalation_lists_overdue_units():
    names = (XA, "Ủy ban nhân dân xã Bình Chánh")
    r = reminder("escalation", 4, recipient="QNG.BSN", recipient_name=HUYEN, about_names=names)
    message = render_reminder(r, CYCLE)
    assert "02 đơn vị chưa gửi" in message.subject and "Quá hạn 04 ngày" in message.subject
    assert f"Kính gửi: {HUYEN}." in message.body
    assert f"- {XA}\n- Ủy ban nhân dân xã Bình Chánh\n" in message.body


@pytest.mark.parametrize(
    ("stage", "days", "phrase"),
    [
        ("before", 3, "còn 03 ngày"),
        ("due", 0, "hôm nay là hạn cuối"),
        ("overdue", 6, "đã quá hạn 06 ngày"),
    ],
)
def test_digest_counts_and_missing_names(stage, days, phrase):
    r = reminder(
        "digest",
        days,
        recipient="QNG.BSN",
        recipient_name=HUYEN,
        stage=stage,
        about_names=(XA,),
        progress=Progress(expected=22, submitted=12),
    )
    message = render_reminder(r, CYCLE)
    assert "12/22 đơn vị đã nộp" in message.subject
    assert "12/22 đơn vị đã nộp" in message.body
    assert phrase in message.body
    assert f"Các đơn vị chưa nộp (01):\n- {XA}\n" in message.body


def test_digest_without_counts_says_how_many_are_missing():
    r = reminder("digest", 3, stage="before", about_names=(XA, "B", "C"))
    message = render_reminder(r, CYCLE)
    assert "03 đơn vị chưa nộp" in message.subject
    assert "đã nộp" not in message.body


def test_announcement_lists_every_deadline():
    message = render_announcement("Sở Nội vụ", CYCLE)
    assert message.subject == "[Kế hoạch] Kế hoạch thực hiện công tác dân vận chính quyền năm 2024"
    for line in (
        "- Tự đánh giá, chấm điểm: hạn ngày 15 tháng 11 năm 2024 (15/11/2024).",
        "- Tổng hợp, xếp loại cấp huyện: hạn ngày 20 tháng 11 năm 2024 (20/11/2024).",
        "- Thẩm định, xếp loại cấp tỉnh: hạn ngày 29 tháng 11 năm 2024 (29/11/2024).",
    ):
        assert line in message.body


def test_result_total_band_rank():
    message = render_result(XA, CYCLE, ResultInfo(total=87.5, band="Khá", rank=3, ranked=22))
    assert message.subject.endswith(": Khá")
    assert "Tổng điểm: 87,5 điểm." in message.body
    assert "Xếp loại: Khá." in message.body
    assert "Thứ hạng: 03/22." in message.body


def test_result_of_a_unit_that_never_submitted():
    message = render_result(XA, CYCLE, ResultInfo(total=None, band=None))
    assert "chưa xếp loại" in message.subject
    assert "Tổng điểm" not in message.body


def test_every_kind_has_a_template():
    renderer = Renderer()
    for kind in MESSAGE_KINDS:
        assert renderer.env.get_template(f"{kind}.j2").blocks.keys() >= {"subject", "body"}


def test_missing_field_is_an_error_not_a_blank(tmp_path):
    (tmp_path / "before.j2").write_text(
        "{% block subject %}{{ nope }}{% endblock %}{% block body %}x{% endblock %}"
    )
    with pytest.raises(jinja2.UndefinedError):
        Renderer(tmp_path).reminder(reminder("before", 3), CYCLE)


def test_templates_can_be_overridden_and_are_not_escaped(tmp_path):
    (tmp_path / "due.j2").write_text(
        "{% block subject %}<{{ recipient_name }}> & co{% endblock %}"
        "{% block body %}{{ deadline|date_long }}{% endblock %}"
    )
    message = Renderer(tmp_path).reminder(reminder("due", 0), CYCLE)
    assert message == Message(f"<{XA}> & co", "ngày 15 tháng 11 năm 2024\n")


def test_a_reference_naming_its_issuer_is_not_followed_by_the_province_again():
    """Issue 17: "…của UBND tỉnh Quảng Ngãi của Ủy ban nhân dân tỉnh Quảng Ngãi"."""
    from dataclasses import replace

    named = replace(
        CYCLE, reference="Kế hoạch số 30/KH-UBND ngày 17/02/2024 của UBND tỉnh Quảng Ngãi"
    )
    for cycle in (CYCLE, named):
        body = render_reminder(reminder("before", 3), cycle).body
        assert body.count("của Ủy ban nhân dân tỉnh Quảng Ngãi") + body.count("của UBND tỉnh") == 1
