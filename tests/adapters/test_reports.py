"""The compiled report, workbook and chart, rendered to files and read back (SPEC §4.4)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from danvan.reports.chart import write_chart_png
from danvan.reports.docx import write_report_docx
from danvan.reports.xlsx import write_score_workbook
from danvan.rules.compilation import CompiledCycle, assess_unit, compile_cycle
from danvan.rules.domain import Band, CriteriaGroup, CriteriaSet, Criterion, OrgUnit
from danvan.rules.report import ReportData, build_report

CRITERIA = CriteriaSet(
    code="DT-2023",
    name="Tiêu chí",
    groups=(
        CriteriaGroup("I", "Lãnh đạo, chỉ đạo", (Criterion("1", "Ban hành kế hoạch", 10, "I"),)),
        CriteriaGroup("II", "Kết quả thực hiện", (Criterion("2", "Kết quả", 90, "II"),)),
    ),
    bonus_max=5,
    penalty_max=10,
    bands=(Band("Tốt", 90), Band("Khá", 70), Band("Trung bình", 50), Band("Yếu", 0)),
    zero_criterion_caps_band="Khá",
)
PROVINCE = OrgUnit("DTP", "Ủy ban nhân dân tỉnh Đồng Tháp", "province", assessed=False)
THAP_MUOI = OrgUnit("DTP.TMI", "Ủy ban nhân dân huyện Tháp Mười", "district", "DTP", compiles=True)
T0 = datetime(2023, 11, 1, 2, tzinfo=UTC)

# Seed 001, footnote 4 and Phụ lục I: the district's own figures for 2023.
DISTRICT_FIGURES = {
    "admin_procedures": {"received": 3697, "online": 3018, "resolved": 3320, "on_time": 3306,
                         "overdue": 14},
    "citizen_reception": {"regular_sessions": 442, "regular_people": 448, "periodic_sessions": 79,
                          "periodic_people": 79, "cases": 442, "group_cases": 0},
    "petitions": {"received": 79, "in_jurisdiction": 79, "resolved": 77, "outstanding": 2},
    "mediation": {"received": 112, "successful": 107, "unsuccessful": 5},
}  # fmt: skip
# The communes' 29.264 dossiers split across three communes (sums equal the seed's cấp xã line).
COMMUNE_ADMIN = [(10000, 7000, 9800, 9780), (10000, 7000, 9700, 9680), (9264, 6607, 8889, 8866)]
PREVIOUS = {
    "DTP.TMI": {"petitions": {"received": 73, "in_jurisdiction": 73, "resolved": 69, "outstanding": 4},
     "citizen_reception": {"regular_sessions": 358, "periodic_sessions": 73},
     "mediation": {"received": 101, "successful": 89, "unsuccessful": 12}},
}  # fmt: skip


def thap_muoi(previous: dict | None = PREVIOUS) -> CompiledCycle:
    units = [
        assess_unit(unit=THAP_MUOI, criteria=CRITERIA, status="on_time", submitted_at=T0,
                    days_late=0, scores={"1": 10, "2": 85}, figures=DISTRICT_FIGURES)
    ]  # fmt: skip
    names = ["xã Mỹ An", "xã Thạnh Lợi", "xã Hưng Thạnh"]
    for i, ((rec, onl, res, ok), name) in enumerate(zip(COMMUNE_ADMIN, names, strict=True)):
        org = OrgUnit(f"DTP.TMI.X{i + 1}", f"Ủy ban nhân dân {name}", "commune", "DTP.TMI")
        units.append(
            assess_unit(
                unit=org, criteria=CRITERIA, status="late" if i == 2 else "on_time",
                submitted_at=T0 + timedelta(days=i), days_late=2 if i == 2 else 0,
                scores={"1": 0 if i == 1 else 10, "2": 85 - i}, bonus=1,
                figures={"admin_procedures": {"received": rec, "online": onl, "resolved": res,
                                              "on_time": ok, "overdue": res - ok}},
                adjustments={"2": (80, "Thiếu minh chứng")} if i == 0 else None,
            )
        )  # fmt: skip
    missing = OrgUnit("DTP.TMI.X9", "Ủy ban nhân dân xã Trường Xuân", "commune", "DTP.TMI")
    units.append(assess_unit(unit=missing, criteria=CRITERIA, status="missing"))
    return compile_cycle(
        compiler=THAP_MUOI,
        cycle_year=2023,
        units=units,
        direct={u.code for u in units if u.kind == "commune"},
        previous=previous,
        criteria_by_kind={"default": CRITERIA},
    )


def report_text(r: ReportData) -> str:
    lines = [*r.intro, *(p for s in r.sections for p in (s.heading, *s.paragraphs))]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def compiled() -> CompiledCycle:
    return thap_muoi()


@pytest.fixture(scope="module")
def report(compiled: CompiledCycle) -> ReportData:
    return build_report(compiled, on=date(2023, 11, 20), parent=PROVINCE)


@pytest.mark.parametrize(
    "expected",
    ["29.264", "20.607", "70,41%", "3.697", "81,63%", "99,57%", "99,77%", "97,46%",
     "Cấp xã tiếp nhận 29.264 hồ sơ (hồ sơ trực tuyến 20.607, đạt 70,41%)",
     "Cấp huyện tiếp nhận 3.697 hồ sơ (hồ sơ trực tuyến 3.018, đạt 81,63%)",
     "đã giải quyết 77/79 đơn, đạt 97,46%", "Số lượng đơn tăng 06 đơn so với cùng kỳ năm 2022",
     "tiếp thường xuyên 442 lượt, 448 người, 442 vụ việc", "hòa giải thành 107 vụ việc, đạt 95,53%",
     "xếp loại Tốt: 02 đơn vị", "xếp loại Khá: 01 đơn vị", "không có đơn vị xếp loại Yếu",
     "Ủy ban nhân dân xã Hưng Thạnh (trễ 02 ngày)", "chưa nộp: 01 đơn vị",
     "Ủy ban nhân dân xã Trường Xuân", "xếp loại không quá Khá: Ủy ban nhân dân xã Thạnh Lợi",
     "Ủy ban nhân dân xã Mỹ An (tiêu chí 2: 85 → 80 điểm, lý do: Thiếu minh chứng)"],
)  # fmt: skip
def test_report_prose_uses_seed_numbers(report: ReportData, expected: str) -> None:
    assert expected in report_text(report)


def test_by_kind_holds_each_levels_totals(compiled: CompiledCycle) -> None:
    by_kind = compiled.summary["by_kind"]
    assert by_kind["district"]["figures"]["admin_procedures"]["received"] == 3697
    assert by_kind["commune"]["figures"]["admin_procedures"] == {
        "received": 29264, "online": 20607, "resolved": 28389, "on_time": 28326, "overdue": 63}  # fmt: skip


def test_letterhead_and_dates(report: ReportData) -> None:
    lh = report.letterhead
    # the district's UBND issues, as seed 001 does (issue 17), to Sở Nội vụ, TM. / CHỦ TỊCH
    assert lh.issuer_lines == ("ỦY BAN NHÂN DÂN", "HUYỆN THÁP MƯỜI")
    assert report.number == "Số:      /BC-UBND"
    assert report.place_date == "Tháp Mười, ngày 20 tháng 11 năm 2023"
    assert lh.recipients == ("Sở Nội vụ tỉnh Đồng Tháp",)
    assert lh.signature == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert lh.signer_name == "(Họ và tên người ký)"  # a marked blank without letterhead.yaml
    # a district reports its ranking (Sở Nội vụ appraises it): no "phê duyệt", seed 001's closing
    assert report.closing.endswith(
        "năm 2023 và phương hướng, nhiệm vụ năm 2024 của Ủy ban nhân dân huyện Tháp Mười./."
    )
    assert "phê duyệt" not in report.closing


def test_province_letterhead() -> None:
    prov = OrgUnit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province", compiles=True)
    compiled = compile_cycle(compiler=prov, cycle_year=2024, units=[], direct=set(),
                             previous=None, criteria_by_kind={"default": CRITERIA})  # fmt: skip
    r = build_report(compiled, on=date(2024, 11, 29))
    assert r.letterhead.issuer_lines == ("UBND TỈNH QUẢNG NGÃI", "SỞ NỘI VỤ")
    assert r.letterhead.signature == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    assert r.place_date == "Quảng Ngãi, ngày 29 tháng 11 năm 2024"
    assert "so với cùng kỳ" not in report_text(r)  # no previous cycle, no comparison


def test_no_comparison_without_previous_cycle() -> None:
    text = report_text(build_report(thap_muoi(previous=None), on=date(2023, 11, 20)))
    assert "29.264" in text and "cùng kỳ" not in text


def _docx_text(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, compiled: CompiledCycle, report: ReportData) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    paths = {"png": out / "chart.png", "docx": out / "r.docx", "xlsx": out / "b.xlsx"}
    write_chart_png(compiled, paths["png"])
    write_report_docx(report, paths["docx"], paths["png"])
    write_score_workbook(compiled, paths["xlsx"])
    return paths


def test_docx_layout_reads_back(rendered: dict[str, Path]) -> None:
    paragraphs, tables = _docx_text(rendered["docx"])
    header = tables[0]
    assert header[0][0].split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN THÁP MƯỜI"]
    assert header[0][1].split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                            "Độc lập - Tự do - Hạnh phúc"]  # fmt: skip
    assert header[1] == ["Số:      /BC-UBND", "Tháp Mười, ngày 20 tháng 11 năm 2023"]
    for expected in ("BÁO CÁO", "Kính gửi: Sở Nội vụ tỉnh Đồng Tháp.",
                     "I. TÌNH HÌNH TỰ ĐÁNH GIÁ, CHẤM ĐIỂM",
                     "IV. KẾT QUẢ XẾP LOẠI", "Phụ lục I", "Phụ lục II"):  # fmt: skip
        assert expected in paragraphs
    body = "\n".join(paragraphs)
    assert "Cấp xã tiếp nhận 29.264 hồ sơ (hồ sơ trực tuyến 20.607, đạt 70,41%)" in body
    signature = tables[1][0]
    assert signature[0].startswith("Nơi nhận:") and "TM. ỦY BAN NHÂN DÂN" in signature[1]
    doc = Document(str(rendered["docx"]))
    assert len(doc.inline_shapes) == 1  # the chart
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == (
        "Times New Roman"
    )
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    borders = doc.tables[0]._tbl.tblPr.find(f"{w}tblBorders")
    assert {b.get(f"{w}val") for b in borders} == {"nil"}  # the header table is borderless
    section = doc.sections[0]
    assert round(section.left_margin.mm) == 30 and round(section.page_width.mm) == 210


def test_docx_appendix_tables_have_the_seeds_columns(rendered: dict[str, Path]) -> None:
    _, tables = _docx_text(rendered["docx"])
    petitions, reception, mediation, admin, ranking = tables[2:]
    assert petitions[0][1:5] == ["Số lượng đơn thư đã tiếp nhận",
                                 "Số đơn thư thuộc thẩm quyền giải quyết",
                                 "Số đơn thư đã giải quyết", "Số đơn thư tồn đọng"]  # fmt: skip
    assert petitions[0][5].startswith("Đánh giá chung")
    assert petitions[2][1:5] == ["79", "79", "77", "2"]
    assert "97,46%/94,52%" in petitions[2][5]
    assert reception[1][:4] == ["442", "448", "79", "79"]
    assert mediation[1][:4] == ["112", "107", "5", "95,53%"]
    assert admin[1:] == [
        ["Cấp huyện", "3.697", "3.018", "81,63%", "3.320", "3.306", "14", "99,57%"],
        ["Cấp xã", "29.264", "20.607", "70,41%", "28.389", "28.326", "63", "99,77%"],
        ["Tổng cộng", "32.961", "23.625", "71,67%", "31.709", "31.632", "77", "99,75%"],
    ]
    assert [row[0] for row in ranking] == ["STT", "1", "2", "3", "4"]
    assert ranking[4][1:] == ["Ủy ban nhân dân xã Trường Xuân"] + ["Chưa nộp — không xếp loại"] * (
        len(ranking[0]) - 2
    )


def test_xlsx_sheets_read_back(rendered: dict[str, Path]) -> None:
    wb = load_workbook(rendered["xlsx"])
    assert wb.sheetnames == ["Xếp hạng", "Điểm chi tiết", "Số liệu", "Tổng hợp số liệu", "Chưa nộp"]
    ws = wb["Xếp hạng"]
    ranking = [list(r) for r in ws.iter_rows(values_only=True)]
    assert ranking[0][0].startswith("KẾT QUẢ CHẤM ĐIỂM")  # the title row
    assert ranking[1][:10] == ["STT", "Tên đơn vị", "Cấp", "Nhóm I (tối đa 10)",
                               "Nhóm II (tối đa 90)", "Điểm thưởng",
                               "Điểm trừ", "Tổng điểm tự chấm", "Tổng điểm thẩm định", "Xếp loại"]  # fmt: skip
    assert ranking[2][0] == 1 and ranking[2][8] == 94
    assert ranking[-1][1] == "Ủy ban nhân dân xã Trường Xuân"
    assert ranking[-1][9] == "Chưa nộp — không xếp loại"
    assert (
        ws.freeze_panes == "C3"
        and ws.auto_filter.ref == f"A2:{ws.cell(2, ws.max_column).column_letter}{ws.max_row}"
    )
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$2:$2"
    assert ws["D3"].number_format == "0.00" and ws["A3"].border.left.style == "thin"
    detail = list(wb["Điểm chi tiết"].iter_rows(values_only=True))
    x1 = next(r for r in detail if r[0] == "Ủy ban nhân dân xã Mỹ An")
    assert x1[1:3] == (10, 80) and "Tiêu chí 2: 85 → 80 (Thiếu minh chứng)" in x1[-2]
    # the maximum that applies to the unit and its criteria part, before bonus and penalty
    assert detail[1][3:5] == ("Tối đa áp dụng", "Điểm các tiêu chí") and x1[3:5] == (100, 90)
    labels = {v for r in detail[:2] for v in r if isinstance(v, str)}
    assert not labels & {"bonus", "penalty"}
    figures = list(wb["Số liệu"].iter_rows(values_only=True))
    received = figures[1].index("Thủ tục hành chính: Số hồ sơ tiếp nhận")
    online = figures[1].index("Tỷ lệ hồ sơ trực tuyến")
    assert figures[-1][0] == "Tổng cộng" and figures[-1][received] == 32961
    assert figures[-1][online] == 0.7167  # 23.625/32.961 = 71,675…%: truncated, not 71,68%
    assert wb["Số liệu"].cell(3, received + 1).number_format == "#,##0"
    assert wb["Số liệu"].cell(3, online + 1).number_format == "0.00%"
    compare = list(wb["Tổng hợp số liệu"].iter_rows(values_only=True))
    assert compare[1][2:5] == ("Năm 2023", "Năm 2022 (cùng đơn vị)", "Tăng (+), giảm (−)")
    petitions = next(r for r in compare if r[1] == "Số đơn đã tiếp nhận")
    assert petitions[2:5] == (79, 73, 6)
    row = compare.index(petitions) + 1
    # the change shows its sign as the header says, the minus the reports' typographic one
    assert wb["Tổng hợp số liệu"].cell(row, 5).number_format == '+#,##0;"−"#,##0;0'
    missing = list(wb["Chưa nộp"].iter_rows(values_only=True))
    assert missing[2] == (1, "Ủy ban nhân dân xã Trường Xuân", "Cấp xã", "DTP.TMI.X9")


def test_xlsx_text_starting_with_formula_signs_stays_text(tmp_path: Path) -> None:
    """Issue #7: a name like ``=HYPERLINK(…)`` became a live formula. Text is always text."""
    bad = ['=HYPERLINK("http://x")', "+84 xã", "-xã", "@xã"]
    units = [
        assess_unit(unit=OrgUnit(f"P.U{i}", name, "commune", "P"), criteria=CRITERIA,
                    status="on_time", submitted_at=T0, days_late=0, scores={"1": 5, "2": 50})
        for i, name in enumerate(bad)
    ]  # fmt: skip
    prov = OrgUnit("P", "Ủy ban nhân dân tỉnh Thử", "province")
    c = compile_cycle(compiler=prov, cycle_year=2024, units=units, direct={u.code for u in units},
                      previous=None, criteria_by_kind={"default": CRITERIA})  # fmt: skip
    write_score_workbook(c, tmp_path / "b.xlsx")
    import zipfile

    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets and "<f " not in sheets
    wb = load_workbook(tmp_path / "b.xlsx")
    names = {r[1] for r in wb["Xếp hạng"].iter_rows(min_row=3, values_only=True)}
    assert names == set(bad)
    assert all(wb["Xếp hạng"].cell(r, 2).data_type == "s" for r in range(3, 7))


