"""End to end (CLI), both databases: a figure group left out is *not reported*, never 0 (issue 17).

District D, communes X1 and X2. 2023: X1 reports petitions only (10 received, 10 in
jurisdiction, 8 resolved, 2 outstanding); X2 sends ``figures: {}``. 2024: X1 reports petitions
as zeros (nothing happened: *không phát sinh*) and mediation (5 received, 4 successful, 1 not);
X2 sends ``figures: {}`` again. So in 2024 nobody reported citizen reception, staff complaints,
administrative procedures or models, and mediation has no 2023 figure to compare with, while the
petitions compare 0 with 10 (a fall of 10).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from danvan.rules.labels import FIELD_LABELS, GROUP_LABELS

pytestmark = pytest.mark.slow

SET = {
    "code": "NR", "name": "Tiêu chí thử", "bonus_max": 5, "penalty_max": 10,
    "groups": [{"code": "I", "name": "Chung", "criteria": [{"code": "1", "name": "Kế hoạch", "max": 100}]}],
    "bands": [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70}, {"name": "Yếu", "min": 0}],
}  # fmt: skip
UNITS = [("P", "Ủy ban nhân dân tỉnh Thử", "province", None),
         ("P.D", "Ủy ban nhân dân huyện Thử", "district", "P"),
         ("P.D.X1", "Ủy ban nhân dân xã Một", "commune", "P.D"),
         ("P.D.X2", "Ủy ban nhân dân xã Hai", "commune", "P.D")]  # fmt: skip
PETITIONS_2023 = {"received": 10, "in_jurisdiction": 10, "resolved": 8, "outstanding": 2}
FIGURES = {
    2023: {"P.D.X1": {"petitions": PETITIONS_2023}, "P.D.X2": {}},
    2024: {"P.D.X1": {"petitions": dict.fromkeys(PETITIONS_2023, 0),
                      "mediation": {"received": 5, "successful": 4, "unsuccessful": 1}},
           "P.D.X2": {}},
}  # fmt: skip
UNREPORTED = ["citizen_reception", "staff_complaints", "admin_procedures", "models"]


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_not_reported_is_not_zero(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    org = [
        {"code": c, "name": n, "kind": k, **({"parent": p} if p else {})} for c, n, k, p in UNITS
    ]
    write(tmp_path, "org.yaml", {"units": org})
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    for year in (2023, 2024):
        write(tmp_path, f"criteria-{year}.yaml", {**SET, "code": f"NR{year}"})
        plan = write(tmp_path, f"plan-{year}.yaml", {
            "province": "P", "year": year, "title": "Kế hoạch thử", "issued_on": f"{year}-02-17",
            "criteria": {"default": f"criteria-{year}.yaml"},
            "deadlines": {"self_assessment": f"{year}-11-10", "district_compilation": f"{year}-11-20",
                          "province_scoring": f"{year}-11-29"}})  # fmt: skip
        r = cli("plan", "issue", plan, "--at", f"{year}-02-17T09:00")
        assert r.exit_code == 0, r.stderr
        for unit, figures in FIGURES[year].items():
            doc = {"unit": unit, "year": year, "submitted_by": "Văn phòng", "scores": {"1": 80},
                   "figures": figures}  # fmt: skip
            r = cli(
                "submit", write(tmp_path, f"{unit}-{year}.yaml", doc), "--at", f"{year}-11-08T09:00"
            )
            assert r.exit_code == 0, r.stderr

    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2024", "--unit", "P.D", "--out", out, "--at", "2024-11-18T16:00")
    assert r.exit_code == 0, r.stderr
    s = json.loads((out / "P.D" / "summary.json").read_text("utf-8"))
    assert s["not_reported"] == {
        "figures": UNREPORTED,
        "previous_year": ["citizen_reception", "staff_complaints", "mediation", "admin_procedures", "models"],
    }  # fmt: skip
    assert (
        s["figures"]["petitions"]["received"] == 0
        and s["previous_year"]["petitions"]["received"] == 10
    )

    doc = Document(str(out / "P.D" / "bao-cao-tong-hop-P.D-2024.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    for phrase in (
        "Các đơn vị chưa báo cáo số liệu giải quyết thủ tục hành chính.",
        "Công tác tiếp công dân: các đơn vị chưa báo cáo số liệu.",
        "Mô hình “Dân vận khéo”: các đơn vị chưa báo cáo số liệu.",
        "Công tác giải quyết đơn thư: không phát sinh đơn khiếu nại, tố cáo, kiến nghị, phản ánh.",
        "Các Tổ hòa giải ở cơ sở tiếp nhận 05 vụ việc, hòa giải thành 04 vụ việc, đạt 80,00%,"
        " hòa giải không thành 01 vụ việc.",
    ):
        assert phrase in text, phrase
    assert "Số vụ việc tiếp nhận" not in text  # mediation: nothing reported in 2023 to compare with
    assert "lượt, 0 người" not in text and " 00 " not in text
    # Phụ lục I, as tables: unreported rows say so; 2023 mediation is not compared as if 0
    rows = {
        t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows[1:]] for t in doc.tables
    }
    reception = rows["Số lần tiếp thường xuyên"][0]
    assert reception[:4] == ["–"] * 4 and reception[4] == "Chưa báo cáo số liệu"
    mediation = rows["Số vụ tiếp nhận hòa giải"][0]
    assert mediation == [
        "5",
        "4",
        "1",
        "80,00%",
        "Cùng kỳ năm 2023 các đơn vị chưa báo cáo số liệu.",
    ]
    assert rows["Cấp"] == [["Tổng cộng", "Chưa báo cáo số liệu", *["–"] * 6]]
    petitions = rows["Nội dung"]
    assert petitions[0][1:5] == ["–"] * 4  # staff complaints: not reported
    assert (
        petitions[1][1:5] == ["0"] * 4 and "giảm 10 đơn so với cùng kỳ năm 2023" in petitions[1][5]
    )

    book = load_workbook(out / "P.D" / "bang-diem-P.D-2024.xlsx", read_only=True)
    sheet = list(book["Số liệu"].iter_rows(values_only=True))
    head = sheet[1]
    by_name = {r[0]: dict(zip(head, r, strict=False)) for r in sheet[2:]}
    x1, x2, total = (
        by_name[k] for k in ("Ủy ban nhân dân xã Một", "Ủy ban nhân dân xã Hai", "Tổng cộng")
    )
    received, petitions, reception = (
        f"{GROUP_LABELS[g]}: {FIELD_LABELS[g][f]}"
        for g, f in (("mediation", "received"), ("petitions", "received"),
                     ("citizen_reception", "regular_sessions"))
    )  # fmt: skip
    assert (x1[received], x1[petitions], x1[reception]) == (5, 0, "chưa báo cáo")
    assert set(v for k, v in x2.items() if k not in ("Tên đơn vị", "Cấp")) == {"chưa báo cáo"}
    assert (total[received], total[petitions], total[reception]) == (5, 0, "chưa báo cáo")
    compare = {
        (r[0], r[1]): r[2:5]
        for r in book["Tổng hợp số liệu"].iter_rows(values_only=True)
        if len(r) > 4
    }
    assert compare[tuple(received.split(": "))] == (5, "chưa báo cáo", None)
    assert compare[tuple(petitions.split(": "))] == (0, 10, -10)
