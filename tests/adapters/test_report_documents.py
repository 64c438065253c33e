"""One test per bullet of issue #11's report list, on the sample province, the DOCX read back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from danvan.rules.compilation import previous_year
from danvan.rules.errors import Rejected
from danvan.rules.letterhead import NO_CONFIG, parse_letterhead
from danvan.rules.report import build_report
from danvan.rules.text import format_percent, mean_half_up
from tests.helpers.reports import DEADLINE, compile_sample, sample_report, sample_units, write_all


def text_of(report) -> str:  # type: ignore[no-untyped-def]
    lines = [report.provisional, *report.intro]
    lines += [p for s in report.sections for p in (s.heading, *s.paragraphs)]
    return "\n".join([*lines, report.closing])


@pytest.fixture(scope="module")
def province_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    c = compile_sample("QNG")
    return write_all(c, sample_report("QNG"), tmp_path_factory.mktemp("docx") / "tinh")["docx"]


# --- Layout ------------------------------------------------------------------------------------


def test_language_is_vietnamese(province_docx: Path) -> None:
    doc = Document(str(province_docx))
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "vi-VN"
    normal = doc.styles["Normal"].element.find(f"{qn('w:rPr')}/{qn('w:lang')}")
    assert normal.get(qn("w:val")) == "vi-VN"
    assert doc.core_properties.language == "vi-VN"


def test_core_properties_name_the_issuer_and_the_compile_instant(province_docx: Path) -> None:
    cp = Document(str(province_docx)).core_properties
    assert cp.author == "Sở Nội vụ tỉnh Quảng Ngãi"
    assert cp.title.startswith("Báo cáo kết quả tổng hợp, xếp loại")
    assert cp.created == datetime(2024, 11, 29, 9, tzinfo=UTC)
    assert "python-docx" not in (cp.comments + cp.author + cp.last_modified_by)


def test_page_numbers_from_page_two(province_docx: Path) -> None:
    section = Document(str(province_docx)).sections[0]
    assert section.different_first_page_header_footer
    assert not section.first_page_header.paragraphs[0].text.strip()
    header = section.header.paragraphs[0]
    assert "PAGE" in "".join(t.text for t in header._p.iter(qn("w:instrText")))
    assert header.alignment == 1  # centre


def test_rows_and_signature_never_split(province_docx: Path) -> None:
    doc = Document(str(province_docx))
    data_tables = doc.tables[2:]  # after the header and the signature block
    for table in [doc.tables[1], *data_tables]:
        for tr in table._tbl.tr_lst:
            assert tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None
    closing = next(p for p in doc.paragraphs if p.text.startswith("Trên đây là báo cáo"))
    assert closing.paragraph_format.keep_with_next  # never left alone above the signature
    labels = [p for p in doc.paragraphs if p.text in ("Phụ lục I", "Phụ lục II")]
    assert len(labels) == 2 and all(p.paragraph_format.page_break_before for p in labels)
    body = doc.element.body
    assert not body.findall(f".//{qn('w:br')}[@{qn('w:type')}='page']")  # no blank-page breaks


# --- Issuer and signer as configuration ----------------------------------------------------------

SEED_001 = """
district:
  issuer_lines: ["ỦY BAN NHÂN DÂN", "{AREA}"]
  issuer: Ủy ban nhân dân {area}
  number_suffix: BC-UBND
  recipients: ["Sở Nội vụ {parent}"]
  signing: TM.
  signer_title: ỦY BAN NHÂN DÂN
  signer_position: CHỦ TỊCH
  distribution: ["Như trên;", "CT, PCT.UBND huyện;", "Ban Dân vận {party};"]
  archive: "Lưu: VT, NCNV."
units:
  QNG.BSN: {signer_name: Đoàn Thanh Bình}
