"""A table cell's text written directly (danvan.reports.docx_layout.put_text) is the XML
python-docx's ``run.text`` writes: the report got faster, not different (issue 20)."""

from __future__ import annotations

import pytest
from docx import Document
from lxml import etree

from danvan.reports.docx_layout import put_text


@pytest.mark.parametrize(
    "text", ["94,5", "Ủy ban nhân dân xã Mỹ An", " padded ", "", "a\tb", "dòng 1\ndòng 2", "<&>"]
)
def test_put_text_writes_what_python_docx_writes(text: str) -> None:
    doc = Document()
    ours, theirs = doc.add_paragraph().add_run(""), doc.add_paragraph().add_run("")
    ours.font.size = theirs.font.size = 127000
    put_text(ours._r, text)
    theirs.text = text
    assert etree.tostring(ours._r) == etree.tostring(theirs._r)
