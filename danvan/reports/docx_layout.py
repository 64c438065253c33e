"""The page and the building blocks of a document in the layout of Nghị định 30/2020/NĐ-CP.

A4, margins top/bottom 20 mm, left 30 mm, right 15 mm; Times New Roman (East Asian slot too, so
Word never substitutes a CJK font for Vietnamese); 13 pt body. Page numbers from page 2, top
centre (a different first-page header); the language is vi-VN so Word's spelling checker does
not underline every word. Kept apart from :mod:`danvan.reports.docx`, which places the report's
parts, because most of this is OOXML python-docx has no API for (fields, paragraph borders,
table and row properties): written once here, the report reads as its parts in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from functools import cache, lru_cache
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
from lxml.etree import SubElement

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


def setup_document(doc: DocxDocument) -> None:
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


def para(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    size: float = 13,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    """A paragraph appended to ``container``: a copy of one laid out once through python-docx
    for these properties (:func:`_paragraph`), its text put in (a report has hundreds of
    paragraphs of a few kinds; python-docx spent a tenth of a report's time on their runs)."""
    p = deepcopy(_paragraph(bool(text), float(size), bold, italic, align))
    if text:
        put_text(p.r_lst[0], text)
    if isinstance(container, _Cell):
        container._tc._insert_p(p)
        return Paragraph(p, container)
    container._body._element._insert_p(p)
    return Paragraph(p, container._body)


def first_para(cell: _Cell, text: str, **kw: object) -> Paragraph:
    """Write into the empty paragraph every new cell has, then add further ones as usual."""
    p = cell.paragraphs[0]
    size = float(kw.get("size", 13))  # type: ignore[arg-type]
    bold, italic = bool(kw.get("bold")), bool(kw.get("italic"))
    r = deepcopy(_paragraph(True, size, bold, italic, None).r_lst[0])
    put_text(r, text)
    p._p._insert_r(r)
    p.alignment = kw.get("align", CENTER)
    return p


@cache
def scratch() -> DocxDocument:
    """A document, set up like every report, where the pieces that are copied are laid out."""
    doc = Document()
    setup_document(doc)
    return doc


@lru_cache(maxsize=64)
def _paragraph(
    has_text: bool, size: float, bold: bool, italic: bool, align: WD_ALIGN_PARAGRAPH | None
) -> Any:  # a CT_P, laid out by python-docx, never inserted anywhere: copied
    p = scratch().add_paragraph()
    if has_text:
        run = p.add_run("")
        run.font.size, run.bold, run.italic = Pt(size), bold or None, italic or None
    if align is not None:
        p.alignment = align
    p._p.getparent().remove(p._p)
    return p._p


def rule_line(cell: _Cell, indent_mm: float) -> None:
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


def layout_table(doc: DocxDocument, widths_mm: Sequence[float], rows: int = 1) -> Table:
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
    set_widths(table, widths_mm)
    return table


def set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Column widths on the grid *and* the cells: Word reads the cells, LibreOffice the grid."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def put_text(run_r: Any, text: str) -> None:  # a CT_R with no content yet (a template's run)
    """What ``run.text = text`` writes (a ``w:t``, ``xml:space`` kept on padded text), made
    directly: python-docx reads the text a character at a time, a tenth of a large ranking's
    table. A tab or a line break goes through python-docx (``w:tab``, ``w:br``)."""
    if not text:
        return
    if "\t" in text or "\n" in text or "\r" in text:
        run_r.text = text
        return
    t = SubElement(run_r, _W_T)
    t.text = text
    if len(text.strip()) < len(text):
        t.set(_XML_SPACE, "preserve")


_W_T, _XML_SPACE = qn("w:t"), qn("xml:space")


def mark_header(row_tr: Any) -> None:  # a CT_Row
    row_tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def keep_row(row_tr: Any) -> None:  # a CT_Row
    """A row that never breaks across pages (w:cantSplit)."""
    row_tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


ALIGN = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": CENTER, "r": WD_ALIGN_PARAGRAPH.RIGHT}


def narrow_margins(table: Table, twips: int = 60) -> None:
    """Cell padding of ~1 mm left and right (Word's default is 1,9 mm): numbers fit one line."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(twips))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    table._tbl.tblPr.append(margins)


def span_columns(tc: Any, n: int) -> None:  # a CT_Tc: spans n grid columns
    if n > 1:
        span = OxmlElement("w:gridSpan")
        span.set(qn("w:val"), str(n))
        tc.get_or_add_tcPr().append(span)
