"""The compiled report as a DOCX in the layout of Nghị định 30/2020/NĐ-CP (Phụ lục I).

A4, margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman (East Asian slot too, so
Word never substitutes a CJK font for Vietnamese); 13 pt body, 14 pt titles, 12/11 pt Nơi nhận.
Page numbers from page 2, top centre (a different first-page header); the language is vi-VN so
Word's spelling checker does not underline every word. Pagination is guarded where an official
would retype: headings keep with their text, the closing sentence with the signature, the
signature block and every table row never break across pages, appendices start on a new page by
a paragraph property (never an empty paragraph that could become a blank page).
The content comes whole from :class:`~danvan.rules.report.ReportData`; this module only lays out.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from danvan.rules.report import ReportData
from danvan.rules.report import Table as TableData
from danvan.rules.text import fold_key

FONT = "Times New Roman"
LANGUAGE = "vi-VN"
TEXT_WIDTH_MM = 210 - 30 - 15
CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY


def _set_fonts(element_rpr: Any) -> None:  # a CT_RPr (python-docx has no public type)
    fonts = element_rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _set_language(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), LANGUAGE)


def _setup(doc: DocxDocument) -> None:
    """A4 page, ND30 margins, Times New Roman 13 pt as the Normal style, Vietnamese language."""
    s = doc.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
    s.header_distance = Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    _set_fonts(normal.element.get_or_add_rPr())
    _set_language(normal.element.get_or_add_rPr())
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_language(rpr)
    for style in doc.styles:  # Table Grid, headers: every style speaks Vietnamese
        element = getattr(style, "element", None)
        if element is not None and element.find(qn("w:rPr")) is not None:
            _set_language(element.find(qn("w:rPr")))
    pf = normal.paragraph_format
    pf.space_before, pf.space_after, pf.line_spacing = Pt(0), Pt(0), 1.0
    pf.widow_control = True
    _page_numbers(doc)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A complex field (``PAGE``) as Word writes it: begin, instruction, separate, result, end."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"),
                       ("end", None)):  # fmt: skip
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    run.font.size = Pt(13)


def _page_numbers(doc: DocxDocument) -> None:
    """NĐ 30: page numbers from page 2, top centre; the first page's header stays empty."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = CENTER
    _field(p, "PAGE")
    section.first_page_header.paragraphs[0].text = ""


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


def _para(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    size: float = 13,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold or None, italic or None
    if align is not None:
        p.alignment = align
    return p


def _first_para(cell: _Cell, text: str, **kw: object) -> Paragraph:
    """Write into the empty paragraph every new cell has, then add further ones as usual."""
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.font.size = Pt(float(kw.get("size", 13)))  # type: ignore[arg-type]
    run.bold, run.italic = kw.get("bold") or None, kw.get("italic") or None
    p.alignment = kw.get("align", CENTER)
    return p


def _rule(cell: _Cell, indent_mm: float) -> None:
    """ND30's short solid line under the issuing body and the motto (a bordered empty paragraph)."""
    p = cell.add_paragraph()
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Mm(indent_mm)
    p.paragraph_format.line_spacing = Pt(2)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{k}"), v)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)


def _layout_table(doc: DocxDocument, widths_mm: Sequence[float], rows: int = 1) -> Table:
    """A borderless table used for side-by-side blocks (header, Nơi nhận / signature)."""
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "nil")
        borders.append(line)
    table._tbl.tblPr.append(borders)
    _set_widths(table, widths_mm)
    return table


def _set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Column widths on the grid *and* the cells: Word reads the cells, LibreOffice the grid."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _header(doc: DocxDocument, r: ReportData) -> None:
    # ND30: the national motto stands on one line; the issuing body takes the narrower left part.
    table = _layout_table(doc, (62, TEXT_WIDTH_MM - 62), rows=2)
    left, right = table.rows[0].cells
    lines = r.letterhead.issuer_lines or ("",)
    _first_para(left, lines[0], size=13, bold=len(lines) == 1)
    for i, line in enumerate(lines[1:], start=1):
        _para(left, line, size=13, bold=i == len(lines) - 1, align=CENTER)
    _rule(left, 22)
    _first_para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=13.5, bold=True, align=CENTER)
    _rule(right, 20)
    number, date_cell = table.rows[1].cells
    _first_para(number, r.number, size=13)
    _first_para(date_cell, r.place_date, size=13.5, italic=True)


def _title(doc: DocxDocument, r: ReportData) -> None:
    _para(doc, "BÁO CÁO", size=14, bold=True, align=CENTER).paragraph_format.space_before = Pt(18)
    _para(doc, r.title, size=14, bold=True, align=CENTER)
    _para(doc).paragraph_format.space_after = Pt(6)
    recipients = r.letterhead.recipients
    if len(recipients) == 1:
        _para(doc, f"Kính gửi: {recipients[0]}.", size=14, align=CENTER)
    else:
        _para(doc, "Kính gửi:", size=14, align=CENTER)
        for i, name in enumerate(recipients):
            end = "." if i == len(recipients) - 1 else ";"
            p = _para(doc, f"- {name}{end}", size=14)
            p.paragraph_format.left_indent = Mm(55)
    _para(doc).paragraph_format.space_after = Pt(6)


def _is_subheading(text: str) -> bool:
    """``1. Ưu điểm``, ``2.1. Hạn chế``: a short numbered line with no sentence after it."""
    head, _, rest = text.partition(" ")
    return bool(rest) and head.rstrip(".").replace(".", "").isdigit() and len(text) < 40


