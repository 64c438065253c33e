"""Reading the files users hand in (the only place input files are opened), and output paths.

Every read is bounded: a file is opened, checked to be a regular file on the open descriptor
(not a directory, a FIFO that would block, a device), and read only up to its limit plus one
byte, so a 3 GB file costs 50 MB at most before it is refused (SPEC §4.7). A file *named inside*
a submission (its narrative report, its evidence) is opened component by component relative to
the submission's folder, never through a symbolic link: a submission cannot make danvan store
``/etc/shadow``. Output folders are joined with :func:`safe_join`, which refuses any path that
would resolve outside the output root, whatever a code contains; :func:`output_folder` makes
the root and takes back what it made when the work inside fails.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from danvan.config.settings import get_settings
from danvan.reports.outputs import missing_folders, remove_empty
from danvan.rules.errors import Rejected, reject
from danvan.rules.limits import Limits
from danvan.rules.text import format_int
from danvan.rules.xlsx_gate import XlsxLimits

_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def limits() -> Limits:
    """The configured input limits (settings ``DANVAN_MAX_*``)."""
    return get_settings().limits()


def xlsx_limits(kind: Literal["submission", "org"] = "submission") -> XlsxLimits:
    """The §4.7 workbook limits from settings: a submission sheet or an org sheet."""
    s = get_settings()
    rows = s.max_org_rows if kind == "org" else s.max_submission_rows
    return XlsxLimits(max_uncompressed_bytes=s.max_uncompressed_bytes, max_rows=rows)


def _mb(n: int) -> str:
    return f"{format_int(n // (1024 * 1024))} MB" if n >= 1024 * 1024 else f"{format_int(n)} byte"


def read_input(path: str, *, max_bytes: int | None = None) -> tuple[str, bytes]:
    """``(file name, bytes)`` of a file given by the operator; a clear rejection otherwise.

    A missing file, a directory, something that is not a regular file, an unreadable or an
    oversized file each get their own code.
    """
    limit = limits().max_file_bytes if max_bytes is None else max_bytes
    p = Path(path)
    try:
        fd = os.open(p, _OPEN)
    except OSError as exc:
        raise _open_error(exc, path, "", "file") from None
    data = _read_bounded(fd, path, "", "file", limit)
    return p.name, data


def read_attachment(
    path: Path, *, field: str, label: str, limit: int, base: Path | None = None
) -> bytes:
    """A report or evidence file: never through a symbolic link, read only up to ``limit``.

    With ``base`` (the folder the submission names it from), every folder between ``base`` and
    the file is opened without following links too, so ``dir/x.pdf`` through a linked ``dir``
    is refused like a linked ``x.pdf``.
    """
    kind = field.split(".")[0]  # report_file | evidence
    relative = path.relative_to(base) if base is not None else Path(path.name)
    parts = relative.parts
    if not parts or ".." in parts:
        raise reject(f"{kind}_invalid_path", field, f"{label.capitalize()} phải nằm cùng thư mục.")
    fd = -1
    try:
        folder = base if base is not None else path.parent
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        file_fd = os.open(parts[-1], _OPEN | _NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        raise _attachment_error(exc, field, kind, label, relative.as_posix()) from None
    finally:
        if fd >= 0:
            os.close(fd)
    what = f"{label} “{path.name}”"
    return _read_bounded(file_fd, "", field, kind, limit, what, not_file=f"{kind}_not_file")


def _attachment_error(exc: OSError, field: str, kind: str, label: str, name: str) -> Rejected:
    if exc.errno in (errno.ELOOP, errno.EMLINK) or exc.errno == errno.ENOTDIR:
        return reject(
            "symlink_refused",
            field,
            f"Không đọc {label} “{name}”: là liên kết tượng trưng (symlink) hoặc nằm trong "
            "thư mục liên kết; hãy gửi chính tệp đó.",
        )
    if exc.errno == errno.ENOENT:
        return reject(f"{kind}_missing", field, f"Không tìm thấy {label} “{name}” gửi kèm.")
    if exc.errno == errno.EISDIR:
        return reject(f"{kind}_not_file", field, f"{label.capitalize()} “{name}” không phải tệp.")
    why = exc.strerror or type(exc).__name__
    return reject(f"{kind}_unreadable", field, f"Không đọc {label} “{name}”: {why}.")


def _open_error(
    exc: OSError, file: str, field: str, code: str, what: str = "tệp", name: str = ""
) -> Rejected:
    named = f" “{name}”" if name else ""
    if exc.errno in (errno.ELOOP, errno.EMLINK) or (exc.errno == errno.ENOTDIR and name):
        return reject(
            f"{code}_symlink",
            field,
            f"{what.capitalize()}{named} là liên kết tượng trưng (symlink) hoặc nằm trong "
            "thư mục liên kết; hãy gửi chính tệp đó.",
            file,
        )
    if exc.errno == errno.ENOENT or (exc.errno == errno.ENOTDIR and not name):
        if not name:
            return reject("file_not_found", field, "Không tìm thấy tệp.", file)
        return reject(
            f"{code}_missing",
            field,
            f"Không tìm thấy {what}{named} bên cạnh tệp đã nộp.",
            file,
        )
    if exc.errno == errno.EISDIR:
        return reject(
            f"{code}_is_directory", field, f"{what.capitalize()}{named} là một thư mục.", file
        )
    reason = exc.strerror or type(exc).__name__
    return reject(f"{code}_unreadable", field, f"Không đọc được {what}{named} ({reason}).", file)


def _read_bounded(
    fd: int,
    file: str,
    field: str,
    code: str,
    limit: int,
    what: str = "tệp",
    not_file: str | None = None,
) -> bytes:
    """Read at most ``limit`` bytes from ``fd`` (closed here); one byte more is a rejection."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise _open_error(exc, file, field, code, what) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise reject(
                not_file or f"{code}_is_directory",
                field,
                f"{what.capitalize()} là một thư mục.",
                file,
            )
        raise reject(
            not_file or f"{code}_not_regular",
            field,
            f"{what.capitalize()} không phải tệp thông thường.",
            file,
        )
    chunks, left = [], limit + 1
    with os.fdopen(fd, "rb", buffering=0) as handle:
        try:
            while left > 0:
                chunk = handle.read(min(left, 1024 * 1024))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise _open_error(exc, file, field, code, what) from None
    data = b"".join(chunks)
    if len(data) > limit:
        raise reject(f"{code}_too_large", field, f"{what.capitalize()} lớn hơn {_mb(limit)}.", file)
    return data


