"""Cổng an toàn: look inside an XLSX before any spreadsheet library parses it (SPEC §4.7).

Why: a workbook is a zip of XML, and both layers can be turned against the reader. A 5 KB file
can declare a sheet of a million rows (openpyxl then walks every one of them and exhausts
memory), a zip entry can inflate a thousandfold, XML can define entities that expand
exponentially, and a workbook can carry macros or links that fetch other files when opened.
This gate reads only the zip's central directory and then streams every entry through a
bounded inflater, so it never holds more than one chunk of decompressed data and stops at
the first limit crossed. Only what passes reaches the reader (python-calamine or openpyxl).

Everything here is a pure function of the bytes and the limits handed in.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from danvan.rules.errors import Rejected, reject

_ZIP = b"PK\x03\x04"
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: "EncryptionInfo" in UTF-16LE: the stream Office writes into a password-protected OOXML file.
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "tệp PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"{\\rtf", "tệp RTF"),
)
_CHUNK = 64 * 1024
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")
_DANGEROUS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MACRO_TYPES = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)


@dataclass(frozen=True)
class XlsxLimits:
    """The §4.7 limits that concern a workbook; the task hands in the values from settings."""

    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_rows: int = 5_000
    max_entries: int = 1_000
    #: An entry that inflates more than this many times is a bomb, not a spreadsheet
    #: (real sheets compress 5-30×; a sheet of identical rows rarely beats 100×).
    max_ratio: int = 200


def check_xlsx(name: str, data: bytes, limits: XlsxLimits) -> None:
    """Raise :class:`Rejected` when ``data`` is not a plain, bounded, macro-free XLSX."""
    _sniff(name, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _not_excel(name) from None
    try:
        with archive:
            infos = archive.infolist()
            _check_directory(name, infos, limits)
            total = [0]
            for info in infos:
                _check_entry(name, archive, info, limits, total)
    except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError, ValueError):
        # a CRC that does not match, sizes that lie, an unknown compression method
        raise reject(
            "xlsx_damaged",
            "",
            "Tệp Excel bị hỏng hoặc nén theo cách không đọc được; hãy mở và lưu lại bằng Excel.",
            file=name,
        ) from None


def _sniff(name: str, data: bytes) -> None:
    """The extension says XLSX; the first bytes must agree (a renamed file gets its own message)."""
    if data.startswith(_CFB):
        if _ENCRYPTION_INFO in data[:1_000_000] or b"EncryptedPackage" in data[:1_000_000]:
            raise reject(
                "xlsx_encrypted",
                "",
                "Tệp Excel có đặt mật khẩu: danvan không mở được. Hãy gỡ mật khẩu "
                "(Tệp → Thông tin → Bảo vệ sổ làm việc) rồi gửi lại.",
                file=name,
            )
        raise reject(
            "xlsx_legacy",
            "",
            "Tệp là định dạng Excel cũ (.xls) hoặc tệp Office cũ đổi đuôi: hãy lưu lại dạng "
            "“Sổ làm việc Excel (.xlsx)” rồi gửi lại.",
            file=name,
        )
    for magic, label in _OTHER_MAGIC:
        if data.startswith(magic):
            raise reject(
                "wrong_file_type", "", f"Tệp có đuôi .xlsx nhưng thực chất là {label}.", name
            )
    if not data.startswith(_ZIP):
        raise _not_excel(name)


def _not_excel(name: str) -> Rejected:
    return reject("wrong_file_type", "", "Tệp có đuôi .xlsx nhưng không phải tệp Excel.", name)


def _check_directory(name: str, infos: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    """What the central directory alone reveals: size of the archive, macros, external links."""
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _not_excel(name)
    if len(infos) > limits.max_entries:
        raise reject(
            "xlsx_too_many_parts",
            "",
            f"Tệp Excel gồm {len(infos)} phần, quá giới hạn {limits.max_entries}.",
            file=name,
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed_bytes:
        raise _too_big(name, limits)
    for info in infos:
        lower = info.filename.lower()
        if "vbaproject" in lower or lower.endswith(".xlsm"):
            raise _macro(name)
        if lower.startswith("xl/externallinks/"):
            raise reject(
                "xlsx_external_link",
                "",
                "Tệp Excel có liên kết tới tệp khác (External Links): hãy bỏ liên kết "
                "(Dữ liệu → Sửa liên kết → Ngắt liên kết) rồi gửi lại.",
                file=name,
            )
        ratio_size = max(info.compress_size, 1)
        if info.file_size > 1_000_000 and info.file_size / ratio_size > limits.max_ratio:
            raise _bomb(name, info.filename)


def _check_entry(
    name: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: XlsxLimits,
    total: list[int],
) -> None:
    """Stream one entry: count its real size, look for DTDs, macros and the last row."""
    is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
    is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    is_types = info.filename == "[Content_Types].xml"
    size = 0
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            total[0] += len(chunk)
            if total[0] > limits.max_uncompressed_bytes:
                raise _too_big(name, limits)
            if size > 1_000_000 and size / max(info.compress_size, 1) > limits.max_ratio:
                raise _bomb(name, info.filename)
            if not (is_xml or is_types):
                continue
            window = tail + chunk
            if _DANGEROUS.search(window):
                raise reject(
                    "xlsx_dtd",
                    "",
                    f"Tệp Excel chứa khai báo DOCTYPE/ENTITY trong {info.filename}: "
                    "không nhận (có thể là bom XML).",
                    file=name,
                )
            if is_types and _MACRO_TYPES.search(window):
                raise _macro(name)
            if is_sheet:
                _check_rows(name, info.filename, window, limits)
            tail = chunk[-256:]


def _check_rows(name: str, part: str, window: bytes, limits: XlsxLimits) -> None:
    declared = [int(m) for m in _DIMENSION.findall(window)]
    rows = [int(m) for m in _ROW.findall(window)]
    last = max(declared + rows, default=0)
    if last > limits.max_rows:
        raise reject(
            "xlsx_too_many_rows",
            "",
            f"Trang tính {part} có tới dòng {last:,}".replace(",", ".")
            + f", quá giới hạn {limits.max_rows:,} dòng.".replace(",", "."),
            file=name,
        )


def _too_big(name: str, limits: XlsxLimits) -> Rejected:
    mb = limits.max_uncompressed_bytes // (1024 * 1024)
    return reject("xlsx_too_large", "", f"Nội dung tệp Excel khi giải nén vượt {mb} MB.", file=name)


def _bomb(name: str, part: str) -> Rejected:
    return reject(
        "xlsx_zip_bomb",
        "",
        f"Phần {part} của tệp Excel nén bất thường (bom nén): không nhận.",
        file=name,
    )


def _macro(name: str) -> Rejected:
    return reject(
        "xlsx_macro",
        "",
        "Tệp Excel có macro (VBA, .xlsm đổi đuôi): không nhận. Hãy lưu lại dạng "
        "“Sổ làm việc Excel (.xlsx)” không có macro rồi gửi lại.",
        file=name,
    )
