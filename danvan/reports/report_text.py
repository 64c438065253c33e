"""Đọc báo cáo: the text of a unit's narrative report file, DOCX, PDF or plain text (SPEC §3.9).

Read within SPEC §4.7's limits and never trusting what the file says of itself: a DOCX's zip
entries are inflated through a bounded stream (their declared sizes may lie), a PDF is read
page by page up to a page and character budget (pypdf, a maintained pure-Python extractor, also
caps each stream it inflates). A file that cannot be read is never a reason to refuse the
submission: the reader answers why, in Vietnamese, and the report keeps its placeholders.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

_CHUNK = 64 * 1024
_ZIP = b"PK\x03\x04"
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class TextLimits:
    max_uncompressed_bytes: int = 100 * 1024 * 1024  # SPEC §4.7
    max_chars: int = 2_000_000  # text kept from one report (a long report is ~100,000)
    max_pages: int = 500
    max_ratio: int = 200  # a zip entry inflating more than this is a bomb


@dataclass(frozen=True)
class ReportText:
    lines: tuple[str, ...]
    problem: str | None = None  # why nothing (or only part) could be read


class Unreadable(Exception):
    """The file cannot be read as text; the message says why, for the official."""


def read_report_text(name: str, data: bytes, limits: TextLimits = TextLimits()) -> ReportText:
    """The report's lines (paragraphs of a DOCX, lines of a PDF page or a text file)."""
    try:
        if data.startswith(b"%PDF"):
            return _pdf(data, limits)
        if data.startswith(_ZIP):
            return _docx(data, limits)
        if data.startswith(_CFB):
            raise Unreadable("tệp Word cũ (.doc): hãy lưu lại dạng .docx hoặc PDF")
        return _plain(data, limits)
    except Unreadable as exc:
        return ReportText((), f"Không đọc được nội dung tệp báo cáo “{name}”: {exc}.")


def _plain(data: bytes, limits: TextLimits) -> ReportText:
    if b"\0" in data[:4096]:
        raise Unreadable("không phải tệp văn bản, DOCX hay PDF")
    text = data.decode("utf-8-sig", errors="replace")
    return _bounded(text.splitlines(), limits)


def _bounded(lines: list[str], limits: TextLimits) -> ReportText:
    out: list[str] = []
    used = 0
    for line in lines:
        used += len(line) + 1
        if used > limits.max_chars:
            return ReportText(tuple(out), "Tệp báo cáo quá dài: chỉ đọc phần đầu.")
        out.append(line)
    return ReportText(tuple(out))


def _inflate_checked(data: bytes, limits: TextLimits) -> None:
    """Stream every entry through zlib counting real bytes (the directory's sizes may lie)."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                size = 0
                with archive.open(info) as stream:
                    while chunk := stream.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if total > limits.max_uncompressed_bytes:
                            raise Unreadable("nội dung khi giải nén quá lớn")
                        if (
                            size > 1_000_000
                            and size / max(info.compress_size, 1) > limits.max_ratio
                        ):
                            raise Unreadable("tệp nén bất thường (bom nén)")
    except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError, ValueError):
        raise Unreadable("tệp DOCX bị hỏng") from None


def _docx(data: bytes, limits: TextLimits) -> ReportText:
    _inflate_checked(data, limits)
    import docx  # python-docx; lazy: only intake of a report needs it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds for a file that is not a document
        raise Unreadable("không phải tệp Word (.docx) hợp lệ") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:  # some reports put their sections in a table
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return _bounded(lines, limits)


def _pdf(data: bytes, limits: TextLimits) -> ReportText:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are not the official's
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable("tệp PDF có đặt mật khẩu")
        lines: list[str] = []
        used = 0
        for i, page in enumerate(reader.pages):
            if i >= limits.max_pages or used > limits.max_chars:
                break
            text = page.extract_text() or ""
            used += len(text)
            lines += text.splitlines()
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, zlib.error, RecursionError):
        raise Unreadable("tệp PDF bị hỏng") from None
    result = _bounded(lines, limits)
    if not any(line.strip() for line in result.lines):
        return ReportText((), "Tệp PDF không có lớp chữ (bản quét): không trích được đoạn nào.")
    return result
