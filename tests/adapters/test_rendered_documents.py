"""The reports rendered by LibreOffice and looked at page by page (issue #11, Done when).

Sample province as a three-tier tree (the province and a district), as a two-tier tree, and early
in the cycle (provisional, half the units missing); and the province's score workbook printed by
LibreOffice Calc. Checks are on the PDF's pages and word positions (``pdftotext -bbox``), not only
on strings: page count, no blank or orphan page, page numbers from page 2 at the top centre, the
motto beside the issuing body on the header lines, the signature block whole on one page with the
closing sentence, appendices on their own pages, the ranking one page wide.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.reports import compile_sample, sample_report, soffice, to_pdf, write_all

pytestmark = pytest.mark.slow

VARIANTS = {
    "tinh-3-cap": ("QNG", {}),
    "huyen-3-cap": ("QNG.BSN", {}),
    "tinh-2-cap": ("QNG", {"two_tier": True}),
    "tinh-som": ("QNG", {"early": True}),
    "huyen-som": ("QNG.BSN", {"early": True}),
}


def squash(text: str) -> str:
    """LibreOffice places Vietnamese diacritics as glyphs of their own, so pdftotext splits
    ``nhận`` into ``nh ậ n``: text is compared without spaces, in NFC."""
    return unicodedata.normalize("NFC", re.sub(r"\s+", "", text))


@dataclass(frozen=True)
class Line:
    """One line of text as pdftotext groups it (a table cell's line stays on its own)."""

    text: str  # squashed
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: list[Line]

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)

    def has(self, words: str) -> bool:
        return squash(words) in self.text

    def line(self, starting: str) -> Line:
        return next(ln for ln in self.lines if ln.text.startswith(squash(starting)))

    @property
    def top(self) -> Line:
        return min(self.lines, key=lambda ln: ln.y0)


_BOX = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"'


def pages_of(pdf: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        lines = []
        for ln in re.finditer(rf"<line {_BOX}>(.*?)</line>", m[3], re.S):
            x0, y0, x1, y1 = (float(v) for v in ln.groups()[:4])
            words = re.findall(r"<word [^>]*>(.*?)</word>", ln[5])
            lines.append(Line(squash(html.unescape("".join(words))), x0, y0, x1, y1))
        pages.append(Page(float(m[1]), float(m[2]), lines))
    return pages


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Page]]:
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: the rendering is not checked here")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) is not installed: the PDF pages cannot be read")
    root = tmp_path_factory.mktemp("rendered")
    files = []
    for name, (compiler, kw) in VARIANTS.items():
        data = compile_sample(compiler, **kw)
        written = write_all(data, sample_report(compiler, **kw), root / name)
        files.append(written["docx"])
        if name == "tinh-3-cap":
            workbook = root / "bang-diem-tinh.xlsx"
            shutil.copy(written["xlsx"], workbook)
            files.append(workbook)
    to_pdf(files, root / "pdf", root / "lo-profile")
    return {p.stem: pages_of(p) for p in (root / "pdf").glob("*.pdf")}


@pytest.mark.parametrize("name", VARIANTS)
def test_no_blank_or_orphan_page(rendered: dict[str, list[Page]], name: str) -> None:
    pages = rendered[name]
    assert 4 <= len(pages) <= 12, len(pages)
    for i, page in enumerate(pages, start=1):
        body = [ln for ln in page.lines if ln.text != str(i)]
        assert len(body) >= 5, f"{name}: page {i} is blank or nearly so: {page.text!r}"
    # the signature never stands alone: its page carries the closing sentence and more
    signed = next(p for p in pages if p.has("Nơi nhận:"))
    assert signed.has("Trên đây là báo cáo") and len(signed.lines) >= 12


