"""Reading the files users hand in: the only place input files are opened."""

from __future__ import annotations

from pathlib import Path

from danvan.rules.errors import reject

MAX_INPUT_BYTES = 20 * 1024 * 1024


def read_input(path: str) -> tuple[str, bytes]:
    """``(file name, bytes)``; a missing, unreadable or oversized file is a clear rejection."""
    p = Path(path)
    if not p.is_file():
        raise reject("file_not_found", "", "Không tìm thấy tệp.", file=path)
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise reject("file_too_large", "", "Tệp lớn hơn 20 MB.", file=path)
    try:
        return p.name, p.read_bytes()
    except OSError as exc:
        raise reject("file_unreadable", "", f"Không đọc được tệp ({exc.strerror}).", path) from exc