"""


def test_letterhead_from_configuration(tmp_path: Path) -> None:
    import yaml

    config = parse_letterhead(yaml.safe_load(SEED_001), "letterhead.yaml")
    units = sample_units()
    lh = config.letterhead_for(units["QNG.BSN"], units["QNG"])
    assert lh.issuer_lines == ("ỦY BAN NHÂN DÂN", "HUYỆN BÌNH SƠN")
    assert lh.signature == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert lh.recipients == ("Sở Nội vụ tỉnh Quảng Ngãi",)
    c = compile_sample("QNG.BSN")
    r = build_report(c, on=DEADLINE, parent=units["QNG"], letterhead=lh)
    docx = write_all(c, r, tmp_path / "huyen")["docx"]
    doc = Document(str(docx))
    head, sign = doc.tables[0], doc.tables[1]
    assert head.rows[0].cells[0].text.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN BÌNH SƠN"]
    assert head.rows[1].cells[0].text.strip() == "Số:      /BC-UBND"
    right = [t for t in sign.rows[0].cells[1].text.split("\n") if t.strip()]
    assert right == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Đoàn Thanh Bình"]
    left = sign.rows[0].cells[0].text
    assert "- Ban Dân vận Huyện ủy;" in left and left.rstrip().endswith("- Lưu: VT, NCNV.")
    assert "Kính gửi: Sở Nội vụ tỉnh Quảng Ngãi." in [p.text for p in doc.paragraphs]
    assert "Ủy ban nhân dân huyện Bình Sơn báo cáo" in r.intro[0]
    # the province keeps today's wording: the file only changed the districts
    assert config.letterhead_for(units["QNG"]) == NO_CONFIG.letterhead_for(units["QNG"])


def test_letterhead_mistakes_are_all_named() -> None:
    with pytest.raises(Rejected) as exc:
        parse_letterhead(
            {"district": {"issuer": "{huyen}", "signing": "TL", "colour": "đỏ"}, "tinh": {}},
            "letterhead.yaml",
        )
    fields = {p.field for p in exc.value.problems}
    assert fields == {"district.issuer", "district.signing", "district.colour", "tinh"}
    assert "{area}" in exc.value.render()


def test_letterhead_file_from_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from danvan.config.settings import get_settings
    from danvan.tasks.compile import load_letterhead_config

    path = tmp_path / "letterhead.yaml"
    path.write_text(SEED_001, encoding="utf-8")
    monkeypatch.setenv("DANVAN_LETTERHEAD", str(path))
    get_settings.cache_clear()
    try:
        config = load_letterhead_config()
        assert config.by_unit["QNG.BSN"] == {"signer_name": "Đoàn Thanh Bình"}
        monkeypatch.setenv("DANVAN_LETTERHEAD", str(tmp_path / "missing.yaml"))
        get_settings.cache_clear()
        with pytest.raises(Rejected, match="letterhead_unreadable"):
            load_letterhead_config()
    finally:
        monkeypatch.delenv("DANVAN_LETTERHEAD")
        get_settings.cache_clear()


# --- The seeds' sections, the closing sentence, the request letter -------------------------------


def test_sections_of_the_seeds_and_the_closing_sentence() -> None:
    r = sample_report("QNG")
    headings = [s.heading for s in r.sections]
    assert "VI. ĐÁNH GIÁ CHUNG" in headings and "VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025" in headings
    assessment = r.sections[headings.index("VI. ĐÁNH GIÁ CHUNG")].paragraphs
    assert "1. Ưu điểm" in assessment and "2. Hạn chế và nguyên nhân" in assessment
    assert r.closing.endswith(
        "Kính đề nghị Ủy ban nhân dân tỉnh Quảng Ngãi xem xét, phê duyệt kết quả xếp loại nêu trên./."
    )
    assert r.intro[0].startswith(
        "Thực hiện Kế hoạch số 30/KH-UBND ngày 17/02/2024 của UBND tỉnh Quảng Ngãi và Công văn số"
        " 1998/SNV-XDCQ ngày 25/10/2024 của Sở Nội vụ, Sở Nội vụ tỉnh Quảng Ngãi báo cáo"
    )


# --- Year on year, missing figures, provisional, absent levels -----------------------------------


def test_previous_year_is_like_for_like_and_takes_stand_ins() -> None:
    prev = {"A": {"petitions": {"received": 10}}, "B": {"petitions": {"received": 5}},
            "OLD1": {"petitions": {"received": 3}}, "OLD2": {"petitions": {"received": 4}}}  # fmt: skip
    assert previous_year(None, ["A"]) is None
    assert previous_year(prev, ["A"])["petitions"]["received"] == 10  # B not in yet: no "fall"
    merged = previous_year(prev, ["A", "NEW"], {"NEW": ["OLD1", "OLD2"]})
    assert merged["petitions"]["received"] == 17
    twice = previous_year(prev, ["NEW", "NEW2"], {"NEW": ["OLD1"], "NEW2": ["OLD1"]})
    assert twice["petitions"]["received"] == 3  # a predecessor counts once
    assert previous_year(prev, [])["petitions"]["received"] == 0


def test_missing_figures_and_provisional_are_said() -> None:
    text = text_of(sample_report("QNG"))
    assert "chưa có số liệu của 03 đơn vị chưa nộp" in text
    early = sample_report("QNG", early=True)
    assert early.provisional.startswith("Đây là báo cáo tổng hợp tạm thời, lập ngày 05 tháng 11")
    assert "trước hạn nộp báo cáo tự đánh giá (ngày 10 tháng 11 năm 2024)" in early.provisional
    assert "Kính báo cáo" in early.closing and "phê duyệt" not in early.closing
    assert not sample_report("QNG").provisional


def test_a_level_with_no_submitter_is_absent() -> None:
    two = text_of(sample_report("QNG", two_tier=True))
    assert "Cấp huyện" not in two and "không tiếp nhận hồ sơ" not in two
    assert "Cấp tỉnh tiếp nhận" in two and "Cấp xã tiếp nhận" in two


# --- Wording ------------------------------------------------------------------------------------


def test_levels_named_as_the_seeds() -> None:
    text = text_of(sample_report("QNG"))
    assert "Cấp tỉnh tiếp nhận" in text  # departments with the province level
    assert "Cấp huyện tiếp nhận" in text and "Cấp xã tiếp nhận" in text
    assert "sở, ban, ngành tiếp nhận" not in text and "Phòng, ban cấp huyện tiếp nhận" not in text


def test_commune_named_with_its_district_in_a_provincial_list() -> None:
    text = text_of(sample_report("QNG"))
    assert "Ủy ban nhân dân xã Bình Trị (huyện Bình Sơn)" in text
    assert "(huyện Bình Sơn)" not in text_of(sample_report("QNG.BSN"))  # not in its own list


def test_section_two_sub_items() -> None:
    scores = sample_report("QNG").sections[1].paragraphs
    assert any(p.startswith("a) Nhóm I – ") for p in scores)
    assert any(p.startswith("b) Nhóm II – ") for p in scores)
    assert any(p.startswith("c) Nhóm III – ") for p in scores)
    assert not any(p.startswith(("I. ", "II. ", "III. ")) for p in scores)


def test_zero_counts_in_words() -> None:
    text = text_of(sample_report("QNG"))
    assert "không có đơn vị xếp loại Yếu" in text and "nộp trễ hạn: không có đơn vị" in text
    assert "00 đơn vị" not in text


def test_appraisal_old_to_new_and_unchanged_left_out() -> None:
    text = text_of(sample_report("QNG.BSN"))
    assert "tiêu chí 1: 3 → 2 điểm, lý do: Kế hoạch ban hành chậm" in text
    assert "Giữ nguyên" not in text_of(sample_report("QNG"))  # QNG.SNV's changed nothing


def test_percentages_two_decimals_and_means_half_up() -> None:
    assert format_percent(5, 5) == "100,00%" and format_percent(191, 200) == "95,50%"
    assert format_percent(3306, 3320) == "99,57%"  # truncated
    assert str(mean_half_up([8.0, 8.25])) == "8.13"  # 8,125 → 8,13 (half even would give 8,12)
    text = text_of(sample_report("QNG"))
    assert "làm tròn đến hai chữ số thập phân (từ 5 trở lên làm tròn lên)" in text


def test_addressed_to_its_recipient() -> None:
    text = text_of(sample_report("QNG"))
    assert "Đề nghị các đơn vị" not in text and "khẩn trương" not in text


# --- Phụ lục II ----------------------------------------------------------------------------------


def test_appendix_two_as_officials_lay_it_out(province_docx: Path) -> None:
    table = Document(str(province_docx)).tables[-1]
    header = [c.text for c in table.rows[0].cells]
    # communes and departments have different group maxima: each group as a share of the unit's
    # own maximum (issue 17), never points out of different maxima under one header
    assert header == ["STT", "Tên đơn vị", "Nhóm I (% điểm tối đa)", "Nhóm II (% điểm tối đa)",
                      "Nhóm III (% điểm tối đa)", "Điểm thưởng", "Điểm trừ", "Tổng điểm tự chấm",
                      "Tổng điểm thẩm định", "Xếp loại"]  # fmt: skip
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert not any("QNG" in r[1] for r in rows)  # names, never internal codes
    assert rows[-1][1] == "Sở Tư pháp" and rows[-1][2] == "Chưa nộp — không xếp loại"
    first = table.rows[1]._tr.tc_lst
    aligns = [tc.p_lst[0].pPr.jc_val for tc in first]
    assert aligns[0] == 1 and aligns[1] in (None, 0) and all(a == 2 for a in aligns[2:9])


# --- Years: the cycle's work, the next year's directions, the report's own date -----------------

_YEAR = re.compile(r"năm (\d{4})", re.IGNORECASE)


def _docx_lines(path: Path) -> list[str]:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return [p.text for p in doc.paragraphs] + cells


def test_every_year_in_the_report_tells_one_story(province_docx: Path) -> None:
    """Cycle 2024, reported on 29/11/2024: the work is 2024's, compared with 2023 where figures
    are compared, and only the directions (heading and closing, as seed 001) speak of 2025."""
    lines = _docx_lines(province_docx)
    years = {int(y) for line in lines for y in _YEAR.findall(line)}
    assert years <= {2023, 2024, 2025} and 2024 in years
    next_year = sorted({line for line in lines if "năm 2025" in line.lower()})
    assert next_year == [
        "Trên đây là báo cáo kết quả tổng hợp, xếp loại công tác dân vận chính quyền năm 2024 và"
        " phương hướng, nhiệm vụ năm 2025 của Sở Nội vụ tỉnh Quảng Ngãi. Kính đề nghị Ủy ban nhân"
        " dân tỉnh Quảng Ngãi xem xét, phê duyệt kết quả xếp loại nêu trên./.",
        "VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025",
    ]
    last_year = [line for line in lines if "năm 2023" in line]  # only ever a comparison
    assert last_year and all(
        line.count("năm 2023") == line.count("cùng kỳ năm 2023") for line in last_year
    )
    attached = [line for line in lines if line.startswith("(Kèm theo Báo cáo số:")]
    assert len(attached) == 2 and all(line.endswith("tháng 11 năm 2024)") for line in attached)


def test_a_report_dated_in_january_keeps_the_cycle_year() -> None:
    """Compiled for cycle 2024 but signed in January 2025: the date lines carry 2025, every
    statement about the work still 2024, the directions 2025."""
    c = compile_sample("QNG")
    r = build_report(c, on=date(2025, 1, 10), parent=sample_units()["QNG"])
    assert r.place_date.endswith("năm 2025")
    assert all(a.note.endswith("ngày      tháng 1 năm 2025)") for a in r.appendices)
    assert (
        r.title.endswith("năm 2024") and "năm 2024 và phương hướng, nhiệm vụ năm 2025" in r.closing
    )
    assert "VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025" in [s.heading for s in r.sections]
