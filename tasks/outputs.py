"""Writing compiled files so that no reader ever sees half of one (SPEC §4.1, §4.4).

Every file is written under a temporary name of its own in the target folder (the writer's
process id and a random part: two compiles into one folder never share one) and moved into place
with ``os.replace``, which is atomic within a folder. A folder's ``.complete`` marker is removed
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
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MARKER = ".complete"
_TMP = re.compile(r"^\..+\.(\d+)-[0-9a-f]{12}\.tmp$")


def temp_path(final: Path) -> Path:
    """A temporary name beside ``final``, unique to this process and call."""
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")


def remove_orphans(folder: Path) -> None:
    """Temporary files of writers that died (killed mid-write); live writers' files are kept."""
    for p in folder.iterdir():
        m = _TMP.match(p.name)
        if m and not _alive(int(m.group(1))):
            p.unlink(missing_ok=True)


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


def write_bytes(final: Path, data: bytes) -> None:
    tmp = temp_path(final)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def normalise_zip(path: Path, at: datetime) -> None:
    """Rewrite the zip at ``path`` with every entry dated ``at`` and the document's created and
    modified times set to ``at`` (same content, same order)."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    when = max(at.astimezone(UTC).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(
                        rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)",
                        rf"\g<1>{stamp}\g<2>",
                        text,
                    )
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=when)  # type: ignore[arg-type]
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)


class FolderWriter:
    """Stage a compiler folder's files under temporary names, then move them all into place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> FolderWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.folder)
        (self.folder / MARKER).unlink(missing_ok=True)
        return self

    def stage(self, name: str, write: Callable[[Path], None]) -> Path:
        """Write one file under a temporary name (``write`` gets the path); returns that path,
        which later files may read (the report embeds the chart)."""
        final = self.folder / name
        tmp = temp_path(final)
        self.staged.append((tmp, final))
        write(tmp)
        return tmp

    def commit(self, summary: bytes) -> None:
        """Move every staged file into place, the summary last, then write the marker."""
        for tmp, final in self.staged:
            os.replace(tmp, final)
        self.staged = []
        write_bytes(self.folder / "summary.json", summary)
        digest = hashlib.sha256(summary).hexdigest()
        write_bytes(self.folder / MARKER, f"{digest}\n".encode())

    def __exit__(self, *_exc: object) -> None:
        for tmp, _final in self.staged:  # not committed: leave nothing behind
            tmp.unlink(missing_ok=True)


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a finished compilation (its marker matches its summary)."""
    try:
        marker = (folder / MARKER).read_text().strip()
        summary = (folder / "summary.json").read_bytes()
    except OSError:
        return False
    return marker == hashlib.sha256(summary).hexdigest()
