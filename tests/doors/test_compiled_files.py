"""Reports reachable whoever compiled them: a compilation's files are kept in the database by
sha256 in its own transaction, so a portal on another machine (an empty output folder) hands
out the same bytes, written back into its folder and checked by sha256."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from tests.helpers import portal as h


def test_a_report_compiled_elsewhere_downloads_identical(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.config.settings import get_settings
    from danvan.flows.compile import compile_reports
    from danvan.flows.intake import submit
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import CompiledFile, StoredFile
    from danvan.portal.server import running

    h.set_up_province(tmp_path / "p")
    submit.fn(
        [str(h.write_json(tmp_path / "x07.json", h.submission(h.UNIT)))], h.at("2024-11-08T09:00")
    )
    worker_out = tmp_path / "worker-out"  # the worker's machine
    compile_reports.fn(2024, h.at("2024-11-21T09:00"), str(worker_out), h.DISTRICT)
    folder = worker_out / h.DISTRICT
    written = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name[0] != "."}
    report = f"bao-cao-tong-hop-{h.DISTRICT}-2024.docx"
    assert report in written
    with reading(get_engine()) as session:
        kept = {r.file_name: r.sha256 for r in session.exec(select(CompiledFile)).all()}
        assert kept == {n: hashlib.sha256(b).hexdigest() for n, b in written.items()}
        assert all(session.get(StoredFile, d) is not None for d in kept.values())
    # the same compile again (same --at): nothing stored twice
    compile_reports.fn(2024, h.at("2024-11-21T09:00"), str(worker_out), h.DISTRICT)
    with reading(get_engine()) as session:
        assert len(session.exec(select(CompiledFile)).all()) == len(kept)
    shutil.rmtree(worker_out)  # gone: the portal runs on another machine

    # a message's attachment sent from another machine (the outbox reads it at send time)
    from danvan.models.store import find_cycle
    from danvan.tasks.attachments import file_attachment

    with reading(get_engine()) as session:
        cycle = find_cycle(session=session, year=2024)
        assert cycle is not None and cycle.id is not None
    assert file_attachment(str(folder / report), cycle.id) == ((report, written[report]),)
    assert file_attachment(str(folder / "khong-co.docx"), cycle.id) == ()

    portal_out = tmp_path / "portal-out"
    monkeypatch.setenv("DANVAN_OUT_DIR", str(portal_out))
    get_settings.cache_clear()
    links = h.mint_links([h.DISTRICT])
    with running(now=lambda: h.at("2024-11-22T09:00")) as url:
        district = h.open_session(url, links[h.DISTRICT])
        assert report in district.get("/tong-hop").text
        (portal_out / h.DISTRICT).mkdir(parents=True, exist_ok=True)
        (portal_out / h.DISTRICT / report).write_bytes(b"stale")  # other bytes: replaced
        got = district.get(f"/tong-hop/bao-cao/{report}")
        assert got.status_code == 200
        assert got.content == written[report]
        xlsx = f"bang-diem-{h.DISTRICT}-2024.xlsx"
        assert district.get(f"/tong-hop/bao-cao/{xlsx}").content == written[xlsx]
        assert district.get("/tong-hop/bao-cao/khong-co.docx").status_code == 404
    assert (portal_out / h.DISTRICT / report).read_bytes() == written[report]
    assert not [p for p in (portal_out / h.DISTRICT).iterdir() if p.name.startswith(".bao")]
