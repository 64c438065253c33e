"""The units' own words (SPEC §3.9): sections found whatever their numbering, case or lost
diacritics; the same proposal from several units merged, different ones kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from danvan.rules.narrative import find_passages, fold, heading_of
from danvan.rules.narrative_merge import draft, merge_points, same_point
from tests.helpers.narrative import PROPOSAL_PAIRS, seed_like_report

SEED_001 = next(Path("/work/shared/seeds").glob("001_*.txt"), None)


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("1. Ƣu điểm", "strengths"),  # the legacy glyph of seed 001
        ("V. ĐÁNH GIÁ CHUNG", None),
        ("2. Những hạn chế và nguyên nhân của hạn chế", "limitations"),
        ("2.2. Nguyên nhân", "causes"),
        ("VI. PHƢƠNG HƢỚNG, NHIỆM VỤ CÔNG TÁC DÂN VẬN NĂM", "directions"),
        ("III. PHUONG HUONG VA GIAI PHAP THUC HIEN NHIEM VU", "directions"),
        ("b) Hạn chế, tồn tại", "limitations"),
        ("E. ĐỀ XUẤT, KIẾN NGHỊ", "proposals"),
        ("4. kien nghi", "proposals"),
        ("Kết quả nổi bật", "strengths"),
    ],
)
def test_headings_are_recognised(line: str, section: str | None) -> None:
    assert heading_of(line) == (True, section)


@pytest.mark.parametrize(
    "line",
    [
        "1. Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận",  # a point
        "Hạn chế việc đi lại của người dân trong mùa mưa lũ.",  # a sentence
        "2. Dân vận trong công tác cải cách hành chính",
    ],
)
def test_points_and_prose_are_not_headings(line: str) -> None:
    assert heading_of(line)[0] is False


def test_fold() -> None:
    assert fold("VI. PHƢƠNG HƢỚNG, NHIỆM VỤ") == "vi phuong huong nhiem vu"
    assert fold("Đề xuất") == "de xuat"


TEXTS = {
    "strengths": "Công tác dân vận được quan tâm, mối quan hệ giữa chính quyền và Nhân dân được"
    " củng cố.",
    "limitations": "Công tác tuyên truyền có lúc chưa sâu sát.",
    "causes": "Một số cán bộ còn nặng về công tác hành chính.",
}


@pytest.mark.parametrize("style", ["seed", "letters", "plain", "lower"])
def test_passages_under_every_heading_style(style: str) -> None:
    lines = seed_like_report(
        "UBND xã An Phú", **TEXTS,
        directions=["Tăng cường kỷ luật, kỷ cương hành chính.", "Đẩy mạnh chuyển đổi số."],
        proposals=["Đề nghị UBND tỉnh quan tâm bố trí kinh phí.", "Đề nghị tập huấn nghiệp vụ."],
        style=style,
    )  # fmt: skip
    found = find_passages(lines)
    assert found == {
        **{k: [v] for k, v in TEXTS.items()},
        "directions": ["Tăng cường kỷ luật, kỷ cương hành chính.", "Đẩy mạnh chuyển đổi số."],
        "proposals": ["Đề nghị UBND tỉnh quan tâm bố trí kinh phí.", "Đề nghị tập huấn nghiệp vụ."],
    }


def test_lines_broken_mid_sentence_are_joined_as_a_pdf_gives_them() -> None:
    lines = ["VII. KIẾN NGHỊ", "1. Đề nghị UBND tỉnh quan tâm bố trí", "", "kinh phí hằng năm.",
             "2. Đề nghị tập huấn.", "Nơi nhận:", "- Như trên;"]  # fmt: skip
    assert find_passages(lines)["proposals"] == [
        "Đề nghị UBND tỉnh quan tâm bố trí kinh phí hằng năm.",
        "Đề nghị tập huấn.",
    ]


@pytest.mark.skipif(SEED_001 is None, reason="the seeds are not on this machine")
def test_seed_001() -> None:
    assert SEED_001 is not None
    found = find_passages(SEED_001.read_text(encoding="utf-8").splitlines())
    assert [len(found[k]) for k in ("strengths", "limitations", "causes", "directions")] == [
        1, 1, 1, 8,
    ]  # fmt: skip
    assert found["strengths"][0].startswith("Nhìn chung, qua triển khai")
    assert found["causes"][0].endswith("thực hiện nhiệm vụ.")
    assert found["directions"][7].startswith("Thực hiện nghiêm túc trách nhiệm tiếp công dân")
    assert found["proposals"] == []  # seed 001 has none: the report keeps its placeholder


@pytest.mark.parametrize(("a", "b", "merge"), PROPOSAL_PAIRS)
def test_which_proposals_merge(a: str, b: str, merge: bool) -> None:
    assert same_point(a, b) is merge
    assert same_point(b, a) is merge


def test_merged_points_name_every_unit_most_common_first() -> None:
    points = merge_points(
        [
            ("X01", "Đề nghị tập huấn nghiệp vụ dân vận cho công chức cấp xã."),
            ("X01", "Đề nghị bố trí kinh phí cho công tác dân vận chính quyền."),
            ("X02", "Kiến nghị tỉnh bố trí kinh phí thực hiện công tác dân vận hằng năm."),
            ("X03", "De nghi bo tri kinh phi cho cong tac dan van chinh quyen."),
            ("X03", "Đề nghị UBND tỉnh quan tâm bố trí kinh phí."),  # the same unit again
        ]
    )
    assert [(p.text[:25], p.units) for p in points] == [
        ("Đề nghị bố trí kinh phí c", ("X01", "X02", "X03")),
        ("Đề nghị tập huấn nghiệp v", ("X01",)),
    ]


def test_draft_keeps_sections_apart() -> None:
    points = draft(
        {
            "A": {"proposals": ["Đề nghị bố trí kinh phí."], "directions": ["Bố trí kinh phí."]},
            "B": {"proposals": ["Đề nghị bố trí kinh phí."]},
        }
    )
    assert [p.units for p in points["proposals"]] == [("A", "B")]
    assert [p.units for p in points["directions"]] == [("A",)]
    assert points["strengths"] == []


def test_control_characters_never_reach_a_passage() -> None:
    """A hostile text file: NUL and friends are dropped (PostgreSQL's JSON refuses NUL)."""
    found = find_passages(["VII. KIẾN NGHỊ", "1. Đề nghị\x00 bố trí\x07 kinh phí\x1b.\ud800"])
    assert found["proposals"] == ["Đề nghị bố trí kinh phí."]
