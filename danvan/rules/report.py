"""Báo cáo tổng hợp: a compiled report's content as a value, before it becomes a DOCX.

Modelled on seed 001 (a district's report) and the layout of Nghị định 30/2020/NĐ-CP. The
letterhead is derived from the compiler's name (province → Sở Nội vụ; district → Phòng Nội vụ,
the home-affairs bodies that run the cycle) and can be replaced whole with :class:`Letterhead`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from danvan.rules import report_figures as fig
from danvan.rules import report_sections as sec
from danvan.rules.compilation import CompiledCycle
from danvan.rules.domain import OrgUnit
from danvan.rules.text import fold_key, format_decimal, format_place_date, normalize_text

_BODY_PREFIXES = ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd ")
_LEVELS = {"thành phố": "Thành ủy", "thị xã": "Thị ủy", "tỉnh": "Tỉnh ủy", "huyện": "Huyện ủy",
           "quận": "Quận ủy", "xã": "Đảng ủy", "phường": "Đảng ủy", "thị trấn": "Đảng ủy"}  # fmt: skip


def local_name(name: str) -> str:
    """``Ủy ban nhân dân tỉnh Quảng Ngãi`` → ``tỉnh Quảng Ngãi`` (the area, with its level)."""
    text = normalize_text(name)
    for prefix in _BODY_PREFIXES:
        if fold_key(text).startswith(prefix):
            return text[len(prefix) :]
    return text


def _level(area: str) -> tuple[str, str]:
    """``tỉnh Quảng Ngãi`` → (``tỉnh``, ``Quảng Ngãi``); unknown levels give ("", area)."""
    for level in sorted(_LEVELS, key=len, reverse=True):
        if fold_key(area).startswith(level + " "):
            return level, area[len(level) + 1 :]
    return "", area


@dataclass(frozen=True)
class Letterhead:
    """Who issues the report: header lines, number code, place, recipients, signature."""

    parent_line: str  # "UBND TỈNH QUẢNG NGÃI"
    body_line: str  # "SỞ NỘI VỤ" (bold, underlined)
    issuer: str  # "Sở Nội vụ tỉnh Quảng Ngãi" (in prose)
    number_code: str  # "BC-SNV"
    place: str  # "Quảng Ngãi"
    recipients: tuple[str, ...]
    signature: tuple[str, ...]  # ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    distribution: tuple[str, ...]
    signer: str = ""  # left empty: the official signs and types the name


def derive_letterhead(compiler: OrgUnit, parent: OrgUnit | None = None) -> Letterhead:
    """A sensible default letterhead from the compiler's kind and name (override when wrong)."""
    area = local_name(compiler.name)
    level, place = _level(area)
    party = _LEVELS.get(level, "cấp ủy")
    if compiler.kind == "province":
        return Letterhead(
            f"UBND {area.upper()}", "SỞ NỘI VỤ", f"Sở Nội vụ {area}", "BC-SNV", place,
            (normalize_text(compiler.name),), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
            ("Như trên;", f"Ban Dân vận {party};", "Lãnh đạo Sở;",
             "Các đơn vị được đánh giá;", "Lưu: VT."),
        )  # fmt: skip
    above = local_name(parent.name) if parent else ""
    if compiler.kind == "district":
        return Letterhead(
            f"UBND {area.upper()}", "PHÒNG NỘI VỤ", f"Phòng Nội vụ {area}", "BC-PNV", place,
            (normalize_text(compiler.name), *((f"Sở Nội vụ {above}",) if above else ())),
            ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"),
            ("Như trên;", f"Ban Dân vận {party};", "Lãnh đạo Phòng;",
             "Các đơn vị được đánh giá;", "Lưu: VT."),
        )  # fmt: skip
    return Letterhead(
        f"UBND {above.upper()}" if above else "", normalize_text(compiler.name).upper(),
        normalize_text(compiler.name), "BC", _level(above)[1] if above else place,
        (normalize_text(parent.name),) if parent else ("Cơ quan cấp trên",),
        ("THỦ TRƯỞNG ĐƠN VỊ",), ("Như trên;", "Lưu: VT."),
    )  # fmt: skip


@dataclass(frozen=True)
class Section:
    heading: str  # "I. TÌNH HÌNH …"
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Appendix:
    label: str  # "Phụ lục I"
    title: str  # upper-case
    note: str  # "(Kèm theo Báo cáo số: …)"
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class ReportData:
    """The whole report as text: renderers only lay it out."""

    letterhead: Letterhead
    number: str  # "Số:      /BC-SNV"
    place_date: str  # "Quảng Ngãi, ngày 29 tháng 11 năm 2024"
    title: str
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    closing: str
    appendices: tuple[Appendix, ...]
    chart_caption: str
    file_stem: str  # "bao-cao-tong-hop-QNG-2024"
    chart_section: int = 3  # the chart follows this section (IV, the ranking)


