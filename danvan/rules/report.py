"""Báo cáo tổng hợp: a compiled report's content as a value, before it becomes a DOCX.

Modelled on seed 001 (a district's report), seed 004 (a provincial office's) and the layout of
Nghị định 30/2020/NĐ-CP. Who issues and signs it comes from :mod:`danvan.rules.letterhead`
(``letterhead.yaml``, today's wording by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from danvan.rules import report_figures as fig
from danvan.rules import report_narrative as narr
from danvan.rules import report_sections as sec
from danvan.rules.compilation import CompiledCycle
from danvan.rules.domain import OrgUnit
from danvan.rules.letterhead import Letterhead, default_letterhead, local_name
from danvan.rules.score_table import (
    band_label,
    group_columns,
    group_value,
    missing_band_label,
    unit_groups,
)
from danvan.rules.text import (
    count_words,
    format_count,
    format_date_long,
    format_decimal,
    format_percent,
    format_place_date,
)

__all__ = ["Letterhead", "ReportData", "build_report", "local_name"]


@dataclass(frozen=True)
class Section:
    heading: str  # "I. TÌNH HÌNH …"
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table as text. A row shorter than the header spans its last cell to the right edge.

    ``shares``: relative column widths (None: the renderer decides); ``align``: per column
    ``l``/``c``/``r`` (None: text left, the rest centred); ``bold_rows``: rows in bold (totals).
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    shares: tuple[float, ...] | None = None
    align: str | None = None
    bold_rows: frozenset[int] = frozenset()
    font_size: float = 11


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
    provisional: str  # "" or the sentence that says the figures are not final
    sections: tuple[Section, ...]
    closing: str
    appendices: tuple[Appendix, ...]
    chart_caption: str
    file_stem: str  # "bao-cao-tong-hop-QNG-2024"
    chart_section: int = 3  # the chart follows this section (IV, the ranking)
    year: int = 0


def district_places(
    units: Mapping[str, OrgUnit], compiler: str, tree: Iterable[str]
) -> dict[str, str]:
    """Units under a district other than the compiler → that district's area (``huyện Bình Sơn``),
    so that a provincial list names a commune with its district."""
    out = {}
    for code in tree:
        parent = units.get(units[code].parent or "")
        if parent is not None and parent.code != compiler and parent.kind == "district":
            out[code] = local_name(parent.name)
    return out


def ranking_table(c: CompiledCycle) -> Table:
    """Phụ lục II as officials lay it out: STT, a wide name column, group subtotals, bonus,
    penalty, self and appraised totals, band; units that never submitted at the end."""
    groups = group_columns(c)
    rows: list[tuple[str, ...]] = []
    for r in c.ranked:
        u = c.unit(r.unit)
        own = unit_groups(c, u)
        cells = tuple(_group_text(group_value(g, own.get(g.code))) for g in groups)
        rows.append((str(r.rank), c.display_name(r.unit), *cells,
                     format_decimal(u.final_bonus), format_decimal(u.final_penalty),
                     format_decimal(u.self_total or 0), format_decimal(r.total),
                     band_label(c, r.unit, r.band)))  # fmt: skip
    missing = [code for code in c.summary["missing"] if code in c.direct]
    for i, code in enumerate(missing, start=len(rows) + 1):
        rows.append((str(i), c.display_name(code), missing_band_label(c.missing_band(code))))
    header = ("STT", "Tên đơn vị", *(g.header for g in groups), "Điểm thưởng", "Điểm trừ",
              "Tổng điểm tự chấm", "Tổng điểm thẩm định", "Xếp loại")  # fmt: skip
    n = len(groups)
    # a share (``100,00%``) needs a wider column than points, or it breaks before its ``%``
    widths = [0.085 if g.max is not None else 0.1 for g in groups]
    name = max(0.18, 0.24 - (sum(widths) - 0.085 * n))
    return Table(
        "", header, tuple(rows),
        shares=(0.06, name, *widths, 0.085, 0.075, 0.09, 0.095, 0.085),
        align="cl" + "r" * (n + 4) + "c",
        font_size=10,
    )  # fmt: skip


def _group_text(value: float | Fraction | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, Fraction):
        return format_percent(value.numerator, value.denominator) or "–"
    return format_decimal(value)


def _intro(
    c: CompiledCycle, lh: Letterhead, plan_reference: str | None, request: str | None
) -> str:
    """The opening sentence: the plan, the request letter when the plan names one, the issuer."""
    y = c.year
    plan = plan_reference or f"Kế hoạch thực hiện công tác dân vận chính quyền năm {y}"
    basis = f"Thực hiện {plan}" + (f" và {request}" if request else "")
    return (
        f"{basis}, {lh.issuer} báo cáo kết quả tổng hợp, xếp loại công tác dân vận chính quyền"
        f" năm {y} như sau:"
    )


def _provisional(c: CompiledCycle, provisional_until: date | None, on: date) -> str:
    if provisional_until is None:
        return ""
    missing = len(c.summary["missing"])
    text = (
        f"Đây là báo cáo tổng hợp tạm thời, lập {format_date_long(on)}, trước hạn nộp báo cáo tự"
        f" đánh giá ({format_date_long(provisional_until)}): số liệu và kết quả xếp loại sẽ còn"
        " thay đổi"
    )
    if missing:
        text += f"; hiện chưa có số liệu của {count_words(missing, 'đơn vị')} chưa nộp"
    return text + "."


def _figures_note(c: CompiledCycle) -> list[str]:
    """Whose figures are in the sums: said whenever any are missing (SPEC §4.4)."""
    s = c.summary
    missing = len(s["missing"])
    if not missing:
        return []
    text = (
        f"Số liệu dưới đây tổng hợp từ báo cáo của {format_count(s['submitted'])}/"
        f"{format_count(s['expected'])} đơn vị; chưa có số liệu của {format_count(missing)} đơn vị"
        " chưa nộp (nêu tại mục V)."
    )
    if c.previous is not None:
        text += (
            " Số liệu cùng kỳ năm trước tính trên chính các đơn vị đã nộp, để so sánh tương đương."
        )
    return [text]


def _warnings_appendix(c: CompiledCycle, numbered: str) -> tuple[Appendix, ...]:
    """Phụ lục III, only when some accepted file's breakdowns do not add up (SPEC §3.4)."""
    rows = tuple(
        (str(i), c.display_name(w["unit"]), w["field"], w["message"])
        for i, w in enumerate(c.summary.get("warnings") or (), start=1)
    )
    if not rows:
        return ()
    header = ("STT", "Tên đơn vị", "Mục", "Nội dung")
    return (
        Appendix(
            "Phụ lục III",
            "SỐ LIỆU CHI TIẾT CHƯA KHỚP VỚI SỐ TỔNG (ĐỀ NGHỊ ĐƠN VỊ KIỂM TRA LẠI)",
            f"(Kèm theo {numbered})",
            (Table("Số liệu chi tiết chưa khớp", header, rows),),
        ),
    )