@contextmanager
def output_folder(path: str | Path) -> Iterator[Path]:
    """:func:`prepare_out_dir` for the work inside the ``with``; when that work fails (a full
    disk met halfway), the folders created here are removed again while empty: a compile that
    could not write leaves no empty ``--out`` behind, as its compiler folders leave none."""
    made = missing_folders(Path(path))
    out = prepare_out_dir(path)
    try:
        yield out
    except BaseException:
        remove_empty(made)
        raise


def prepare_out_dir(path: str | Path) -> Path:
    """Create the output folder (``--out``) and prove it writable before any work is done.

    Without this, an unwritable folder is found only after the whole compilation, as a
    traceback; here it is one line with its code.
    """
    out = Path(path)
    made = missing_folders(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except FileExistsError:
        msg = f"“{out}” là một tệp, không phải thư mục."
        raise reject("out_not_a_directory", "--out", msg) from None
    except OSError as exc:
        remove_empty(made)
        reason = exc.strerror or type(exc).__name__
        raise reject(
            "out_unwritable", "--out", f"Không ghi được vào thư mục “{out}” ({reason})."
        ) from None
    if not out.is_dir():
        raise reject("out_not_a_directory", "--out", f"“{out}” không phải thư mục.")
    return out


def safe_join(root: str | Path, *parts: str) -> Path:
    """``root / parts…``, refused (``[unsafe_path]``) if it would resolve outside ``root``.

    Codes are validated where they enter; this is the second wall, for outputs: whatever a
    stored code holds, nothing is written outside the folder the operator chose.
    """
    base = Path(root).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise reject(
            "unsafe_path",
            "",
            f"Đường dẫn kết quả “{'/'.join(parts)[:80]}” nằm ngoài thư mục kết quả.",
        )
    return target