def _ranking_table(c: CompiledCycle) -> Table:
    rows = tuple(
        (str(r.rank), r.unit, c.unit(r.unit).name,
         format_decimal(c.unit(r.unit).self_total or 0), format_decimal(r.total), r.band)
        for r in c.ranked
    )  # fmt: skip
    header = ("Xếp hạng", "Mã đơn vị", "Tên đơn vị", "Điểm tự chấm", "Điểm thẩm định", "Xếp loại")
    return Table("Kết quả chấm điểm, xếp loại", header, rows)


def _warnings_appendix(c: CompiledCycle, numbered: str) -> tuple[Appendix, ...]:
    """Phụ lục III, only when some accepted file's breakdowns do not add up (SPEC §3.4)."""
    rows = tuple(
        (w["unit"], c.unit(w["unit"]).name, w["field"], w["message"])
        for w in c.summary.get("warnings") or ()
    )
    if not rows:
        return ()
    header = ("Mã đơn vị", "Tên đơn vị", "Mục", "Nội dung")
    return (
        Appendix(
            "Phụ lục III",
            "SỐ LIỆU CHI TIẾT CHƯA KHỚP VỚI SỐ TỔNG (ĐỀ NGHỊ ĐƠN VỊ KIỂM TRA LẠI)",
            f"(Kèm theo {numbered})",
            (Table("Số liệu chi tiết chưa khớp", header, rows),),
        ),
    )


def build_report(
    c: CompiledCycle,
    *,
    on: date,
    parent: OrgUnit | None = None,
    letterhead: Letterhead | None = None,
    plan_reference: str | None = None,
) -> ReportData:
    """The compiled report of ``c`` dated ``on`` (the date written on it, not a clock read)."""
    lh = letterhead or derive_letterhead(c.compiler, parent)
    s, y = c.summary, c.year
    prev = c.previous
    kinds = {k: v["figures"] for k, v in s["by_kind"].items()}
    numbered = f"Báo cáo số:      /{lh.number_code}, ngày      tháng {on.month} năm {on.year}"
    plan = plan_reference or f"Kế hoạch thực hiện công tác dân vận chính quyền năm {y}"
    basis = f"Thực hiện {plan}, "
    figures = s["figures"]
    sections = (
        Section("I. TÌNH HÌNH TỰ ĐÁNH GIÁ, CHẤM ĐIỂM", tuple(sec.submissions_section(c))),
        Section("II. KẾT QUẢ CHẤM ĐIỂM THEO NHÓM TIÊU CHÍ", tuple(sec.scores_section(c))),
        Section(
            "III. KẾT QUẢ TIẾP CÔNG DÂN, GIẢI QUYẾT ĐƠN THƯ, HÒA GIẢI Ở CƠ SỞ VÀ GIẢI QUYẾT"
            " THỦ TỤC HÀNH CHÍNH",
            (
                *fig.admin_paragraphs(figures, kinds, y, prev),
                fig.reception_paragraph(figures, y, prev),
                fig.petitions_paragraph(figures, y, prev),
                fig.mediation_paragraph(figures, y, prev),
                fig.models_paragraph(figures),
                "(Chi tiết tại Phụ lục I kèm theo.)",
            ),
        ),
        Section("IV. KẾT QUẢ XẾP LOẠI", tuple(sec.ranking_section(c, "Phụ lục II"))),
        Section("V. CÁC ĐƠN VỊ CHƯA NỘP BÁO CÁO", tuple(sec.missing_section(c))),
        Section("VI. ĐỀ XUẤT, KIẾN NGHỊ", tuple(sec.proposals_section())),
    )
    appendix_one = Appendix(
        "Phụ lục I",
        "KẾT QUẢ TIẾP CÔNG DÂN; XỬ LÝ ĐƠN THƯ VÀ GIẢI QUYẾT KHIẾU NẠI, TỐ CÁO; HÒA GIẢI Ở CƠ SỞ;"
        " GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        f"(Kèm theo {numbered})",
        tuple(Table(*t) for t in fig.appendix_tables(figures, kinds, y, prev)),
    )
    appendix_two = Appendix(
        "Phụ lục II",
        f"KẾT QUẢ CHẤM ĐIỂM, XẾP LOẠI CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {y}",
        f"(Kèm theo {numbered})",
        (_ranking_table(c),),
    )
    return ReportData(
        letterhead=lh,
        number=f"Số:      /{lh.number_code}",
        place_date=format_place_date(lh.place, on),
        title=f"Kết quả tổng hợp, xếp loại công tác dân vận chính quyền năm {y}",
        intro=(
            f"{basis}{lh.issuer} báo cáo kết quả tổng hợp, xếp loại công tác dân vận chính quyền"
            f" năm {y} như sau:",
        ),
        sections=sections,
        closing=f"Trên đây là báo cáo kết quả tổng hợp, xếp loại công tác dân vận chính quyền năm"
        f" {y} của {lh.issuer}./.",
        appendices=(appendix_one, appendix_two, *_warnings_appendix(c, numbered)),
        chart_caption=f"Biểu đồ: phân bố xếp loại và tổng điểm các đơn vị năm {y}",
        file_stem=f"bao-cao-tong-hop-{c.compiler.code}-{y}",
    )
