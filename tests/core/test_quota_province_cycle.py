"""End to end (CLI): ``top_band_quota`` with ``scope: province`` on both databases (issue 17).

Ten ranked units (hand-worked in tests/rules/test_rules_quota_province.py): departments S1 96,
S2 88, S3 91, S4 75; districts D1 93, D2 80; communes D1.X1 97, D1.X2 92, D2.X1 94, D2.X2 60.
Bands Tốt ≥ 90, Khá ≥ 70, Trung bình ≥ 50. Quota 20 % over the province: 10 × 0,2 = 2 keep Tốt
(D1.X1 97 and S1 96); D2.X1 94, D1 93, D1.X2 92 and S3 91 move to Khá. The districts compile
first and hold their Tốt provisionally; the province's compilation, ``status`` and ``publish``
carry the final bands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

pytestmark = pytest.mark.slow

BANDS = [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70},
         {"name": "Trung bình", "min": 50}, {"name": "Yếu", "min": 0}]  # fmt: skip
SET = {
    "code": "Q-TINH", "name": "Tiêu chí thử", "bonus_max": 5, "penalty_max": 10,
    "groups": [{"code": "I", "name": "Chung", "criteria": [
        {"code": "1", "name": "Kế hoạch", "max": 50}, {"code": "2", "name": "Thực hiện", "max": 50}]}],
    "bands": BANDS, "rules": [{"top_band_quota": {"share": 0.2, "scope": "province"}}],
}  # fmt: skip
UNITS = [("P", "Ủy ban nhân dân tỉnh Thử", "province", None),
         ("P.S1", "Sở Nội vụ", "department", "P"), ("P.S2", "Sở Tư pháp", "department", "P"),
         ("P.S3", "Sở Tài chính", "department", "P"), ("P.S4", "Sở Y tế", "department", "P"),
         ("P.D1", "Ủy ban nhân dân huyện Một", "district", "P"),
         ("P.D2", "Ủy ban nhân dân huyện Hai", "district", "P"),
         ("P.D1.X1", "Ủy ban nhân dân xã Một A", "commune", "P.D1"),
         ("P.D1.X2", "Ủy ban nhân dân xã Một B", "commune", "P.D1"),
         ("P.D2.X1", "Ủy ban nhân dân xã Hai A", "commune", "P.D2"),
         ("P.D2.X2", "Ủy ban nhân dân xã Hai B", "commune", "P.D2")]  # fmt: skip
SCORES = {"P.S1": (48, 48), "P.S2": (44, 44), "P.S3": (45, 46), "P.S4": (40, 35),
          "P.D1": (46, 47), "P.D2": (40, 40), "P.D1.X1": (50, 47), "P.D1.X2": (46, 46),
          "P.D2.X1": (47, 47), "P.D2.X2": (30, 30)}  # fmt: skip
MOVED = ["P.D2.X1", "P.D1", "P.D1.X2", "P.S3"]
FINAL = {"P.S1": "Tốt", "P.S2": "Khá", "P.S3": "Khá", "P.S4": "Khá", "P.D1": "Khá",
         "P.D2": "Khá", "P.D1.X1": "Tốt", "P.D1.X2": "Khá", "P.D2.X1": "Khá",
         "P.D2.X2": "Trung bình"}  # fmt: skip


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def plan(tmp_path: Path, criteria: dict) -> Path:
    org = [
        {"code": c, "name": n, "kind": k, **({"parent": p} if p else {})} for c, n, k, p in UNITS
    ]
    write(tmp_path, "org.yaml", {"units": org})
    write(tmp_path, "criteria.yaml", criteria)
    return write(tmp_path, "plan.yaml", {
        "province": "P", "year": 2024, "title": "Kế hoạch thử", "issued_on": "2024-02-17",
        "criteria": {"default": "criteria.yaml"},
        "deadlines": {"self_assessment": "2024-11-10", "district_compilation": "2024-11-20",
                      "province_scoring": "2024-11-29"}})  # fmt: skip


def text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_a_bad_scope_is_refused_by_plan_issue(sqlite_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = {**SET, "rules": [{"top_band_quota": {"share": 0.2, "scope": "tinh"}}]}
    path = plan(tmp_path, bad)
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    r = cli("plan", "issue", path, "--at", "2024-02-17T09:00")
    assert r.exit_code != 0
    assert "rules[0].top_band_quota.scope" in r.stderr and "[invalid_rule]" in r.stderr
    assert "Phạm vi áp dụng tỷ lệ “tinh” không có" in r.stderr


def test_one_quota_over_the_province(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = plan(tmp_path, SET)
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    r = cli("plan", "issue", path, "--at", "2024-02-17T09:00")
    assert r.exit_code == 0, r.stderr
    for i, (unit, (a, b)) in enumerate(SCORES.items()):
        doc = {"unit": unit, "year": 2024, "submitted_by": "Văn phòng", "scores": {"1": a, "2": b},
               "figures": {}}  # fmt: skip
        r = cli(
            "submit", write(tmp_path, f"{unit}.yaml", doc), "--at", f"2024-11-08T{8 + i:02d}:00"
        )
        assert r.exit_code == 0, r.stderr

    # a district compiles first: no quota yet, its Tốt said to be provisional
    early = tmp_path / "early"
    r = cli(
        "compile", "--cycle", "2024", "--unit", "P.D1", "--out", early, "--at", "2024-11-18T16:00"
    )
    assert r.exit_code == 0, r.stderr
    d1 = json.loads((early / "P.D1" / "summary.json").read_text("utf-8"))
    assert [(x["unit"], x["total"], x["band"], x["rules"]) for x in d1["ranking"]] == [
        ("P.D1.X1", 97.0, "Tốt", []), ("P.D1.X2", 92.0, "Tốt", [])]  # fmt: skip
    assert d1["bands"]["Tốt"] == 2
    [q] = d1["top_band_quota"]
    assert (q["final"], q["held"], q["keep"]) == (False, ["P.D1.X1", "P.D1.X2"], None)
    report = text(early / "P.D1" / "bao-cao-tong-hop-P.D1-2024.docx")
    assert (
        "Xếp loại Tốt của 02 đơn vị là tạm thời: Ủy ban nhân dân xã Một A, Ủy ban nhân dân xã Một"
        " B; tỷ lệ không quá 20% số đơn vị được xếp loại Tốt được áp dụng trên toàn tỉnh, Sở Nội"
        " vụ xác định xếp loại cuối cùng khi tổng hợp, thẩm định cấp tỉnh."
    ) in report
    assert report.count("Tốt (tạm thời)") == 2  # Phụ lục II
    ws = load_workbook(early / "P.D1" / "bang-diem-P.D1-2024.xlsx", read_only=True)["Xếp hạng"]
    assert [r[-1] for r in ws.iter_rows(values_only=True) if "Tốt (tạm thời)" in r] == [
        "P.D1.X1", "P.D1.X2"]  # fmt: skip

    # the province: one count of 10 units → 2 keep Tốt
    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2024", "--out", out, "--at", "2024-11-25T16:00")
    assert r.exit_code == 0, r.stderr
    p = json.loads((out / "P" / "summary.json").read_text("utf-8"))
    assert [(x["unit"], x["total"], x["band"], x["rules"]) for x in p["ranking"]] == [
        ("P.S1", 96.0, "Tốt", []), ("P.D1", 93.0, "Khá", ["top_band_quota"]),
        ("P.S3", 91.0, "Khá", ["top_band_quota"]), ("P.S2", 88.0, "Khá", []),
        ("P.D2", 80.0, "Khá", []), ("P.S4", 75.0, "Khá", [])]  # fmt: skip
    assert p["bands"] == {"Tốt": 1, "Khá": 5, "Trung bình": 0, "Yếu": 0}
    [q] = p["top_band_quota"]
    assert (q["final"], q["ranked"], q["keep"], q["moved"]) == (True, 10, 2, MOVED)
    report = text(out / "P" / "bao-cao-tong-hop-P-2024.docx")
    assert (
        "Áp dụng tỷ lệ không quá 20% số đơn vị được xếp loại Tốt trên toàn tỉnh: 10 đơn vị được"
        " xếp loại, được xếp loại Tốt không quá 02 đơn vị; 06 đơn vị đạt mức Tốt, 04 đơn vị xếp"
        " xuống Khá: Ủy ban nhân dân xã Hai A (huyện Hai), Ủy ban nhân dân huyện Một, Ủy ban nhân"
        " dân xã Một B (huyện Một), Sở Tài chính."
    ) in report
    assert "tạm thời" not in report
    ws = load_workbook(out / "P" / "bang-diem-P-2024.xlsx", read_only=True)["Xếp hạng"]
    rows = list(ws.iter_rows(values_only=True))
    band = rows[1].index("Xếp loại")
    assert {r[-1]: r[band] for r in rows[2:]} == {c: FINAL[c] for c in FINAL if c.count(".") == 1}

    detail = load_workbook(out / "P" / "bang-diem-P-2024.xlsx", read_only=True)["Điểm chi tiết"]
    notes = {r[-1]: r[-2] for r in detail.iter_rows(values_only=True) if r and r[-1] in FINAL}
    assert notes["P.D1.X2"] == "xếp loại Khá do vượt tỷ lệ xếp loại Tốt trên toàn tỉnh"
    assert not notes["P.D1.X1"]

    # status and publish: the final (province) bands, communes included
    status = cli("status", "--cycle", "2024", "--at", "2024-11-25T16:00", "--format", "json")
    assert {u["code"]: u["band"] for u in status.json()["units"]} == FINAL
    # one district's standings still count the whole province
    under = cli("status", "--cycle", "2024", "--under", "P.D2", "--at", "2024-11-25T16:00",
                "--format", "json")  # fmt: skip
    assert under.exit_code == 0, under.stderr
    assert {u["code"]: u["band"] for u in under.json()["units"]} == {
        "P.D2": "Khá", "P.D2.X1": "Khá", "P.D2.X2": "Trung bình"}  # fmt: skip
    assert cli("approve", "--cycle", "2024", "--by", "P", "--at", "2024-11-30T08:30").exit_code == 0
    r = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert {x["unit"]: x["band"] for x in r.json()["results"]} == FINAL
