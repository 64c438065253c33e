"""The compiled report as a DOCX in the layout of Nghị định 30/2020/NĐ-CP (Phụ lục I).

ND30 places the parts: 14 pt titles, 13 pt body, 12/11 pt Nơi nhận; the page itself (A4,
margins, Times New Roman, vi-VN, page numbers) and the building blocks are set up in
:mod:`danvan.reports.docx_layout`. Pagination is guarded where an official would retype:
headings keep with their text, the closing sentence with the signature, the signature block and
every table row never break across pages, appendices start on a new page by a paragraph
property (never an empty paragraph that could become a blank page).
The content comes whole from :class:`~danvan.rules.report.ReportData`; this module only lays out.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from danvan.reports.docx_layout import (
    ALIGN,
    CENTER,
    JUSTIFY,
    LANGUAGE,
    TEXT_WIDTH_MM,
    first_para,
    keep_row,
    layout_table,
    mark_header,
    narrow_margins,
    para,
    put_text,
    rule_line,
    scratch,
    set_widths,
    setup_document,
    span_columns,
)
from danvan.rules.report import ReportData
from danvan.rules.report import Table as TableData
from danvan.rules.text import fold_key


def _properties(doc: DocxDocument, r: ReportData, created: datetime | None) -> None:
    """Core properties an archive reads: title, the issuing body, the compile instant."""
    cp = doc.core_properties
    cp.title = f"Báo cáo {r.title[:1].lower()}{r.title[1:]}"
    cp.subject = "Công tác dân vận chính quyền"
    cp.author = cp.last_modified_by = r.letterhead.issuer
    cp.comments = cp.keywords = cp.category = ""
    cp.language = LANGUAGE
    cp.revision = 1
    when = (created or datetime(r.year or 2000, 1, 1, tzinfo=UTC)).astimezone(UTC)
    cp.created = cp.modified = when.replace(tzinfo=None, microsecond=0)


def _header(doc: DocxDocument, r: ReportData) -> None:
    # ND30: the national motto stands on one line; the issuing body takes the narrower left part.
    table = layout_table(doc, (62, TEXT_WIDTH_MM - 62), rows=2)
    left, right = table.rows[0].cells
    lines = r.letterhead.issuer_lines or ("",)
    first_para(left, lines[0], size=13, bold=len(lines) == 1)
    for i, line in enumerate(lines[1:], start=1):
        para(left, line, size=13, bold=i == len(lines) - 1, align=CENTER)
    rule_line(left, 22)
    first_para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    para(right, "Độc lập - Tự do - Hạnh phúc", size=13.5, bold=True, align=CENTER)
    rule_line(right, 20)
    number, date_cell = table.rows[1].cells
    first_para(number, r.number, size=13)
    first_para(date_cell, r.place_date, size=13.5, italic=True)


def _title(doc: DocxDocument, r: ReportData) -> None:
    para(doc, "BÁO CÁO", size=14, bold=True, align=CENTER).paragraph_format.space_before = Pt(18)
    para(doc, r.title, size=14, bold=True, align=CENTER)
    para(doc).paragraph_format.space_after = Pt(6)
    recipients = r.letterhead.recipients
    if len(recipients) == 1:
        para(doc, f"Kính gửi: {recipients[0]}.", size=14, align=CENTER)
    else:
        para(doc, "Kính gửi:", size=14, align=CENTER)
        for i, name in enumerate(recipients):
            end = "." if i == len(recipients) - 1 else ";"
            p = para(doc, f"- {name}{end}", size=14)
            p.paragraph_format.left_indent = Mm(55)
    para(doc).paragraph_format.space_after = Pt(6)


def _is_subheading(text: str) -> bool:
    """``1. Ưu điểm``, ``2.1. Hạn chế``: a short numbered line with no sentence after it."""
    head, _, rest = text.partition(" ")
    return bool(rest) and head.rstrip(".").replace(".", "").isdigit() and len(text) < 40


def _body_para(
    doc: DocxDocument, text: str, *, bold: bool = False, italic: bool = False
) -> Paragraph:
    p = para(doc, text, size=13, bold=bold, italic=italic, align=JUSTIFY)
    fmt = p.paragraph_format
    fmt.first_line_indent, fmt.space_after, fmt.line_spacing = Mm(12.7), Pt(6), 1.15
    return p


def _body(doc: DocxDocument, r: ReportData, chart_png: Path | None) -> None:
    if r.provisional:
        _body_para(doc, r.provisional, bold=True, italic=True)
    for text in r.intro:
        _body_para(doc, text)
    for i, section in enumerate(r.sections):
        _body_para(doc, section.heading, bold=True).paragraph_format.keep_with_next = True
        for text in section.paragraphs:
            p = _body_para(doc, text, bold=_is_subheading(text))
            p.paragraph_format.keep_with_next = _is_subheading(text)
        if i == r.chart_section and chart_png is not None:
            doc.add_picture(str(chart_png), width=Mm(150))
            doc.paragraphs[-1].alignment = CENTER
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
            para(doc, r.chart_caption, size=13, italic=True, align=CENTER)
    _body_para(doc, r.closing).paragraph_format.keep_with_next = True  # with the signature


def _signature(doc: DocxDocument, r: ReportData) -> None:
    """Nơi nhận (left, small) and the signature block (right), side by side as ND30 places them."""
    lh = r.letterhead
    table = layout_table(doc, (85, TEXT_WIDTH_MM - 85))
    keep_row(table.rows[0]._tr)  # the block is one row that cannot break: never split
    left, right = table.rows[0].cells
    first_para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in (*lh.distribution, lh.archive):
        para(left, f"- {line}", size=11)
    first_para(right, lh.signature[0], size=13, bold=True)
    for line in lh.signature[1:]:
        para(right, line, size=13, bold=True, align=CENTER)
    for _ in range(4):
        para(right)
    para(right, lh.signer_name, size=13, bold=True, align=CENTER)


def _data_table(doc: DocxDocument, data: TableData) -> None:
    """A grid table whose first row repeats on every page and whose rows never split.

    The table (its header row) and a template row are laid out through python-docx once per
    shape (:func:`_table_shape`: every district's report has the same tables), then copied as
    XML: the table once, the template row per data row (a 1,000-unit ranking stays fast). A row
    shorter than the header spans its last cell to the right edge.
    """
    if data.title:
        title = para(doc, data.title, size=13, bold=True)
        title.paragraph_format.space_before = Pt(6)
        title.paragraph_format.keep_with_next = True
    n = len(data.header)
    widths = tuple(
        [TEXT_WIDTH_MM * x / sum(data.shares) for x in data.shares]
        if data.shares
        else _column_widths(data)
    )
    align = data.align or ("l" + "c" * (n - 1))
    shape, template = _table_shape(tuple(data.header), widths, data.font_size, align)
    tbl = deepcopy(shape)
    doc._body._element._insert_tbl(tbl)
    for i, values in enumerate(data.rows):
        tr = deepcopy(template)
        tcs = tr.tc_lst
        if len(values) < n:  # merge the tail into the last given cell, centred
            for extra in tcs[len(values) :]:
                tr.remove(extra)
            last = tcs[len(values) - 1]
            span_columns(last, n - len(values) + 1)
            last.width = Mm(sum(widths[len(values) - 1 :]))
            last.p_lst[0].get_or_add_pPr().jc_val = CENTER
            tcs = tcs[: len(values)]
        for tc, text in zip(tcs, values, strict=True):
            r = tc.p_lst[0].r_lst[0]
            put_text(r, text)
            if i in data.bold_rows:
                r.get_or_add_rPr().get_or_add_b()
        tbl.append(tr)


@lru_cache(maxsize=64)
def _table_shape(
    header: tuple[str, ...], widths: tuple[float, ...], font_size: float, align: str
) -> tuple[Any, Any]:  # a CT_Tbl holding the header row, and the CT_Row every data row copies
    doc = scratch()
    n = len(header)
    table = doc.add_table(rows=2, cols=n)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, widths)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        first_para(cell, text, size=min(10, font_size), bold=True)
    mark_header(table.rows[0]._tr)
    keep_row(table.rows[0]._tr)
    narrow_margins(table)
    template = table.rows[1]._tr
    keep_row(template)
    for j, cell in enumerate(table.rows[1].cells):
        p = cell.paragraphs[0]
        p.alignment = ALIGN[align[j] if j < len(align) else "c"]
        p.add_run("").font.size = Pt(font_size)
    tbl = table._tbl
    tbl.remove(template)
    tbl.getparent().remove(tbl)
    return tbl, template


def _column_widths(data: TableData) -> list[float]:
    """Numbers get equal narrow columns; a first column of long labels ("Nội dung") and a last
    column of comments ("Đánh giá chung") get the room their text needs."""
    n = len(data.header)
    shares: list[float | None] = [None] * n
    if n > 2 and max((len(r[0]) for r in data.rows), default=0) > 24:
        shares[0] = 0.28
    if n > 2 and fold_key(data.header[-1]).startswith("đánh giá"):
        shares[-1] = 0.30
    rest = (1 - sum(x for x in shares if x)) / max(1, shares.count(None))
    return [TEXT_WIDTH_MM * (x or rest) for x in shares]


def _appendices(doc: DocxDocument, r: ReportData) -> None:
    for appendix in r.appendices:
        label = para(doc, appendix.label, size=14, bold=True, align=CENTER)
        label.paragraph_format.page_break_before = True
        label.paragraph_format.keep_with_next = True
        para(
            doc, appendix.title, size=14, bold=True, align=CENTER
        ).paragraph_format.keep_with_next = True
        note = para(doc, appendix.note, size=13, italic=True, align=CENTER)
        note.paragraph_format.keep_with_next = True
        note.paragraph_format.space_after = Pt(6)
        for table in appendix.tables:
            _data_table(doc, table)
    # The body must end with a paragraph; a tiny one, so a full last page never spills a blank one.
    end = para(doc)
    end.paragraph_format.line_spacing = Pt(1)
    end.paragraph_format.space_before = end.paragraph_format.space_after = Pt(0)


def write_report_docx(
    report: ReportData, path: Path, chart_png: Path | None, *, created: datetime | None = None
) -> None:
    """Render ``report`` to ``path`` (the chart embedded after section IV when given).

    ``created`` is the compile instant (the document's creation date); never the clock.
    """
    doc = Document()
    setup_document(doc)
    _properties(doc, report, created)
    _header(doc, report)
    _title(doc, report)
    _body(doc, report, chart_png)
    _signature(doc, report)
    _appendices(doc, report)
    doc.save(str(path))