@pytest.mark.parametrize("name", VARIANTS)
def test_page_numbers_from_page_two_top_centre(rendered: dict[str, list[Page]], name: str) -> None:
    pages = rendered[name]
    assert pages[0].top.text != "1"  # no number on the first page
    for i, page in enumerate(pages[1:], start=2):
        top = page.top
        assert top.text == str(i), f"{name}: page {i} starts with {top.text!r}"
        centre = (top.x0 + top.x1) / 2
        # centred on the text block (left margin 30 mm, right 15 mm): 297,6 pt from the left
        assert abs(centre - (30 + (210 - 45) / 2) * 72 / 25.4) < 12, centre
        assert top.y1 < 20 * 72 / 25.4  # in the header, above the 20 mm top margin


@pytest.mark.parametrize("name", VARIANTS)
def test_header_motto_beside_the_issuing_body(rendered: dict[str, list[Page]], name: str) -> None:
    page = rendered[name][0]
    motto = page.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert motto.text == squash("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")  # whole, on one line
    # the issuing body's first line, left, on the motto's line (a district's UBND issues its own)
    body = next(ln for ln in page.lines if ln.text.startswith(("UBND", squash("ỦY BAN NHÂN DÂN"))))
    assert body.x1 < motto.x0 and abs(body.y1 - motto.y1) < 3
    independence = page.line("Độc lập - Tự do - Hạnh phúc")
    assert independence.text == squash("Độc lập - Tự do - Hạnh phúc")
    assert independence.y0 > motto.y0
    number = page.line("Số:")
    place_date = next(ln for ln in page.lines if "ngày" in ln.text and ln.x0 > number.x1)
    assert abs(number.y1 - place_date.y1) < 3  # number and date on one line


@pytest.mark.parametrize("name", VARIANTS)
def test_signature_block_on_one_page(rendered: dict[str, list[Page]], name: str) -> None:
    pages = rendered[name]
    holding = [i for i, p in enumerate(pages) if p.has("Nơi nhận:") or p.has("KT.")]
    assert len(holding) == 1, holding
    page = pages[holding[0]]
    sign = next(ln for ln in page.lines if ln.text.startswith(("KT.", "TM.")))
    received = page.line("Nơi nhận:")
    archive = page.line("- Lưu:")
    assert abs(sign.y1 - received.y1) < 3  # Nơi nhận and the signer side by side
    assert sign.x0 > page.width / 2 > received.x1
    assert archive.y0 > received.y0


@pytest.mark.parametrize("name", VARIANTS)
def test_appendices_start_their_own_pages(rendered: dict[str, list[Page]], name: str) -> None:
    pages = rendered[name]
    for label in ("Phụ lục I", "Phụ lục II"):
        page = next(p for p in pages if any(ln.text == squash(label) for ln in p.lines))
        first = sorted(page.lines, key=lambda ln: ln.y0)[1]  # after the page number
        assert first.text == squash(label)


def test_provisional_reports_say_so_on_page_one(rendered: dict[str, list[Page]]) -> None:
    assert rendered["tinh-som"][0].has("báo cáo tổng hợp tạm thời")
    assert not rendered["tinh-3-cap"][0].has("tạm thời")


def test_two_tier_report_has_no_district_level(rendered: dict[str, list[Page]]) -> None:
    two = "".join(p.text for p in rendered["tinh-2-cap"])
    assert squash("Cấp huyện") not in two and squash("Cấp xã tiếp nhận") in two
    three = "".join(p.text for p in rendered["tinh-3-cap"])
    assert squash("Cấp huyện tiếp nhận") in three and squash("(huyện Bình Sơn)") in three


def test_the_province_ranking_prints_one_page_wide(rendered: dict[str, list[Page]]) -> None:
    pages = rendered["bang-diem-tinh"]
    first = pages[0]
    assert first.width > first.height  # landscape
    # the ranking's first and last columns on the first page: nothing spills to a second page
    assert first.has("STT") and first.has("Tên đơn vị") and first.has("Mã đơn vị")
    assert first.has("QNG.SNV") and first.has("Xếp loại")
    assert not any(p.has("QNG.SNV") for p in pages[1:2] if not p.has("ĐIỂM THẨM ĐỊNH"))
