"""Compiled files kept in the database, so any machine hands out any compilation's files.

A compile run may happen on any worker, and the portal or an official's command on another
machine; each file a compilation writes is therefore stored once by its sha256 in
``stored_file`` (the table that keeps submitted originals) and named in ``compiled_file``, in
the transaction that records the compilation. A reader whose output folder lacks a file (or
holds other bytes) gets it written back from the database, atomically and checked by sha256.
A compiler's files are held at once while they are stored (a few MB; ``stored_file`` keeps
whole values), one compiler at a time.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from danvan.models import store
from danvan.models.db import get_engine, reading
from danvan.models.tables import Compilation, CompiledFile, StoredFile, Unit
from danvan.tasks.files import safe_join

_CHUNK = 1 << 20


def keep_files(
    session: Session, *, compilation_id: int, folder: Path, names: list[str], at: datetime
) -> None:
    """Store the files ``names`` of ``folder`` (just written by this compilation) by sha256.

    One compiler's files at a time (a province's are a few MB, its 25,000-unit workbook
    included), in three statements whatever their number: which are stored already, the new
    ones' bytes, their names (issue 20: a statement per file and a check per file were half the
    recording's round trips)."""
    files = {name: (folder / name).read_bytes() for name in names}
    digests = {name: store.sha256(data) for name, data in files.items()}
    known = store.known_files(session=session, digests=digests.values())
    new = {}
    for name, data in files.items():
        if digests[name] not in known:
            new[digests[name]] = {"sha256": digests[name], "size": len(data), "content": data,
                                  "first_seen_at": at}  # fmt: skip
    store.insert_missing(
        session=session, model=StoredFile, rows=list(new.values()), keys=["sha256"]
    )
    rows = [
        {"compilation_id": compilation_id, "file_name": name, "sha256": digests[name],
         "size": len(files[name])}
        for name in names
    ]  # fmt: skip
    del files, new
    store.insert_ignore(
        session=session, model=CompiledFile, rows=rows, keys=["compilation_id", "file_name"]
    )


def stored_files(session: Session, *, cycle_id: int, compiler_id: int) -> dict[str, str]:
    """File name → sha256 of the latest compilation of ``compiler_id`` that kept its files."""
    latest = _latest(session, Compilation.id, Compilation.compiler_id == compiler_id, cycle_id)
    if latest is None:
        return {}
    found = session.exec(
        select(CompiledFile.file_name, CompiledFile.sha256).where(
            CompiledFile.compilation_id == latest
        )
    ).all()
    return dict(found)


def _latest(session: Session, what: Any, where: Any, cycle_id: int) -> Any:
    """``what`` of the cycle's latest compilation that kept a file matching ``where``."""
    return session.exec(
        select(what)
        .select_from(CompiledFile)
        .join(Compilation, col(CompiledFile.compilation_id) == Compilation.id)
        .where(Compilation.cycle_id == cycle_id, where)
        .order_by(col(Compilation.compiled_at).desc(), col(Compilation.id).desc())
        .limit(1)
    ).first()


def _sha256_of(path: Path) -> str | None:
    if not path.is_file() or path.is_symlink():
        return None
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def materialize(year: int, code: str, out_dir: Path, province: str | None = None) -> list[str]:
    """Make ``out_dir/code`` hold the files of ``code``'s latest stored compilation (missing or
    different ones written from the database, atomically). Returns the stored file names."""
    with reading(get_engine()) as session:
        cycle = store.find_cycle(session=session, year=year, province=province)
        unit = session.exec(select(Unit.id).where(Unit.code == code)).first()
        if cycle is None or cycle.id is None or unit is None:
            return []
        files = stored_files(session, cycle_id=cycle.id, compiler_id=unit)
        folder = Path(safe_join(str(out_dir), code))
        for name, digest in sorted(files.items()):
            target = folder / name
            if _sha256_of(target) == digest:
                continue
            row = session.get(StoredFile, digest)
            if row is None or store.sha256(row.content) != digest:
                continue  # the store never lost a file; a damaged one is not handed out
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
            tmp.write_bytes(row.content)
            os.replace(tmp, target)
            session.expunge(row)  # one file's bytes in memory at a time
    return sorted(files)


def stored_report(cycle_id: int, name: str) -> bytes | None:
    """The bytes of the file ``name`` of the cycle's latest compilation that wrote it (names
    carry the compiler's code and the year), from the database; None when none kept it."""
    with reading(get_engine()) as session:
        digest = _latest(session, CompiledFile.sha256, CompiledFile.file_name == name, cycle_id)
        row = session.get(StoredFile, digest) if digest else None
        return row.content if row is not None and store.sha256(row.content) == digest else None