def test_chart_is_a_png_and_deterministic(rendered: dict[str, Path], tmp_path: Path) -> None:
    first = rendered["png"].read_bytes()
    assert first.startswith(b"\x89PNG")
    again = tmp_path / "again.png"
    write_chart_png(thap_muoi(), again)
    assert again.read_bytes() == first


def test_libreoffice_opens_the_docx(rendered: dict[str, Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: DOCX → PDF conversion not checked")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(rendered["docx"])],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_a_thousand_unit_province_renders_whole(tmp_path: Path) -> None:
    """1,000 units: every output is written and the ranking table holds every unit. (How fast
    is measured by `danvan bench`, never asserted here: a loaded machine is not a slow program.)"""
    units = [
        assess_unit(unit=OrgUnit(f"P.U{i:04d}", f"Ủy ban nhân dân xã Số {i}", "commune"),
                    criteria=CRITERIA, status="on_time", submitted_at=T0, days_late=0,
                    scores={"1": i % 11, "2": 40 + i % 50},
                    figures={"admin_procedures": {"received": i, "resolved": i, "on_time": i}})
        for i in range(1000)
    ]  # fmt: skip
    prov = OrgUnit("P", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province")
    c = compile_cycle(compiler=prov, cycle_year=2024, units=units, direct={u.code for u in units},
                      previous=None, criteria_by_kind={"default": CRITERIA})  # fmt: skip
    write_chart_png(c, tmp_path / "c.png")
    write_report_docx(
        build_report(c, on=date(2024, 11, 29)), tmp_path / "r.docx", tmp_path / "c.png"
    )
    write_score_workbook(c, tmp_path / "b.xlsx")
    assert len(Document(str(tmp_path / "r.docx")).tables[-1].rows) == 1001
