"""A province that uses every rule of SPEC §3.2 at once, checked by hand everywhere (issue 17).

Two criteria sets: E17-A (departments, districts; ``full_marks``; criterion 4 for departments
only, so a district is scored out of 80 and cannot reach Tốt — ``plan issue`` warns) with every
band rule and a 20 % quota; E17-XA (communes; ``rescale``; missing → *không xếp loại*; a 50 %
quota). The province ranks seven units (S1–S5, D1, D2) plus S6 that never sent; district D1
ranks one commune, D2 two (one never sent).

Hand arithmetic (bands Tốt ≥ 90, Khá ≥ 70, Trung bình ≥ 50):
- S1: 28 + 30 (criterion 2 N/A, full marks) + 20 + 19 = 97 → Tốt.
- S4: 29 + 29 + 19 + 18 = 95, 12 days late (> 10) → Khá [late_caps_band].
- S2: 30 + 28 + 18 + 18 = 94 → Tốt; quota 7 × 0,2 = 1,4 → 1 Tốt: S1 keeps it, S2 → Khá.
- S3: 30 + 30 + 20 + 15 − 5 = 90 → Tốt; penalty 5 ≥ 5 → Trung bình [penalty_caps_band].
- D1: 28 + 27 + 19 + bonus 2 = 76 → Khá (criterion 4 not for districts: out of 80).
- S5: 25 + 20 + 15 + 12 = 72 → Khá.
- D2: 20 + 30 (N/A, full marks) + 10 = 60 → Trung bình.
- S6: never sent → Yếu [missing_band]. Bands: Tốt 1, Khá 4, Trung bình 2, Yếu 1 = 8 banded.
- X1 (D1): 54 ÷ 60 × 100 = 90 (criterion 2 N/A, rescale) + bonus 1,25 = 91,25 → Tốt; quota
  1 × 0,5 = 0,5 → 1: it keeps Tốt.
- X2 (D2): (50 + 35) ÷ 100 × 100 = 85 → Khá; X3 never sent → không xếp loại (not counted).
- Phụ lục II, province: group I is out of 60 for everyone (points); group II out of 40 for a
  department and 20 for a district, so it is a share: S1 39/40 = 97,50%, D1 19/20 = 95,00%,
  D2 10/20 = 50,00%.
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from danvan.rules.domain import FIGURE_GROUPS
from tests.helpers.reports import soffice, to_pdf

pytestmark = pytest.mark.slow

BANDS = [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70},
         {"name": "Trung bình", "min": 50}, {"name": "Yếu", "min": 0}]  # fmt: skip
SET_A = {
    "code": "E17-A", "name": "Tiêu chí sở, ngành và cấp huyện", "bonus_max": 5, "penalty_max": 10,
    "groups": [
        {"code": "I", "name": "Lãnh đạo, chỉ đạo", "criteria": [
            {"code": "1", "name": "Kế hoạch", "max": 30},
            {"code": "2", "name": "Khiếu nại", "max": 30, "not_applicable_allowed": True}]},
        {"code": "II", "name": "Thực hiện", "criteria": [
            {"code": "3", "name": "Tiếp công dân", "max": 20},
            {"code": "4", "name": "Chỉ sở, ngành", "max": 20, "kinds": ["department"]}]}],
    "bands": BANDS, "not_applicable": "full_marks",
    "rules": [{"zero_criterion_caps_band": "Khá"},
              {"penalty_caps_band": {"min_penalty": 5, "band": "Trung bình"}},
              {"late_caps_band": {"days": 10, "band": "Khá"}},
              {"missing_band": "Yếu"}, {"top_band_quota": 0.2}],
}  # fmt: skip
SET_XA = {
    "code": "E17-XA", "name": "Tiêu chí cấp xã", "bonus_max": 5, "penalty_max": 10,
    "groups": [{"code": "I", "name": "Chung", "criteria": [
        {"code": "1", "name": "Kế hoạch", "max": 60},
        {"code": "2", "name": "Hòa giải", "max": 40, "not_applicable_allowed": True}]}],
    "bands": BANDS, "not_applicable": "rescale",
    "rules": [{"missing_band": "không xếp loại"}, {"top_band_quota": {"share": 0.5}}],
}  # fmt: skip
UNITS = [("P", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province", None),
         ("P.S1", "Sở Nội vụ", "department", "P"), ("P.S2", "Sở Tư pháp", "department", "P"),
         ("P.S3", "Sở Tài chính", "department", "P"), ("P.S4", "Sở Y tế", "department", "P"),
         ("P.S5", "Sở Xây dựng", "department", "P"), ("P.S6", "Sở Công Thương", "department", "P"),
         ("P.D1", "Ủy ban nhân dân huyện Bình Sơn", "district", "P"),
         ("P.D2", "Ủy ban nhân dân huyện Sơn Tịnh", "district", "P"),
         ("P.D1.X1", "Ủy ban nhân dân xã Bình Trị", "commune", "P.D1"),
         ("P.D2.X2", "Ủy ban nhân dân xã Tịnh Hà", "commune", "P.D2"),
         ("P.D2.X3", "Ủy ban nhân dân xã Tịnh Sơn", "commune", "P.D2")]  # fmt: skip
NA = {"2": "Không phát sinh khiếu nại"}
# unit → (scores, not_applicable, bonus, penalty, submitted at)
SUBMISSIONS = {
    "P.S1": ({"1": 28, "3": 20, "4": 19}, NA, 0, 0, "2024-11-08T09:00"),
    "P.S2": ({"1": 30, "2": 28, "3": 18, "4": 18}, {}, 0, 0, "2024-11-08T10:00"),
    "P.S3": ({"1": 30, "2": 30, "3": 20, "4": 15}, {}, 0, 5, "2024-11-08T11:00"),
    "P.S4": ({"1": 29, "2": 29, "3": 19, "4": 18}, {}, 0, 0, "2024-11-22T09:00"),
    "P.S5": ({"1": 25, "2": 20, "3": 15, "4": 12}, {}, 0, 0, "2024-11-08T12:00"),
    "P.D1": ({"1": 28, "2": 27, "3": 19}, {}, 2, 0, "2024-11-08T13:00"),
    "P.D2": ({"1": 20, "3": 10}, NA, 0, 0, "2024-11-08T14:00"),
    "P.D1.X1": ({"1": 54}, {"2": "Không có tổ hòa giải"}, 1.25, 0, "2024-11-08T15:00"),
    "P.D2.X2": ({"1": 50, "2": 35}, {}, 0, 0, "2024-11-08T16:00"),
}
PROVINCE_RANKING = {
    "P.S1": (97.0, "Tốt", 1, []),
    "P.S4": (95.0, "Khá", 2, ["late_caps_band"]),
    "P.S2": (94.0, "Khá", 3, ["top_band_quota"]),
    "P.S3": (90.0, "Trung bình", 4, ["penalty_caps_band"]),
    "P.D1": (76.0, "Khá", 5, []),
    "P.S5": (72.0, "Khá", 6, []),
    "P.D2": (60.0, "Trung bình", 7, []),
    "P.S6": (None, "Yếu", None, ["missing_band"]),
}


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def squash(text: str) -> str:
    return unicodedata.normalize("NFC", re.sub(r"\s+", "", text))


def test_every_rule_tells_one_story(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    org = [
        {"code": c, "name": n, "kind": k, **({"parent": p} if p else {})} for c, n, k, p in UNITS
    ]
    write(tmp_path, "org.yaml", {"units": org})
    write(tmp_path, "criteria.yaml", SET_A)
    write(tmp_path, "criteria-xa.yaml", SET_XA)
    write(tmp_path, "plan.yaml", {
        "province": "P", "year": 2024, "title": "Kế hoạch thử", "issued_on": "2024-02-17",
        "criteria": {"commune": "criteria-xa.yaml", "default": "criteria.yaml"},
        "deadlines": {"self_assessment": "2024-11-10", "district_compilation": "2024-11-20",
                      "province_scoring": "2024-11-29"}})  # fmt: skip
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    r = cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-02-17T09:00")
    assert r.exit_code == 0, r.stderr
    # a district is scored on 30 + 30 + 20 = 80 (+ 5 bonus) under full_marks: never Tốt
    assert (
        "Bộ tiêu chí E17-A: đơn vị cấp huyện đạt tối đa 85 điểm (kể cả điểm thưởng), không thể"
        " xếp loại Tốt (từ 90 điểm)"
    ) in r.stderr
    for unit, (scores, na, bonus, penalty, when) in SUBMISSIONS.items():
        doc: dict = {"unit": unit, "year": 2024, "submitted_by": "Văn phòng", "scores": scores,
                     "bonus": bonus, "penalty": penalty, "figures": {}}  # fmt: skip
        if na:
            doc["not_applicable"] = na
        r = cli("submit", write(tmp_path, f"{unit}.yaml", doc), "--at", when)
        assert r.exit_code == 0, r.stderr

    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2024", "--out", out, "--at", "2024-11-25T16:00")
    assert r.exit_code == 0, r.stderr

    # --- summary.json ---------------------------------------------------------------------------
    p = json.loads((out / "P" / "summary.json").read_text("utf-8"))
    got = {x["unit"]: (x["total"], x["band"], x["rank"], x["rules"]) for x in p["ranking"]}
    assert got == PROVINCE_RANKING
    assert p["bands"] == {"Tốt": 1, "Khá": 4, "Trung bình": 2, "Yếu": 1}
    assert p["missing"] == ["P.D2.X3", "P.S6"]
    # every file says ``figures: {}``: nothing reported, which is not zero (summed as 0, named)
    assert p["not_reported"] == {"figures": list(FIGURE_GROUPS), "previous_year": []}
    d1 = json.loads((out / "P.D1" / "summary.json").read_text("utf-8"))
    assert [(x["unit"], x["total"], x["band"], x["rules"]) for x in d1["ranking"]] == [
        ("P.D1.X1", 91.25, "Tốt", [])  # a one-unit compiler keeps its Tốt under a 50 % quota
    ]
    d2 = json.loads((out / "P.D2" / "summary.json").read_text("utf-8"))
    assert [(x["unit"], x["total"], x["band"]) for x in d2["ranking"]] == [
        ("P.D2.X2", 85.0, "Khá"), ("P.D2.X3", None, "không xếp loại")]  # fmt: skip
    assert sum(d2["bands"].values()) == 1

    # --- the reports, as LibreOffice prints them ------------------------------------------------
    if soffice() is None:
        pytest.skip("LibreOffice is not installed")
    pdf = tmp_path / "pdf"
    docs = [out / c / f"bao-cao-tong-hop-{c}-2024.docx" for c in ("P", "P.D1", "P.D2")]
    to_pdf(docs, pdf, tmp_path / "lo-profile")

    def text(code: str) -> str:
        path = pdf / f"bao-cao-tong-hop-{code}-2024.pdf"
        return squash(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                     text=True, check=True).stdout)  # fmt: skip

    prov = text("P")
    for phrase in (
        "Tổng số đơn vị được xếp loại: 08 đơn vị, trong đó: xếp loại Tốt: 01 đơn vị; xếp loại"
        " Khá: 04 đơn vị; xếp loại Trung bình: 02 đơn vị; xếp loại Yếu: 01 đơn vị",
        "Có 01 đơn vị không nộp báo cáo nên xếp loại Yếu theo quy định: Sở Công Thương.",
        "vượt tỷ lệ tối đa được xếp loại cao nhất nên xếp xuống một mức: Sở Tư pháp (Khá)",
        "nộp báo cáo trễ quá số ngày quy định nên bị hạ mức xếp loại: Sở Y tế (Khá)",
        "bị trừ điểm từ mức quy định trở lên nên bị hạ mức xếp loại: Sở Tài chính (Trung bình)",
        "Sở Nội vụ (tiêu chí 2: tính đủ điểm tối đa (30); điểm các tiêu chí = 97)",
        "Ủy ban nhân dân huyện Sơn Tịnh (tiêu chí 2: tính đủ điểm tối đa (30); điểm các tiêu chí"
        " = 60)",
        "97,50%",
        "95,00%",
        "50,00%",
        "Chưa nộp — xếp loại Yếu",
        "Kính đề nghị",  # the province asks UBND tỉnh to approve
        "Công tác tiếp công dân: các đơn vị chưa báo cáo số liệu.",
        "Các đơn vị chưa báo cáo số liệu giải quyết thủ tục hành chính.",
    ):
        assert squash(phrase) in prov, phrase
    # the group headers: points out of 60 for everyone, shares for group II
    assert squash("Nhóm I (tối đa 60)") in prov and squash("Nhóm II (% điểm tối đa)") in prov
    assert squash("chưa được xếp loại") not in prov and squash("không xếp loại") not in prov
    bs = text("P.D1")
    assert (
        squash("Ủy ban nhân dân xã Bình Trị (tiêu chí 2: quy đổi thang 100: 54 ÷ 60 × 100 = 90)")
        in bs
    )
    assert squash("Tổng số đơn vị được xếp loại: 01 đơn vị") in bs
    assert squash("của Ủy ban nhân dân huyện Bình Sơn./.") in bs and squash("phê duyệt") not in bs
    assert squash("TM. ỦY BAN NHÂN DÂN") in bs and squash("(Họ và tên người ký)") in bs
    st = text("P.D2")
    assert squash("Có 01 đơn vị không nộp báo cáo nên không xếp loại theo quy định:") in st
    assert squash("Tổng số đơn vị được xếp loại: 01 đơn vị") in st
    assert squash("Chưa nộp — không xếp loại") in st

    # --- the score workbook ---------------------------------------------------------------------
    book = load_workbook(out / "P" / "bang-diem-P-2024.xlsx", read_only=True)
    rows = list(book["Xếp hạng"].iter_rows(values_only=True))
    head = rows[1]
    band, total, code = head.index("Xếp loại"), head.index("Tổng điểm thẩm định"), -1
    got_rows = {r[code]: (r[total], r[band]) for r in rows[2:]}
    assert got_rows == {
        u: (t if t is not None else None, b if t is not None else "Chưa nộp — xếp loại Yếu")
        for u, (t, b, _, _) in PROVINCE_RANKING.items()
    }
    assert head[3:5] == ("Nhóm I (tối đa 60)", "Nhóm II (% điểm tối đa)")
    s1 = next(r for r in rows if r[code] == "P.S1")
    assert s1[3:5] == (58, 0.975)  # 28 + 30 (N/A at its max); 39/40
    detail = list(book["Điểm chi tiết"].iter_rows(values_only=True))
    by_code = {r[-1]: r for r in detail if r and r[-1] and str(r[-1]).startswith("P.")}
    blocks = [r[0] for r in detail if r[0] and str(r[0]).startswith("Bộ tiêu chí")]
    # one block per set, in the plan's order (communes' set first), each naming its kinds
    assert blocks == ["Bộ tiêu chí E17-XA: Tiêu chí cấp xã (cấp xã)",
                      "Bộ tiêu chí E17-A: Tiêu chí sở, ngành và cấp huyện (cấp huyện, sở, ban, ngành)"]  # fmt: skip
    # each unit under its own set: a district's criterion 4 is a dash, out of 80
    d1_row = by_code["P.D1"]
    assert d1_row[1:5] == (28, 27, 19, "–") and d1_row[-7:-2] == (80, 74, 2, 0, 76)
    s1_row = by_code["P.S1"]
    assert s1_row[2] == "Không áp dụng" and s1_row[-7:-2] == (100, 97, 0, 0, 97)
    assert "tính đủ điểm tối đa (30); điểm các tiêu chí = 97" in s1_row[-2]
    x1_row = by_code["P.D1.X1"]
    assert x1_row[1:3] == (54, "Không áp dụng") and x1_row[-7:-2] == (60, 90, 1.25, 0, 91.25)
    assert "quy đổi thang 100: 54 ÷ 60 × 100 = 90" in x1_row[-2]
    book.close()

    # --- the unit workbooks: own criteria, and a live total as danvan computes it --------------
    forms = tmp_path / "mau"
    for unit in ("P.S1", "P.D1", "P.D1.X1"):
        r = cli("template", "--cycle", "2024", "--unit", unit, "--out", forms)
        assert r.exit_code == 0, r.stderr
    typed = {"P.S1": ({"1": 28, "3": 20, "4": 19}, "2", 0), "P.D1": ({"1": 28, "2": 27, "3": 19}, None, 2),
             "P.D1.X1": ({"1": 54}, "2", 1.25)}  # fmt: skip
    for unit, (scores, na, bonus) in typed.items():
        path = forms / f"{unit}-tu-danh-gia-2024.xlsx"
        wb = load_workbook(path)
        ws = wb["Chấm điểm"]
        for row in ws.iter_rows(min_row=5):
            if row[0].value is not None and str(row[0].value) in scores:
                row[3].value = scores[str(row[0].value)]
            if row[0].value is not None and str(row[0].value) == na:
                row[4].value, row[5].value = "x", "Không phát sinh"
            if row[1].value == "Điểm thưởng":
                row[3].value = bonus
        wb.save(path)
    codes = {u: [str(r[0].value) for r in load_workbook(forms / f"{u}-tu-danh-gia-2024.xlsx")[
        "Chấm điểm"].iter_rows(min_row=5) if r[0].value is not None] for u in typed}  # fmt: skip
    assert codes == {"P.S1": ["1", "2", "3", "4"], "P.D1": ["1", "2", "3"], "P.D1.X1": ["1", "2"]}
    # LibreOffice recalculates and saves: the cached totals are what a person sees
    calc = tmp_path / "calc"
    files = [forms / f"{u}-tu-danh-gia-2024.xlsx" for u in typed]
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path}/lo-calc", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(calc), *map(str, files)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    totals = {}
    for u in typed:
        ws = load_workbook(calc / f"{u}-tu-danh-gia-2024.xlsx", data_only=True)["Chấm điểm"]
        totals[u] = next(r[3].value for r in ws.iter_rows() if r[1].value == "Tổng điểm tự chấm")
    assert totals == {"P.S1": 97, "P.D1": 76, "P.D1.X1": 91.25}  # as summary.json has them
