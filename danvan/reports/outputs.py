"""Writing compiled files so that no reader ever sees half of one (SPEC §4.1, §4.4).

Every file is first written, under its final name, into a staging folder of its own inside the
target folder (named by the writer's process id and a random part: two compiles into one folder
never share one), then moved into place with ``os.replace``, which is atomic on one file system.
Files keep their real names while staged, so the report embeds the chart as ``bieu-do-….png``. A folder's ``.complete`` marker is removed
before its files are replaced and written last, holding the sha256 of the ``summary.json`` it
belongs to: a reader that finds the marker and a matching summary has a finished compilation.

Office files are zip archives that carry the writing time (entry dates, ``docProps/core.xml``);
``normalise_zip`` pins both to the compilation's instant, so compiling again at the same ``--at``
gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MARKER = ".complete"
_STAGING = re.compile(r"^\.staging-(\d+)-[0-9a-f]{12}$")


def staging_dir(folder: Path) -> Path:
    """A new staging folder inside ``folder``, unique to this process and call."""
    path = folder / f".staging-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return path


def remove_orphans(folder: Path) -> None:
    """Staging folders of writers that died (killed mid-write); live writers' are kept."""
    for p in folder.iterdir():
        m = _STAGING.match(p.name)
        if m and not _alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def normalise_zip(path: Path, at: datetime) -> None:
    """Rewrite the zip at ``path`` with every entry dated ``at`` and the document's created and
    modified times set to ``at`` (same content, same order).

    Entries are copied into a file beside it, which then replaces it. A deflated entry's
    compressed bytes are copied as they are (:func:`_copy_deflated`): inflating and deflating
    them again, at the level they were written with, gave the same bytes for twice the work
    (issue 20: a tenth of a compile's CPU). Others are deflated a chunk at a time: a province's
    workbook holds tens of MB of sheet XML, and reading every entry whole at once was the
    largest peak of a 25,000-unit compile's memory.
    """
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    when = max(at.astimezone(UTC).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}")
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=when)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = info.external_attr
                if info.filename == "docProps/core.xml":
                    text = src.read(info).decode("utf-8")
                    for tag in ("created", "modified"):
                        text = re.sub(
                            rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)",
                            rf"\g<1>{stamp}\g<2>",
                            text,
                        )
                    dst.writestr(fixed, text.encode("utf-8"))
                    continue
                fixed.file_size = info.file_size  # as writestr sets it: the same header
                if _copy_deflated(src, info, dst, fixed):
                    continue
                with src.open(info) as entry, dst.open(fixed, "w") as out:
                    shutil.copyfileobj(entry, out, _CHUNK)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _copy_deflated(
    src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile, fixed: zipfile.ZipInfo
) -> bool:
    """Append ``info``'s compressed bytes to ``dst`` under the header ``fixed``, as
    ``dst.open(fixed, "w")`` would have written them after deflating the same content at the
    default level (what openpyxl and python-docx use): the same local header, data and central
    directory entry. False (nothing written) for an entry stored otherwise, encrypted, or
    large enough to need ZIP64, which are deflated again.

    ``zipfile`` has no public way to copy an entry's compressed bytes; this does what its
    writer does after compressing, with its own ``FileHeader`` and bookkeeping.
    """
    if (
        info.compress_type != zipfile.ZIP_DEFLATED
        or info.flag_bits & 0x1  # encrypted
        or info.file_size * 1.05 > zipfile.ZIP64_LIMIT
        or info.compress_size * 1.05 > zipfile.ZIP64_LIMIT
        or src.fp is None
        or dst.fp is None
    ):
        return False
    src.fp.seek(info.header_offset)
    local = src.fp.read(30)
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little")
    src.fp.seek(start + int.from_bytes(local[28:30], "little"))
    fixed.flag_bits = 0
    fixed.CRC, fixed.compress_size = info.CRC, info.compress_size
    fixed.header_offset = dst.fp.tell()
    dst.fp.write(fixed.FileHeader(False))
    left = info.compress_size
    while left:  # a chunk at a time: a province's sheet is megabytes even compressed
        chunk = src.fp.read(min(left, _CHUNK))
        if not chunk:
            raise zipfile.BadZipFile(f"{info.filename}: truncated")
        dst.fp.write(chunk)
        left -= len(chunk)
    dst.filelist.append(fixed)
    dst.NameToInfo[fixed.filename] = fixed
    dst.start_dir = dst.fp.tell()
    dst._didModify = True  # type: ignore[attr-defined]
    return True


#: How much of a zip entry is held at once while it is copied.
_CHUNK = 1 << 20


class FolderWriter:
    """Stage a compiler folder's files, then move them all into place, the marker last.

    A writer that fails before its commit (a full or read-only disk, a bug) leaves no folder it
    made behind: the compiler folder, and the ``--out`` folders above it it had to create, are
    removed again while empty. A folder that was there before is left as it was found.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staging: Path | None = None
        self.staged: list[str] = []
        self.made: list[Path] = []  # the folders this writer created, deepest first
        self.committed = False

    def __enter__(self) -> FolderWriter:
        self.made = missing_folders(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            remove_orphans(self.folder)
            (self.folder / MARKER).unlink(missing_ok=True)
            self.staging = staging_dir(self.folder)
        except BaseException:
            remove_empty(self.made)
            raise
        return self

    def stage(self, name: str, write: Callable[[Path], None]) -> Path:
        """Write one file into the staging folder (``write`` gets the path); returns that path,
        which later files may read (the report embeds the chart)."""
        assert self.staging is not None
        path = self.staging / name
        write(path)
        self.staged.append(name)
        return path

    def commit(self, summary: bytes) -> None:
        """Move every staged file into place, the summary last, then write the marker."""
        assert self.staging is not None
        (self.staging / "summary.json").write_bytes(summary)
        digest = hashlib.sha256(summary).hexdigest()
        (self.staging / MARKER).write_text(f"{digest}\n")
        for name in [*self.staged, "summary.json", MARKER]:
            os.replace(self.staging / name, self.folder / name)
        self.committed = True

    def __exit__(self, *_exc: object) -> None:
        if self.staging is not None:  # whatever was not moved: leave nothing behind
            shutil.rmtree(self.staging, ignore_errors=True)
        if not self.committed:
            remove_empty(self.made)


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those above it that do not exist yet, deepest first."""
    out = []
    while not folder.exists() and folder.parent != folder:
        out.append(folder)
        folder = folder.parent
    return out


def remove_empty(folders: list[Path]) -> None:
    """Remove these folders (deepest first) while they are empty; stop at the first that is
    not (another compile writing there, a file put in meanwhile) or cannot be removed."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a finished compilation (its marker matches its summary)."""
    try:
        marker = (folder / MARKER).read_text().strip()
        summary = (folder / "summary.json").read_bytes()
    except OSError:
        return False
    return marker == hashlib.sha256(summary).hexdigest()
