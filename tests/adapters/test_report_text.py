"""Reading a unit's narrative report (SPEC §3.9): DOCX, PDF with a text layer and plain text built
here from seed-like texts, read back into the seeds' sections; hostile files answered, never
raised, and never trusted for their declared sizes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from danvan.reports.report_text import TextLimits, read_report_text
from danvan.rules.narrative import find_passages
from tests.helpers.narrative import seed_like_report, write_report

PROPOSALS = [
    "Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
    "Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ công tác dân vận cho công chức cấp xã.",
]
DIRECTIONS = [
    "Tiếp tục thực hiện tốt công tác dân vận trong cơ quan hành chính nhà nước, tăng cường"
    " đổi mới, tạo sự chuyển biến từ nhận thức đến hành động của đội ngũ cán bộ.",
    "Tăng cường kỷ luật, kỷ cương hành chính.",
]


def _lines(style: str) -> list[str]:
    return seed_like_report(
        "UBND xã An Phú",
        strengths="Mối quan hệ giữa chính quyền với Nhân dân được củng cố.",
        limitations="Công tác tuyên truyền có lúc chưa sâu sát.",
        causes="Một số cán bộ còn nặng về công tác hành chính.",
        directions=DIRECTIONS,
        proposals=PROPOSALS,
        style=style,
    )


@pytest.mark.parametrize(
    ("suffix", "style"),
    [(".docx", "seed"), (".pdf", "plain"), (".txt", "letters"), (".pdf", "lower"),
     (".docx", "letters"), (".txt", "seed")],
)  # fmt: skip
def test_each_format_and_heading_style(tmp_path: Path, suffix: str, style: str) -> None:
    path = write_report(tmp_path / f"bao-cao{suffix}", _lines(style))
    text = read_report_text(path.name, path.read_bytes())
    assert text.problem is None
    found = find_passages(text.lines)
    assert found["proposals"] == PROPOSALS  # a PDF's lines broken mid-sentence joined again
    assert found["directions"] == DIRECTIONS
    assert found["causes"] == ["Một số cán bộ còn nặng về công tác hành chính."]


def test_a_text_file_in_nfd_with_the_legacy_glyph(tmp_path: Path) -> None:
    import unicodedata

    lines = [unicodedata.normalize("NFD", line).replace("ư", "ƣ") for line in _lines("seed")]
    path = write_report(tmp_path / "bao-cao.txt", lines)
    found = find_passages(read_report_text(path.name, path.read_bytes()).lines)
    assert found["proposals"] == PROPOSALS


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("a.docx", b"PK\x03\x04 not really a zip", "hỏng"),
        ("a.docx", _zip({"word/document.xml": b"<w:document/>"}), "không phải tệp Word"),
        ("a.pdf", b"%PDF-1.7\n garbage", "PDF"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".doc"),
        ("a.bin", b"\0\1\2\3" * 100, "không phải tệp văn bản"),
    ],
)
def test_unreadable_files_are_answered_not_raised(name: str, data: bytes, says: str) -> None:
    text = read_report_text(name, data)
    assert text.lines == () and text.problem is not None and says in text.problem
    assert name in text.problem


def test_a_zip_bomb_is_stopped_by_what_inflates_not_by_what_it_declares() -> None:
    bomb = _zip({"word/document.xml": b"<" + b"a" * 3_000_000})
    text = read_report_text("bom.docx", bomb, TextLimits(max_uncompressed_bytes=1_000_000))
    assert text.lines == () and text.problem is not None
    # its directory lies about the size (says 10 bytes): the stream is counted all the same
    lying = bytearray(bomb)
    at = lying.find(b"PK\x01\x02")  # the central directory entry: its uncompressed size field
    lying[at + 24 : at + 28] = (10).to_bytes(4, "little")
    text = read_report_text("bom.docx", bytes(lying), TextLimits(max_uncompressed_bytes=1_000_000))
    assert text.lines == () and text.problem is not None


def test_a_pdf_without_a_text_layer(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()  # a scanned page: a picture and no text
    ax = fig.add_subplot()
    ax.imshow([[0, 1], [1, 0]])
    ax.axis("off")
    fig.savefig(tmp_path / "scan.pdf")
    plt.close(fig)
    text = read_report_text("scan.pdf", (tmp_path / "scan.pdf").read_bytes())
    assert text.lines == () and "không có lớp chữ" in (text.problem or "")


def test_a_long_text_is_read_up_to_the_limit() -> None:
    data = ("Một dòng chữ dài.\n" * 10_000).encode()
    text = read_report_text("dai.txt", data, TextLimits(max_chars=1_000))
    assert len(text.lines) < 100 and "chỉ đọc phần đầu" in (text.problem or "")