def _body_para(
    doc: DocxDocument, text: str, *, bold: bool = False, italic: bool = False
) -> Paragraph:
    p = _para(doc, text, size=13, bold=bold, italic=italic, align=JUSTIFY)
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
            _para(doc, r.chart_caption, size=13, italic=True, align=CENTER)
    _body_para(doc, r.closing).paragraph_format.keep_with_next = True  # with the signature


def _signature(doc: DocxDocument, r: ReportData) -> None:
    """Nơi nhận (left, small) and the signature block (right), side by side as ND30 places them."""
    lh = r.letterhead
    table = _layout_table(doc, (85, TEXT_WIDTH_MM - 85))
    _keep_row(table.rows[0]._tr)  # the block is one row that cannot break: never split
    left, right = table.rows[0].cells
    _first_para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in (*lh.distribution, lh.archive):
        _para(left, f"- {line}", size=11)
    _first_para(right, lh.signature[0], size=13, bold=True)
    for line in lh.signature[1:]:
        _para(right, line, size=13, bold=True, align=CENTER)
    for _ in range(4):
        _para(right)
    _para(right, lh.signer_name, size=13, bold=True, align=CENTER)


def _mark_header(row_tr: Any) -> None:  # a CT_Row
    row_tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _keep_row(row_tr: Any) -> None:  # a CT_Row
    """A row that never breaks across pages (w:cantSplit)."""
    row_tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


_ALIGN = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": CENTER, "r": WD_ALIGN_PARAGRAPH.RIGHT}


def _narrow_margins(table: Table, twips: int = 60) -> None:
    """Cell padding of ~1 mm left and right (Word's default is 1,9 mm): numbers fit one line."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(twips))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    table._tbl.tblPr.append(margins)


def _span(tc: Any, n: int) -> None:  # a CT_Tc: spans n grid columns
    if n > 1:
        span = OxmlElement("w:gridSpan")
        span.set(qn("w:val"), str(n))
        tc.get_or_add_tcPr().append(span)


def _data_table(doc: DocxDocument, data: TableData) -> None:
    """A grid table whose first row repeats on every page and whose rows never split.

    One template row is laid out through python-docx, then copied as XML per data row (a
    1,000-unit ranking stays fast). A row shorter than the header spans its last cell to the
    right edge.
    """
    if data.title:
        title = _para(doc, data.title, size=13, bold=True)
        title.paragraph_format.space_before = Pt(6)
        title.paragraph_format.keep_with_next = True
    n = len(data.header)
    table = doc.add_table(rows=2, cols=n)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (
        [TEXT_WIDTH_MM * x / sum(data.shares) for x in data.shares]
        if data.shares
        else _column_widths(data)
    )
    _set_widths(table, widths)
    for cell, text in zip(table.rows[0].cells, data.header, strict=True):
        _first_para(cell, text, size=min(10, data.font_size), bold=True)
    _mark_header(table.rows[0]._tr)
    _keep_row(table.rows[0]._tr)
    _narrow_margins(table)
    template = table.rows[1]._tr
    _keep_row(template)
    align = data.align or ("l" + "c" * (n - 1))
    for j, cell in enumerate(table.rows[1].cells):
        p = cell.paragraphs[0]
        p.alignment = _ALIGN[align[j] if j < len(align) else "c"]
        p.add_run("").font.size = Pt(data.font_size)
    tbl = table._tbl
    tbl.remove(template)
    for i, values in enumerate(data.rows):
        tr = deepcopy(template)
        tcs = tr.tc_lst
        if len(values) < n:  # merge the tail into the last given cell, centred
            for extra in tcs[len(values) :]:
                tr.remove(extra)
            last = tcs[len(values) - 1]
            _span(last, n - len(values) + 1)
            last.width = Mm(sum(widths[len(values) - 1 :]))
            last.p_lst[0].get_or_add_pPr().jc_val = CENTER
            tcs = tcs[: len(values)]
        for tc, text in zip(tcs, values, strict=True):
            r = tc.p_lst[0].r_lst[0]
            r.text = text
            if i in data.bold_rows:
                r.get_or_add_rPr().get_or_add_b()
        tbl.append(tr)


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
        label = _para(doc, appendix.label, size=14, bold=True, align=CENTER)
        label.paragraph_format.page_break_before = True
        label.paragraph_format.keep_with_next = True
        _para(
            doc, appendix.title, size=14, bold=True, align=CENTER
        ).paragraph_format.keep_with_next = True
        note = _para(doc, appendix.note, size=13, italic=True, align=CENTER)
        note.paragraph_format.keep_with_next = True
        note.paragraph_format.space_after = Pt(6)
        for table in appendix.tables:
            _data_table(doc, table)
    # The body must end with a paragraph; a tiny one, so a full last page never spills a blank one.
    end = _para(doc)
    end.paragraph_format.line_spacing = Pt(1)
    end.paragraph_format.space_before = end.paragraph_format.space_after = Pt(0)


def write_report_docx(
    report: ReportData, path: Path, chart_png: Path | None, *, created: datetime | None = None
) -> None:
    """Render ``report`` to ``path`` (the chart embedded after section IV when given).

    ``created`` is the compile instant (the document's creation date); never the clock.
    """
    doc = Document()
    _setup(doc)
    _properties(doc, report, created)
    _header(doc, report)
    _title(doc, report)
    _body(doc, report, chart_png)
    _signature(doc, report)
    _appendices(doc, report)
    doc.save(str(path))
