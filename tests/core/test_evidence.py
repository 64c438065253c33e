"""Report and evidence files are kept with each version, listed by status, given back by export."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from openpyxl import load_workbook

from tests.helpers.province import YEAR, issue_small_cycle
from tests.helpers.workbooks import fill

UNIT = "TST.H01.X01"


def _yaml(folder: Path, **extra: object) -> Path:
    doc = {
        "unit": UNIT,
        "year": YEAR,
        "submitted_by": "Người thử",
        "scores": {"1": 45, "2": 40},
        "figures": {},
        **extra,
    }
    path = folder / "x01.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def test_yaml_and_workbook_evidence_kept_listed_and_exported(db_url, tmp_path, cli):
    issue_small_cycle(tmp_path)
    (tmp_path / "bao-cao.docx").write_bytes(b"PK report v1")
    (tmp_path / "ke-hoach-30.pdf").write_bytes(b"%PDF plan")
    path = _yaml(tmp_path, report_file="bao-cao.docx", evidence={"1": ["ke-hoach-30.pdf"]})
    r = cli("submit", path, "--at", "2024-11-08T10:00")
    assert r.exit_code == 0, r.stderr

    mau = tmp_path / "mau"
    assert cli("template", "--cycle", YEAR, "--unit", UNIT, "--out", mau).exit_code == 0
    wb_path = mau / f"{UNIT}-tu-danh-gia-{YEAR}.xlsx"
    (mau / "bien-ban.pdf").write_bytes(b"%PDF minutes")
    (mau / "bao-cao-v2.docx").write_bytes(b"PK report v2")
    fill(
        wb_path,
        scores={"1": 45, "2": 40},
        figures={},
        notes={"2": "bien-ban.pdf; đã tổ chức 4 hội nghị"},
    )
    wb = load_workbook(wb_path)
    guide = wb["Hướng dẫn"]
    next(r for r in guide.iter_rows() if r[0].value == "Tệp báo cáo thuyết minh")[
        1
    ].value = "bao-cao-v2.docx"
    wb.save(wb_path)
    r = cli("submit", wb_path, "--at", "2024-11-09T10:00")
    assert r.exit_code == 0, r.stderr

    r = cli("status", "--cycle", YEAR, "--unit", UNIT, "--format", "json")
    assert r.exit_code == 0, r.stderr
    versions = r.json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert [(f["role"], f["criterion"], f["file_name"]) for f in versions[0]["files"]] == [
        ("report", None, "bao-cao.docx"),
        ("evidence", "1", "ke-hoach-30.pdf"),
    ]
    assert [(f["role"], f["criterion"], f["file_name"]) for f in versions[1]["files"]] == [
        ("report", None, "bao-cao-v2.docx"),
        ("evidence", "2", "bien-ban.pdf"),
    ]
    text = cli("status", "--cycle", YEAR, "--unit", UNIT)
    assert "minh chứng tiêu chí 2: bien-ban.pdf" in text.stdout

    out = tmp_path / "ho-so"
    r = cli("export", "--cycle", YEAR, "--unit", UNIT, "--out", out)
    assert r.exit_code == 0, r.stderr
    base = out / UNIT
    assert (base / "v1" / "x01.yaml").read_bytes() == path.read_bytes()
    assert (base / "v1" / "bao-cao" / "bao-cao.docx").read_bytes() == b"PK report v1"
    assert (base / "v1" / "minh-chung" / "1" / "ke-hoach-30.pdf").read_bytes() == b"%PDF plan"
    assert (base / "v2" / wb_path.name).read_bytes() == wb_path.read_bytes()
    assert (base / "v2" / "minh-chung" / "2" / "bien-ban.pdf").read_bytes() == b"%PDF minutes"


def test_evidence_missing_symlinked_or_too_large_is_refused(sqlite_url, tmp_path, cli, monkeypatch):
    from danvan.config.settings import get_settings

    issue_small_cycle(tmp_path)
    (tmp_path / "big.pdf").write_bytes(b"x" * 2048)
    secret = tmp_path / "outside.txt"
    secret.write_bytes(b"secret")
    os.symlink(secret, tmp_path / "link.pdf")
    monkeypatch.setenv("DANVAN_MAX_EVIDENCE_BYTES", "1024")
    get_settings.cache_clear()
    path = _yaml(
        tmp_path,
        report_file="missing.docx",
        evidence={"1": ["big.pdf", "link.pdf"], "2": ["../etc/passwd"]},
    )
    r = cli("submit", path, "--at", "2024-11-08T10:00", "--format", "json")
    assert r.exit_code == 1
    got = {(p["field"], p["code"]) for p in r.json()["files"][0]["problems"]}
    assert got == {("evidence.2", "invalid_path")}
    path = _yaml(tmp_path, report_file="missing.docx", evidence={"1": ["big.pdf", "link.pdf"]})
    r = cli("submit", path, "--at", "2024-11-08T10:00", "--format", "json")
    got = {(p["field"], p["code"]) for p in r.json()["files"][0]["problems"]}
    assert got == {
        ("report_file", "report_file_missing"),
        ("evidence.1", "evidence_too_large"),
        ("evidence.1", "symlink_refused"),
    }
    status = cli("status", "--cycle", YEAR, "--unit", UNIT, "--format", "json")
    assert status.json()["versions"] == []