def _with_quality(
    c: CompiledCycle, numbered: str, appendices: tuple[Appendix, ...]
) -> tuple[Appendix, ...]:
    """Số liệu cần kiểm tra: the flags not yet checked (SPEC §3.8), the last appendix."""
    rows = narr.quality_rows(c)
    if not rows:
        return appendices
    label = f"Phụ lục {('I', 'II', 'III', 'IV', 'V', 'VI')[len(appendices)]}"
    header = ("STT", "Tên đơn vị", "Số liệu", "Dấu hiệu", "Nội dung cần kiểm tra")
    table = Table("Số liệu cần kiểm tra", header, rows, shares=(0.9, 2.4, 2.2, 2.1, 4.4))
    title = "SỐ LIỆU CẦN KIỂM TRA (CHƯA ĐƯỢC ĐƠN VỊ TỔNG HỢP XÁC NHẬN)"
    return (*appendices, Appendix(label, title, f"(Kèm theo {numbered})", (table,)))


def build_report(
    c: CompiledCycle,
    *,
    on: date,
    parent: OrgUnit | None = None,
    letterhead: Letterhead | None = None,
    plan_reference: str | None = None,
    request: str | None = None,
    provisional_until: date | None = None,
) -> ReportData:
    """The compiled report of ``c`` dated ``on`` (the date written on it, not a clock read).

    ``provisional_until``: the self-assessment deadline when the compilation is made before it
    (the report then says its figures are provisional).
    """
    lh = letterhead or default_letterhead(c.compiler, parent)
    s, y = c.summary, c.year
    prev = c.previous
    by_level = fig.reported_levels(c.units)
    unreported = c.summary.get("not_reported", {})
    # The cycle's year names the work reported; the report's own date (which may fall in January
    # of the next year) names when it is issued; the directions are for the year after (seed 001).
    numbered = f"Báo cáo số:      /{lh.number_suffix}, ngày      tháng {on.month} năm {on.year}"
    figures = s["figures"]
    sections = (
        Section("I. TÌNH HÌNH TỰ ĐÁNH GIÁ, CHẤM ĐIỂM", tuple(sec.submissions_section(c))),
        Section("II. KẾT QUẢ CHẤM ĐIỂM THEO NHÓM TIÊU CHÍ", tuple(sec.scores_section(c))),
        Section(
            "III. KẾT QUẢ TIẾP CÔNG DÂN, GIẢI QUYẾT ĐƠN THƯ, HÒA GIẢI Ở CƠ SỞ VÀ GIẢI QUYẾT"
            " THỦ TỤC HÀNH CHÍNH",
            (
                *_figures_note(c),
                *fig.figure_paragraphs(
                    c.units,
                    figures,
                    y,
                    prev,
                    c.previous_cycle_year,
                    unreported.get("previous_year", ()),
                ),
                "(Chi tiết tại Phụ lục I kèm theo.)",
            ),
        ),
        Section("IV. KẾT QUẢ XẾP LOẠI", tuple(sec.ranking_section(c, "Phụ lục II"))),
        Section("V. CÁC ĐƠN VỊ CHƯA NỘP BÁO CÁO", tuple(sec.missing_section(c))),
        Section("VI. ĐÁNH GIÁ CHUNG", tuple(narr.assessment_section(c))),
        Section(f"VII. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {y + 1}", tuple(narr.direction_section(c))),
        Section("VIII. ĐỀ XUẤT, KIẾN NGHỊ", tuple(narr.proposals_section(c))),
    )
    appendix_one = Appendix(
        "Phụ lục I",
        "KẾT QUẢ TIẾP CÔNG DÂN; XỬ LÝ ĐƠN THƯ VÀ GIẢI QUYẾT KHIẾU NẠI, TỐ CÁO; HÒA GIẢI Ở CƠ SỞ;"
        " GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        f"(Kèm theo {numbered})",
        tuple(
            Table(
                *t, bold_rows=frozenset({len(t[2]) - 1}) if t[0].startswith("4.") else frozenset()
            )
            for t in fig.appendix_tables(
                figures,
                by_level,
                y,
                prev,
                c.previous_cycle_year,
                unreported.get("figures", ()),
                unreported.get("previous_year", ()),
            )
        ),
    )
    appendix_two = Appendix(
        "Phụ lục II",
        f"KẾT QUẢ CHẤM ĐIỂM, XẾP LOẠI CÔNG TÁC DÂN VẬN CHÍNH QUYỀN NĂM {y}",
        f"(Kèm theo {numbered})",
        (ranking_table(c),),
    )
    provisional = _provisional(c, provisional_until, on)
    # Who approves what: the province's ranking goes to UBND tỉnh for approval; a district only
    # reports its own to Sở Nội vụ, which appraises it, and closes as seed 001 does.
    ask = (
        f" Kính báo cáo {lh.recipient} để theo dõi; báo cáo chính thức sẽ được gửi sau hạn nộp./."
        if provisional
        else f" Kính đề nghị {lh.recipient} xem xét, phê duyệt kết quả xếp loại nêu trên./."
        if c.compiler.kind == "province"
        else "/."
    )
    return ReportData(
        letterhead=lh,
        number=f"Số:      /{lh.number_suffix}",
        place_date=format_place_date(lh.place, on),
        title=f"Kết quả tổng hợp, xếp loại công tác dân vận chính quyền năm {y}",
        intro=(_intro(c, lh, plan_reference, request),),
        provisional=provisional,
        sections=sections,
        closing=f"Trên đây là báo cáo kết quả tổng hợp, xếp loại công tác dân vận chính quyền năm"
        f" {y} và phương hướng, nhiệm vụ năm {y + 1} của {lh.issuer}.{ask}",
        appendices=_with_quality(
            c, numbered, (appendix_one, appendix_two, *_warnings_appendix(c, numbered))
        ),
        chart_caption=f"Biểu đồ: phân bố xếp loại và tổng điểm các đơn vị năm {y}",
        file_stem=f"bao-cao-tong-hop-{c.compiler.code}-{y}",
        year=y,
    )
