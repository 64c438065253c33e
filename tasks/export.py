"""Trả lại hồ sơ: a unit's files back, every version with its report and evidence (SPEC §4)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from danvan.models.db import get_engine, reading
from danvan.models.tables import StoredFile
from danvan.tasks.views import unit_files


def export_unit(year: int, code: str, out: Path) -> list[Path]:
    """Write ``out/<code>/v<N>/`` per version: the file as sent, ``bao-cao/``, ``minh-chung/<c>/``.

    Names are the ones the unit wrote (already checked relative, without ``..``); a name that
    would still land outside the folder is reduced to its last part.
    """
    written: list[Path] = []
    with reading(get_engine()) as session:
        doc = unit_files(session, year=year, code=code)
        for v in doc["versions"]:
            folder = out / code / f"v{v['version']}"
            items = [(folder, v["file_name"], v["sha256"])]
            for f in v["files"]:
                where = "bao-cao" if f["role"] == "report" else f"minh-chung/{f['criterion']}"
                items.append((folder / where, f["file_name"], f["sha256"]))
            for base, name, sha in items:
                stored = session.get(StoredFile, sha)
                assert stored is not None, sha
                target = _inside(base, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(stored.content)
                written.append(target)
    return written


def _inside(base: Path, name: str) -> Path:
    target = base / PurePosixPath(name)
    if not target.resolve().is_relative_to(base.resolve()):
        target = base / PurePosixPath(name).name
    return target
