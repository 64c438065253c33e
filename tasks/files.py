"""Reading the files users hand in: the only place input files are opened.

Files are opened without following a symbolic link at the last step and read only up to the
limit plus one byte, so an oversized or endless file (a FIFO, /dev/zero behind a link) is
refused without being read whole (SPEC §4.7).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from danvan.config.settings import get_settings
from danvan.rules.errors import reject
from danvan.rules.text import format_int
from danvan.rules.xlsx_gate import XlsxLimits

MAX_INPUT_BYTES = 20 * 1024 * 1024


def xlsx_limits(kind: Literal["submission", "org"] = "submission") -> XlsxLimits:
    """The §4.7 workbook limits from settings: a submission sheet or an org sheet."""
    s = get_settings()
    rows = s.max_org_rows if kind == "org" else s.max_submission_rows
    return XlsxLimits(max_uncompressed_bytes=s.max_uncompressed_bytes, max_rows=rows)


def read_input(path: str) -> tuple[str, bytes]:
    """``(file name, bytes)``; a missing, unreadable or oversized file is a clear rejection."""
    p = Path(path)
    if not p.is_file():
        raise reject("file_not_found", "", "Không tìm thấy tệp.", file=path)
    limit = get_settings().max_upload_bytes
    if p.stat().st_size > limit:
        raise reject("file_too_large", "", f"Tệp lớn hơn {_mb(limit)} MB.", file=path)
    try:
        return p.name, p.read_bytes()
    except OSError as exc:
        raise reject("file_unreadable", "", f"Không đọc được tệp ({exc.strerror}).", path) from exc


def read_attachment(path: Path, *, field: str, label: str, limit: int) -> bytes:
    """A report or evidence file: never through a symbolic link, read only up to ``limit``."""
    kind = field.split(".")[0]  # report_file | evidence
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except FileNotFoundError:
        raise reject(
            f"{kind}_missing", field, f"Không tìm thấy {label} “{path.name}” gửi kèm."
        ) from None
    except OSError as exc:
        code = "symlink_refused" if path.is_symlink() else f"{kind}_unreadable"
        why = "là liên kết tượng trưng" if path.is_symlink() else exc.strerror
        raise reject(code, field, f"Không đọc {label} “{path.name}”: {why}.") from None
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise reject(
                f"{kind}_not_file", field, f"{label.capitalize()} “{path.name}” không phải tệp."
            )
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise reject(
            f"{kind}_too_large",
            field,
            f"{label.capitalize()} “{path.name}” lớn hơn {_mb(limit)} MB.",
        )
    return data


def _mb(n: int) -> str:
    return format_int(n // (1024 * 1024))
