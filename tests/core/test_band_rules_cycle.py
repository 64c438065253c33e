"""End to end (CLI): each band rule, each N/A method and a breakdown warning in one cycle.

The province ranks six units under a ``full_marks`` set with every band rule; its district's
communes use a ``rescale`` set whose missing units are *không xếp loại*.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

RULES = [
    {"zero_criterion_caps_band": "Khá"},
    {"penalty_caps_band": {"min_penalty": 5, "band": "Trung bình"}},
    {"late_caps_band": {"days": 10, "band": "Khá"}},
    {"missing_band": "Yếu"},
    {"top_band_quota": 0.2},
]
BANDS = [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70},
         {"name": "Trung bình", "min": 50}, {"name": "Yếu", "min": 0}]  # fmt: skip
DEFAULT = {
    "code": "E2E-DEFAULT", "name": "Tiêu chí thử", "bonus_max": 5, "penalty_max": 10,
    "groups": [{"code": "I", "name": "Một", "criteria": [
        {"code": "1", "name": "Kế hoạch", "max": 60},
        {"code": "2", "name": "Khiếu nại", "max": 30, "not_applicable_allowed": True},
        {"code": "3", "name": "Mô hình", "max": 10}]}],
    "bands": BANDS, "rules": RULES, "not_applicable": "full_marks",
}  # fmt: skip
COMMUNE = {
    "code": "E2E-XA", "name": "Tiêu chí cấp xã", "bonus_max": 5, "penalty_max": 10,
    "groups": [{"code": "I", "name": "Một", "criteria": [
        {"code": "1", "name": "Kế hoạch", "max": 60},
        {"code": "2", "name": "Khiếu nại", "max": 40, "not_applicable_allowed": True},
        {"code": "9", "name": "Chỉ cấp huyện", "max": 10, "kinds": ["district"]}]}],
    "bands": BANDS, "rules": [{"missing_band": "không xếp loại"}], "not_applicable": "rescale",
}  # fmt: skip
UNITS = [("P", "Ủy ban nhân dân tỉnh Thử", "province", None)]
UNITS += [(f"P.S{i}", f"Sở Thử {i}", "department", "P") for i in range(1, 7)]
UNITS += [("P.D", "Ủy ban nhân dân huyện Thử", "district", "P")]
UNITS += [(f"P.D.X{i}", f"Ủy ban nhân dân xã Thử {i}", "commune", "P.D") for i in range(1, 4)]
NA = {"2": "Không phát sinh khiếu nại trong năm"}
# unit → (scores, not_applicable, bonus, penalty, submitted at)
SUBMISSIONS = {
    "P.S1": ({"1": 58, "3": 10}, NA, 0, 0, "2024-11-08T09:00"),  # full marks for 2: 98 Tốt
    "P.S2": ({"1": 55, "2": 30, "3": 10}, {}, 0, 0, "2024-11-08T10:00"),  # 95 Tốt → quota → Khá
    "P.S3": ({"1": 60, "2": 30, "3": 0}, {}, 5, 0, "2024-11-08T11:00"),  # 95, a zero → Khá
    "P.S4": ({"1": 58, "2": 30, "3": 10}, {}, 0, 5, "2024-11-08T12:00"),  # 93, penalty 5 → TB
    "P.S5": ({"1": 58, "2": 30, "3": 10}, {}, 0, 0, "2024-11-22T09:00"),  # 12 days late → Khá
    "P.D": ({"1": 50, "2": 25, "3": 10}, {}, 0, 0, "2024-11-08T13:00"),  # 85 Khá
    "P.D.X1": ({"1": 54}, NA, 0, 0, "2024-11-08T14:00"),  # rescale: 54/60 → 90 Tốt
    "P.D.X2": ({"1": 54, "2": 20}, {}, 0, 0, "2024-11-08T15:00"),  # 74/100 → 74 Khá
}


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def issue(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """The province, its two criteria sets and the plan, imported and issued."""
    org = [
        {"code": c, "name": n, "kind": k, **({"parent": p} if p else {})} for c, n, k, p in UNITS
    ]
    write(tmp_path, "org.yaml", {"units": org})
    write(tmp_path, "criteria.yaml", DEFAULT)
    write(tmp_path, "criteria-xa.yaml", COMMUNE)
    plan = {
        "province": "P", "year": 2024, "title": "Kế hoạch thử", "issued_on": "2024-02-17",
        "criteria": {"commune": "criteria-xa.yaml", "default": "criteria.yaml"},
        "deadlines": {"self_assessment": "2024-11-10", "district_compilation": "2024-11-20",
                      "province_scoring": "2024-11-29"},
        "revision_days": 3,
    }  # fmt: skip
    write(tmp_path, "plan.yaml", plan)
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    r = cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-02-17T09:00")
    assert r.exit_code == 0, r.stderr


def test_band_rules_and_not_applicable_end_to_end(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    issue(tmp_path, cli)
    for unit, (scores, na, bonus, penalty, when) in SUBMISSIONS.items():
        doc: dict = {"unit": unit, "year": 2024, "submitted_by": "Văn phòng", "scores": scores,
                     "bonus": bonus, "penalty": penalty, "figures": {}}  # fmt: skip
        if na:
            doc["not_applicable"] = na
        if unit == "P.D.X2":  # seed 001: a breakdown adding up to 510 against 442
            doc["figures"]["citizen_reception"] = {
                "regular_sessions": 442, "regular_people": 448, "periodic_sessions": 79,
                "periodic_people": 79, "cases": 442, "group_cases": 0,
                "by_receiver": {"chairman": 98, "vice_chairmen": 125, "departments": 287}}  # fmt: skip
        r = cli("submit", write(tmp_path, f"{unit}.yaml", doc), "--at", when)
        assert r.exit_code == 0, r.stderr
        if unit == "P.D.X2":
            assert "[breakdown_mismatch]" in r.stdout and "510" in r.stdout and "442" in r.stdout

    # a score for an N/A criterion is refused; N/A on a criterion that does not allow it too
    bad = {"unit": "P.S6", "year": 2024, "submitted_by": "x", "figures": {},
           "scores": {"1": 50, "2": 10, "3": 5}, "not_applicable": NA}  # fmt: skip
    r = cli("submit", write(tmp_path, "bad.yaml", bad), "--at", "2024-11-09T09:00")
    assert r.exit_code == 1 and "[score_for_not_applicable]" in r.stderr

    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2024", "--out", out, "--at", "2024-11-25T16:00")
    assert r.exit_code == 0, r.stderr
    province = json.loads((out / "P" / "summary.json").read_text("utf-8"))
    got = {x["unit"]: (x["total"], x["band"], x["rules"]) for x in province["ranking"]}
    assert got == {
        "P.S1": (98.0, "Tốt", []),
        "P.S5": (98.0, "Khá", ["late_caps_band"]),
        "P.S2": (95.0, "Khá", ["top_band_quota"]),
        "P.S3": (95.0, "Khá", ["zero_criterion_caps_band"]),
        "P.S4": (93.0, "Trung bình", ["penalty_caps_band"]),
        "P.D": (85.0, "Khá", []),
        "P.S6": (None, "Yếu", ["missing_band"]),
    }
    assert province["bands"] == {"Tốt": 1, "Khá": 4, "Trung bình": 1, "Yếu": 1}

    district = json.loads((out / "P.D" / "summary.json").read_text("utf-8"))
    got = {x["unit"]: (x["total"], x["band"], x["rules"]) for x in district["ranking"]}
    assert got == {
        "P.D.X1": (90.0, "Tốt", []),
        "P.D.X2": (74.0, "Khá", []),
        "P.D.X3": (None, "không xếp loại", ["missing_band"]),
    }
    assert "không xếp loại" not in district["bands"]
    [warning] = district["warnings"]
    assert warning["unit"] == "P.D.X2" and warning["code"] == "breakdown_mismatch"

    from docx import Document

    def text(code: str) -> str:
        doc = Document(str(out / code / f"bao-cao-tong-hop-{code}-2024.docx"))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)

    report = text("P")
    six = "không nộp báo cáo nên xếp loại Yếu theo quy định: Sở Thử 6."
    for phrase in ("vượt tỷ lệ tối đa", "nộp báo cáo trễ quá", "bị trừ điểm", six):
        assert phrase in report, phrase
    assert "Phụ lục III" in text("P.D") and "510" in text("P.D")

    from openpyxl import load_workbook

    book = load_workbook(out / "P" / "bang-diem-P-2024.xlsx", read_only=True)
    rows = [r for ws in book.worksheets for r in ws.iter_rows(values_only=True)]
    # the criterion detail sheet: "Không áp dụng" in the criterion's column, the reason noted
    assert any(
        r[-1] == "P.S1" and "Không áp dụng" in r and any(NA["2"] in str(c) for c in r) for r in rows
    )

    status = cli("status", "--cycle", "2024", "--at", "2024-11-25T16:00", "--format", "json")
    units = {u["code"]: u for u in status.json()["units"]}
    assert units["P.S2"]["band"] == "Khá" and units["P.S2"]["rules"] == ["top_band_quota"]
    assert units["P.D.X2"]["warnings"] and "510" in units["P.D.X2"]["warnings"][0]
    assert units["P.S1"]["final_total"] == 98.0 and units["P.D.X1"]["final_total"] == 90.0

    assert cli("approve", "--cycle", "2024", "--by", "P", "--at", "2024-11-30T08:30").exit_code == 0
    r = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00", "--format", "json")
    published = {x["unit"]: x for x in r.json()["results"]}
    assert published["P.S6"]["band"] == "Yếu" and published["P.S6"]["total"] is None
    assert published["P.S2"]["band"] == "Khá"  # the quota holds in the final ranking
    assert published["P.D.X3"]["band"] == "không xếp loại"


def test_the_workbooks_not_applicable_column_meets_the_rules(sqlite_url, tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    """``Không áp dụng`` in the workbook (SPEC §3.4.1) is the submission's ``not_applicable``."""
    from openpyxl import load_workbook

    issue(tmp_path, cli)
    r = cli("template", "--cycle", "2024", "--unit", "P.S1", "--out", tmp_path / "mau")
    assert r.exit_code == 0, r.stderr
    path = tmp_path / "mau" / "P.S1-tu-danh-gia-2024.xlsx"
    wb = load_workbook(path)
    for row in wb["Hướng dẫn"].iter_rows():
        if row[0].value == "Người lập báo cáo":
            row[1].value = "Văn phòng Sở"
    for row in wb["Chấm điểm"].iter_rows():
        code = str(row[0].value)
        if code in ("1", "3"):
            row[3].value = {"1": 58, "3": 10}[code]
        elif code == "2":
            row[4].value, row[5].value = "x", NA["2"]
    wb.save(path)
    r = cli("submit", path, "--at", "2024-11-08T09:00")
    assert r.exit_code == 0, r.stderr
    status = cli("status", "--cycle", "2024", "--at", "2024-11-08T10:00", "--format", "json")
    unit = {u["code"]: u for u in status.json()["units"]}["P.S1"]
    assert unit["self_total"] == 98.0  # 58 + 30 (N/A at full marks) + 10
