"""Compile acceptance: ``danvan compile`` on a province built for this test (Kon Tum, fictional).

Mixed tiers (a district with offices and communes, communes straight under the province,
departments), a 2023 cycle first (with a commune that has since moved under the district), then
2024: appraisals by the district and by the province (the latest adjustment counts), a criterion
at 0 capped to Khá, ties broken by zero criteria / submission of the version that counts / code,
missing units and two late ones. Every ``summary.json`` is checked whole against values worked
out by hand below; the DOCX, XLSX and PNG are read back. SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cycle import GROUPS, docx_text, figs, run_ok, write

CRITERIA = {
    "code": "KTM-2023",
    "name": "Bộ tiêu chí dân vận chính quyền tỉnh Kon Tum",
    "groups": [
        {
            "code": "A",
            "name": "Lãnh đạo, chỉ đạo",
            "criteria": [
                {"code": "A1", "name": "Ban hành kế hoạch", "max": 40},
                {"code": "A2", "name": "Kiểm tra, giám sát", "max": 30},
            ],
        },
        {
            "code": "B",
            "name": "Kết quả thực hiện",
            "criteria": [
                {"code": "B1", "name": "Tiếp công dân", "max": 20},
                {"code": "B2", "name": "Mô hình Dân vận khéo", "max": 10},
            ],
        },
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [
        {"name": "Tốt", "min": 90},
        {"name": "Khá", "min": 70},
        {"name": "Trung bình", "min": 50},
        {"name": "Yếu", "min": 0},
    ],
    "rules": [{"zero_criterion_caps_band": "Khá"}],
}


def unit(code: str, name: str, kind: str, parent: str | None = None, **extra: object) -> dict:
    u: dict = {"code": code, "name": name, "kind": kind}
    if parent:
        u["parent"] = parent
    return u | extra


def org(year: int) -> dict:
    """The tree of ``year``: in 2023 xã Măng Cành (KTM.XM) reported straight to the province and
    xã Đăk Tờ Re (KTM.X5) did not exist yet."""
    return {
        "units": [
            unit("KTM", "Ủy ban nhân dân tỉnh Kon Tum", "province"),
            unit("KTM.SNV", "Sở Nội vụ", "department", "KTM"),
            unit("KTM.STP", "Sở Tư pháp", "department", "KTM"),
            unit("KTM.SXD", "Sở Xây dựng", "department", "KTM"),
            unit("KTM.BQL", "Ban Quản lý khu kinh tế", "agency", "KTM", assessed=False),
            unit("KTM.D1", "Ủy ban nhân dân huyện Đăk Hà", "district", "KTM"),
            unit("KTM.D1.PNV", "Phòng Nội vụ", "district_office", "KTM.D1"),
            unit("KTM.D1.PTC", "Phòng Tài chính - Kế hoạch", "district_office", "KTM.D1"),
            unit("KTM.D1.X1", "Ủy ban nhân dân xã Hà Mòn", "commune", "KTM.D1"),
            unit("KTM.D1.X2", "Ủy ban nhân dân xã Đăk La", "commune", "KTM.D1"),
            unit(
                "KTM.XM",
                "Ủy ban nhân dân xã Măng Cành",
                "commune",
                "KTM" if year == 2023 else "KTM.D1",
            ),
            unit("KTM.X3", "Ủy ban nhân dân xã Ngọc Bay", "commune", "KTM"),
            unit("KTM.X4", "Ủy ban nhân dân xã Vinh Quang", "commune", "KTM"),
            *([unit("KTM.X5", "Ủy ban nhân dân xã Đăk Tờ Re", "commune", "KTM")] * (year > 2023)),
        ]
    }


def plan(year: int) -> dict:
    return {
        "province": "KTM",
        "year": year,
        "title": f"Kế hoạch thực hiện công tác dân vận chính quyền năm {year}",
        "reference": f"Kế hoạch số 12/KH-UBND ngày 20/02/{year}",
        "issued_on": f"{year}-02-20",
        "criteria": "criteria.yaml",
        "deadlines": {
            "self_assessment": f"{year}-11-15",
            "district_compilation": f"{year}-11-22",
            "province_scoring": f"{year}-11-29",
        },
    }


def sub(tmp: Path, year: int, code: str, scores: tuple, figures: dict, **kw: object) -> Path:
    a1, a2, b1, b2 = scores
    doc = {
        "unit": code,
        "year": year,
        "submitted_by": kw.get("by", "Văn phòng"),
        "scores": {"A1": a1, "A2": a2, "B1": b1, "B2": b2},
        "bonus": kw.get("bonus", 0),
        "penalty": 0,
        "figures": figures,
    }
    return write(tmp / f"{code}-{year}{kw.get('tag', '')}.yaml", doc)


def fig_doc(**groups: tuple[int, ...]) -> dict:
    return {g: dict(zip(GROUPS[g], v, strict=True)) for g, v in groups.items()}


def build_province(tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(tmp / "criteria.yaml", CRITERIA)
    # --- 2023 -------------------------------------------------------------------------------
    write(tmp / "org-2023.yaml", org(2023))
    write(tmp / "plan-2023.yaml", plan(2023))
    run_ok(cli, "org", "import", tmp / "org-2023.yaml")
    run_ok(cli, "plan", "issue", tmp / "plan-2023.yaml", "--at", "2023-02-20T09:00")
    y23 = [
        sub(tmp, 2023, "KTM.D1", (30, 25, 15, 5), fig_doc(admin_procedures=(3000, 2000, 2900, 2800, 100))),
        sub(tmp, 2023, "KTM.D1.X1", (30, 25, 15, 5), fig_doc(admin_procedures=(900, 600, 880, 870, 10))),
        sub(tmp, 2023, "KTM.XM", (30, 25, 15, 5),
            fig_doc(admin_procedures=(250, 50, 250, 250, 0), mediation=(8, 6, 2))),
        sub(tmp, 2023, "KTM.SNV", (30, 25, 15, 5), fig_doc(petitions=(5, 5, 5, 0))),
    ]  # fmt: skip
    run_ok(cli, "submit", *y23, "--at", "2023-11-10T09:00")
    # --- 2024: the tree changed (XM moved under the district, X5 created) -------------------
    write(tmp / "org-2024.yaml", org(2024))
    write(tmp / "plan-2024.yaml", plan(2024))
    run_ok(cli, "org", "import", tmp / "org-2024.yaml")
    run_ok(cli, "plan", "issue", tmp / "plan-2024.yaml", "--at", "2024-02-20T09:00")
    steps = [
        ("2024-11-09T10:00", [sub(tmp, 2024, "KTM.X3", (38, 28, 18, 8),
            fig_doc(admin_procedures=(600, 420, 600, 598, 2), mediation=(20, 19, 1), models=(3, 2)))]),
        ("2024-11-10T09:00", [sub(tmp, 2024, "KTM.SNV", (38, 28, 19, 8),
            fig_doc(petitions=(12, 10, 9, 1), admin_procedures=(500, 400, 480, 470, 10)))]),
        ("2024-11-11T08:00", [sub(tmp, 2024, "KTM.D1", (36, 27, 18, 9), fig_doc(
            admin_procedures=(3697, 3018, 3320, 3306, 14), petitions=(79, 79, 77, 2),
            citizen_reception=(442, 448, 79, 79, 442, 0)))]),
        ("2024-11-12T10:00", [sub(tmp, 2024, "KTM.STP", (40, 30, 20, 0),
            fig_doc(petitions=(3, 3, 3, 0), admin_procedures=(200, 150, 190, 190, 0)), bonus=2)]),
        # SNV resubmits (same scores): the version that counts is now later than D1's
        ("2024-11-13T09:00", [sub(tmp, 2024, "KTM.SNV", (38, 28, 19, 8),
            fig_doc(petitions=(12, 10, 9, 1), admin_procedures=(500, 400, 480, 470, 10)),
            by="Chánh Văn phòng Sở", tag="-v2")]),
        ("2024-11-14T15:00", [sub(tmp, 2024, "KTM.D1.PNV", (35, 25, 15, 5),
            fig_doc(admin_procedures=(100, 50, 100, 99, 1)))]),
        ("2024-11-15T08:00", [
            sub(tmp, 2024, "KTM.D1.X1", (38, 28, 18, 8),
                fig_doc(admin_procedures=(1000, 700, 990, 985, 5), mediation=(40, 38, 2)), bonus=1),
            sub(tmp, 2024, "KTM.D1.X2", (36, 28, 18, 8),
                fig_doc(admin_procedures=(800, 600, 790, 788, 2), mediation=(30, 27, 3))),
        ]),
        ("2024-11-15T23:30", [sub(tmp, 2024, "KTM.XM", (20, 20, 10, 5),
            fig_doc(admin_procedures=(300, 100, 300, 300, 0), mediation=(10, 8, 1)))]),
        # two late communes in one batch: same instant, same total → code decides
        ("2024-11-18T07:00", [
            sub(tmp, 2024, "KTM.X5", (30, 25, 15, 5), {}),
            sub(tmp, 2024, "KTM.X4", (30, 25, 15, 5), fig_doc(mediation=(5, 5, 0))),
        ]),
    ]  # fmt: skip
    for at, paths in steps:
        run_ok(cli, "submit", *paths, "--at", at)
    district = {
        "year": 2024,
        "by": "KTM.D1",
        "adjustments": [
            {
                "unit": "KTM.D1.X1",
                "criterion": "A1",
                "score": 30,
                "reason": "Kế hoạch ban hành chậm",
            }
        ],
    }
    province = {
        "year": 2024,
        "by": "KTM",
        "adjustments": [
            {"unit": "KTM.SNV", "penalty": 3, "reason": "Có công chức bị kỷ luật"},
            {"unit": "KTM.D1.X2", "criterion": "B1", "score": 10, "reason": "Tiếp dân chưa đầy đủ"},
            {
                "unit": "KTM.D1.X1",
                "criterion": "A1",
                "score": 32,
                "reason": "Thẩm định lại kế hoạch",
            },
        ],
    }
    run_ok(cli, "appraise", write(tmp / "appr-d1.yaml", district), "--at", "2024-11-21T09:00")
    run_ok(cli, "appraise", write(tmp / "appr-p.yaml", province), "--at", "2024-11-25T09:00")


BANDS = ("Tốt", "Khá", "Trung bình", "Yếu")
T = "2024-11-29T16:00"

# --- expected, worked out by hand ----------------------------------------------------------------
# 2024 figures per unit (the district's own, its office, its communes; departments; communes
# straight under the province). Final totals after appraisal:
#   D1.X1: 32+28+18+8 +1 = 87 Khá (district set A1=30, the province later 32: the latest counts)
#   D1.X2: 36+28+10+8    = 82 Khá (province adjusts a commune below the district)
#   D1.PNV: 80 Khá; XM: 55 Trung bình; D1.PTC missing
#   X3: 92 Tốt; STP: 40+30+20+0 +2 = 92 but a criterion at 0 → Khá, and ranks after X3
#   D1: 90 Tốt (latest version 11-11); SNV: 93 −3 = 90 Tốt (latest version 11-13) → after D1
#   X4, X5: 75 Khá, late (3 days), submitted at the same instant → by code
D1_FIGURES = figs(
    citizen_reception=(442, 448, 79, 79, 442, 0),
    petitions=(79, 79, 77, 2),
    mediation=(80, 73, 6),
    admin_procedures=(5897, 4468, 5500, 5478, 22),
)


def _yoy(unit: str, field: str, value: int, before: int, note: str) -> dict:
    """A ``yoy_jump`` flag as summary.json writes it (SPEC §3.8). The fixture's 2023 files left
    whole groups out: those are not reported, so 2024's figures of those groups are compared
    with nothing (they once jumped "from 0"; issue 17)."""
    return {"unit": unit, "field": field, "kind": "yoy_jump", "value": value,
            "reference": before, "note": note, "checked": False}  # fmt: skip


D1_FLAGS = [
    _yoy("KTM.D1", "admin_procedures.overdue", 14, 100,
         "Thủ tục hành chính: quá hạn giảm 86,00% so với năm trước (100 → 14), có thể gõ nhầm.")
]  # fmt: skip
KTM_FLAGS = D1_FLAGS
#: No unit of this fixture sends a narrative report: every section keeps its placeholder.
NO_NARRATIVE: dict = {
    s: [] for s in ("strengths", "limitations", "causes", "directions", "proposals")
}


D1_SUMMARY = {
    "compiler": "KTM.D1",
    "cycle": 2024,
    "expected": 6,
    "submitted": 5,
    "on_time": 5,
    "late": 0,
    "missing": ["KTM.D1.PTC"],
    "figures": D1_FIGURES,
    "rates": {
        "mediation_success": 73 / 80,
        "admin_on_time": 5478 / 5500,
        "admin_online": 4468 / 5897,
        "petitions_resolved": 77 / 79,
    },
    "by_kind": {
        "district": {
            "figures": figs(
                citizen_reception=(442, 448, 79, 79, 442, 0),
                petitions=(79, 79, 77, 2),
                admin_procedures=(3697, 3018, 3320, 3306, 14),
            ),
            "rates": {
                "mediation_success": None,
                "admin_on_time": 3306 / 3320,
                "admin_online": 3018 / 3697,
                "petitions_resolved": 77 / 79,
            },
            # groups none of the kind's submitters gave (issue 17, per kind)
            "not_reported": {"figures": ["staff_complaints", "mediation", "models"]},
        },
        "district_office": {
            "figures": figs(admin_procedures=(100, 50, 100, 99, 1)),
            "rates": {
                "mediation_success": None,
                "admin_on_time": 99 / 100,
                "admin_online": 50 / 100,
                "petitions_resolved": None,
            },
            # groups none of the kind's submitters gave (issue 17, per kind)
            "not_reported": {
                "figures": [
                    "citizen_reception",
                    "petitions",
                    "staff_complaints",
                    "mediation",
                    "models",
                ]
            },
        },
        "commune": {
            "figures": figs(mediation=(80, 73, 6), admin_procedures=(2100, 1400, 2080, 2073, 7)),
            "rates": {
                "mediation_success": 73 / 80,
                "admin_on_time": 2073 / 2080,
                "admin_online": 1400 / 2100,
                "petitions_resolved": None,
            },
            # groups none of the kind's submitters gave (issue 17, per kind)
            "not_reported": {
                "figures": ["citizen_reception", "petitions", "staff_complaints", "models"]
            },
        },
    },
    "ranking": [
        {"unit": "KTM.D1.X1", "total": 87.0, "band": "Khá", "rank": 1, "rules": []},
        {"unit": "KTM.D1.X2", "total": 82.0, "band": "Khá", "rank": 2, "rules": []},
        {"unit": "KTM.D1.PNV", "total": 80.0, "band": "Khá", "rank": 3, "rules": []},
        {"unit": "KTM.XM", "total": 55.0, "band": "Trung bình", "rank": 4, "rules": []},
    ],
    "bands": {"Tốt": 0, "Khá": 3, "Trung bình": 1, "Yếu": 0},
    # 2023 over the tree as it stands now: D1, D1.X1 and XM (then under the province)
    "previous_year": figs(mediation=(8, 6, 2), admin_procedures=(4150, 2650, 4030, 3920, 110)),
    # groups nobody gave (issue 17): summed as 0 above, named here
    "not_reported": {
        "figures": ["staff_complaints", "models"],
        "previous_year": ["citizen_reception", "petitions", "staff_complaints", "models"],
    },
    "revising": [],
    "warnings": [],
    "flags": D1_FLAGS,
    "checked": 0,
    "narrative": NO_NARRATIVE,
}
KTM_SUMMARY = {
    "compiler": "KTM",
    "cycle": 2024,
    "expected": 12,
    "submitted": 10,
    "on_time": 8,
    "late": 2,
    "missing": ["KTM.D1.PTC", "KTM.SXD"],
    "figures": figs(
        citizen_reception=(442, 448, 79, 79, 442, 0),
        petitions=(94, 92, 89, 3),
        mediation=(105, 97, 7),
        admin_procedures=(7197, 5438, 6770, 6736, 34),
        models=(3, 2),
    ),
    "rates": {
        "mediation_success": 97 / 105,
        "admin_on_time": 6736 / 6770,
        "admin_online": 5438 / 7197,
        "petitions_resolved": 89 / 92,
    },
    "by_kind": {
        "department": {
            "figures": figs(petitions=(15, 13, 12, 1), admin_procedures=(700, 550, 670, 660, 10)),
            "rates": {
                "mediation_success": None,
                "admin_on_time": 660 / 670,
                "admin_online": 550 / 700,
                "petitions_resolved": 12 / 13,
            },
            # groups none of the kind's submitters gave (issue 17, per kind)
            "not_reported": {
                "figures": ["citizen_reception", "staff_complaints", "mediation", "models"]
            },
        },
        "district": D1_SUMMARY["by_kind"]["district"],  # type: ignore[index]
        "district_office": D1_SUMMARY["by_kind"]["district_office"],  # type: ignore[index]
        "commune": {
            "figures": figs(
                mediation=(105, 97, 7), admin_procedures=(2700, 1820, 2680, 2671, 9), models=(3, 2)
            ),
            "rates": {
                "mediation_success": 97 / 105,
                "admin_on_time": 2671 / 2680,
                "admin_online": 1820 / 2700,
                "petitions_resolved": None,
            },
            # groups none of the kind's submitters gave (issue 17, per kind)
            "not_reported": {"figures": ["citizen_reception", "petitions", "staff_complaints"]},
        },
    },
    "ranking": [
        {"unit": "KTM.X3", "total": 92.0, "band": "Tốt", "rank": 1, "rules": []},
        {
            "unit": "KTM.STP",
            "total": 92.0,
            "band": "Khá",
            "rank": 2,
            "rules": ["zero_criterion_caps_band"],
        },
        {"unit": "KTM.D1", "total": 90.0, "band": "Tốt", "rank": 3, "rules": []},
        {"unit": "KTM.SNV", "total": 90.0, "band": "Tốt", "rank": 4, "rules": []},
        {"unit": "KTM.X4", "total": 75.0, "band": "Khá", "rank": 5, "rules": []},
        {"unit": "KTM.X5", "total": 75.0, "band": "Khá", "rank": 6, "rules": []},
    ],
    "bands": {"Tốt": 3, "Khá": 3, "Trung bình": 0, "Yếu": 0},
    "previous_year": figs(
        petitions=(5, 5, 5, 0), mediation=(8, 6, 2), admin_procedures=(4150, 2650, 4030, 3920, 110)
    ),
    "not_reported": {
        "figures": ["staff_complaints"],
        "previous_year": ["citizen_reception", "staff_complaints", "models"],
    },
    "revising": [],
    "warnings": [],
    "flags": KTM_FLAGS,
    "checked": 0,
    "narrative": NO_NARRATIVE,
}


def test_compile_whole_province(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    build_province(tmp_path, cli)
    out, again = tmp_path / "out", tmp_path / "again"
    r = run_ok(cli, "compile", "--cycle", "2024", "--out", out, "--at", T, "--format", "json")
    doc = r.json()  # type: ignore[attr-defined]
    # the district first, then the province (bottom-up); one folder each
    assert [c["compiler"] for c in doc["compiled"]] == ["KTM.D1", "KTM"]
    assert sorted(p.name for p in out.iterdir()) == ["KTM", "KTM.D1"]
    for code in ("KTM", "KTM.D1"):
        assert sorted(p.name for p in (out / code).iterdir()) == sorted(
            [
                ".complete",  # written last: the compilation finished
                "summary.json",
                f"bao-cao-tong-hop-{code}-2024.docx",
                f"bang-diem-{code}-2024.xlsx",
                f"bieu-do-{code}-2024.png",
            ]
        )
    d1 = json.loads((out / "KTM.D1" / "summary.json").read_text(encoding="utf-8"))
    ktm = json.loads((out / "KTM" / "summary.json").read_text(encoding="utf-8"))
    assert d1 == D1_SUMMARY
    assert ktm == KTM_SUMMARY
    assert list(ktm) == list(KTM_SUMMARY)  # SPEC's key order
    assert list(ktm["by_kind"]) == ["department", "district", "district_office", "commune"]

    # the same T again: the same bytes
    run_ok(cli, "compile", "--cycle", "2024", "--out", again, "--at", T)
    for code in ("KTM", "KTM.D1"):
        for f in (out / code).iterdir():  # every file, the workbook and report included
            assert f.read_bytes() == (again / code / f.name).read_bytes(), f.name

    # status agrees with the ranking's totals and bands
    st = cli("status", "--cycle", "2024", "--at", T, "--format", "json").json()
    final = {u["code"]: (u["final_total"], u["band"]) for u in st["units"]}
    assert final["KTM.STP"] == (92.0, "Khá") and final["KTM.D1.X1"] == (87.0, "Khá")

    # --- the province's report ------------------------------------------------------------
    paras, docx = docx_text(out / "KTM" / "bao-cao-tong-hop-KTM-2024.docx")
    head = docx.tables[0]
    assert head.rows[0].cells[0].text.split("\n")[:2] == ["UBND TỈNH KON TUM", "SỞ NỘI VỤ"]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head.rows[0].cells[1].text
    assert "Độc lập - Tự do - Hạnh phúc" in head.rows[0].cells[1].text
    assert head.rows[1].cells[0].text.startswith("Số:")
    assert head.rows[1].cells[1].text == "Kon Tum, ngày 29 tháng 11 năm 2024"
    assert "BÁO CÁO" in paras
    assert any(p.startswith("Kính gửi") for p in paras)
    for heading in ("I. ", "II. ", "III. ", "IV. ", "V. ", "VI. "):
        assert any(p.startswith(heading) and p.isupper() for p in paras), heading
    body = "\n".join(paras)
    assert "Kế hoạch số 12/KH-UBND ngày 20/02/2024" in body
    assert "2024: 7.197 hồ sơ (hồ sơ trực tuyến 5.438, đạt 75,55%)" in body
    assert "trước và đúng hạn đạt 99,49%" in body  # 6736/6770 = 99,497…: truncated, not 99,50
    assert "tăng 3.047 hồ sơ so với cùng kỳ năm 2023" in body  # 7197 − 4150
    assert "(tỷ lệ hòa giải thành cùng kỳ: 75,00%)" in body  # 2023: 6/8
    # the district and its offices are one level, Cấp huyện (3.697 + 100), as the seeds count
    assert "Cấp huyện tiếp nhận 3.797 hồ sơ (hồ sơ trực tuyến 3.068, đạt 80,80%)" in body
    assert "Cấp tỉnh tiếp nhận 700 hồ sơ" in body  # departments with the province level
    assert "đạt 99,56%" in body  # 3405/3420 = 99,561…: truncated
    assert "Sở Xây dựng" in body and "Phòng Tài chính - Kế hoạch" in body  # missing, named
    assert "Ủy ban nhân dân xã Vinh Quang (trễ 03 ngày)" in body
    assert "Sở Tư pháp" in body.split("tiêu chí bị 0 điểm")[1]  # the capped unit, named
    assert "Có công chức bị kỷ luật" in body  # the appraisal's reason
    assert len(docx.inline_shapes) == 1  # the chart, embedded
    assert any("Nơi nhận" in t.rows[0].cells[0].text for t in docx.tables)
    ranking_table = docx.tables[-2]  # Phụ lục II: names, never internal codes
    to_check = [[c.text for c in row.cells] for row in docx.tables[-1].rows[1:]]  # Phụ lục III
    assert len(to_check) == len(KTM_FLAGS)
    assert to_check[0][1:4] == [
        "Ủy ban nhân dân huyện Đăk Hà", "Thủ tục hành chính: Quá hạn",
        "Tăng, giảm bất thường so với năm trước",
    ]  # fmt: skip
    names = [row.cells[1].text for row in ranking_table.rows[1:]]
    assert names[:6] == [
        "Ủy ban nhân dân xã Ngọc Bay", "Sở Tư pháp", "Ủy ban nhân dân huyện Đăk Hà", "Sở Nội vụ",
        "Ủy ban nhân dân xã Vinh Quang", "Ủy ban nhân dân xã Đăk Tờ Re",
    ]  # fmt: skip
    assert [row.cells[-1].text for row in ranking_table.rows[7:]] == ["Chưa nộp — không xếp loại"]
    assert not any("KTM." in row.cells[1].text for row in ranking_table.rows)

    # --- the district's report -------------------------------------------------------------
    paras, docx = docx_text(out / "KTM.D1" / "bao-cao-tong-hop-KTM.D1-2024.docx")
    head = docx.tables[0]
    assert head.rows[0].cells[0].text.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN ĐĂK HÀ"]
    assert head.rows[1].cells[1].text == "Đăk Hà, ngày 29 tháng 11 năm 2024"
    body = "\n".join(paras)
    assert "2024: 5.897 hồ sơ (hồ sơ trực tuyến 4.468, đạt 75,76%)" in body
    assert "Cấp xã tiếp nhận 2.100 hồ sơ (hồ sơ trực tuyến 1.400, đạt 66,66%)" in body
    assert "đạt 97,46%" in body  # petitions 77/79
    assert "tăng 1.747 hồ sơ so với cùng kỳ năm 2023" in body  # 5897 − 4150, the tree of now

    # --- the workbooks ---------------------------------------------------------------------
    from openpyxl import load_workbook

    wb = load_workbook(out / "KTM" / "bang-diem-KTM-2024.xlsx", read_only=True)
    assert wb.sheetnames == ["Xếp hạng", "Điểm chi tiết", "Số liệu", "Tổng hợp số liệu", "Chưa nộp"]
    rows = list(wb["Xếp hạng"].iter_rows(values_only=True))
    band, total, code = rows[1].index("Xếp loại"), rows[1].index("Tổng điểm thẩm định"), -1
    assert [(r[0], r[code], r[total], r[band]) for r in rows[2:8]] == [
        (1, "KTM.X3", 92, "Tốt"),
        (2, "KTM.STP", 92, "Khá"),
        (3, "KTM.D1", 90, "Tốt"),
        (4, "KTM.SNV", 90, "Tốt"),
        (5, "KTM.X4", 75, "Khá"),
        (6, "KTM.X5", 75, "Khá"),
    ]
    assert rows[8][band] == "Chưa nộp — không xếp loại" and rows[8][code] == "KTM.SXD"
    detail = list(wb["Điểm chi tiết"].iter_rows(values_only=True))
    adjusted = {r[-1]: r[-2] for r in detail[2:] if r[-2]}
    assert adjusted == {
        "KTM.SNV": "Điểm trừ: 0 → 3 (Có công chức bị kỷ luật)",
        "KTM.D1.X1": "Tiêu chí A1: 38 → 32 (Thẩm định lại kế hoạch)",
        "KTM.D1.X2": "Tiêu chí B1: 18 → 10 (Tiếp dân chưa đầy đủ)",
    }
    missing = [r[-1] for r in list(wb["Chưa nộp"].iter_rows(values_only=True))[2:]]
    assert missing == ["KTM.D1.PTC", "KTM.SXD"]
    totals = list(wb["Số liệu"].iter_rows(values_only=True))[-1]
    assert totals[0] == "Tổng cộng" and 7197 in totals
    wb.close()

    for code in ("KTM", "KTM.D1"):
        png = (out / code / f"bieu-do-{code}-2024.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_compile_one_unit(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    build_province(tmp_path, cli)
    out = tmp_path / "one"
    run_ok(cli, "compile", "--cycle", "2024", "--unit", "KTM.D1", "--out", out, "--at", T)
    assert [p.name for p in out.iterdir()] == ["KTM.D1"]
    assert json.loads((out / "KTM.D1" / "summary.json").read_text("utf-8")) == D1_SUMMARY

    for code in ("KTM.SNV", "KTM.D1.X1", "NOPE"):
        r = cli("compile", "--cycle", "2024", "--unit", code, "--out", tmp_path / "bad", "--at", T)
        assert r.exit_code == 1, code
        assert code in r.stderr and "--unit" in r.stderr and "[not_a_compiler]" in r.stderr
        assert "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())

    # as of an instant before any appraisal, totals are the self-scores
    early = tmp_path / "early"
    run_ok(
        cli,
        "compile",
        "--cycle",
        "2024",
        "--unit",
        "KTM.D1",
        "--out",
        early,
        "--at",
        "2024-11-20T12:00",
    )
    s = json.loads((early / "KTM.D1" / "summary.json").read_text("utf-8"))
    assert s["ranking"] == [
        {"unit": "KTM.D1.X1", "total": 93.0, "band": "Tốt", "rank": 1, "rules": []},
        {"unit": "KTM.D1.X2", "total": 90.0, "band": "Tốt", "rank": 2, "rules": []},
        {"unit": "KTM.D1.PNV", "total": 80.0, "band": "Khá", "rank": 3, "rules": []},
        {"unit": "KTM.XM", "total": 55.0, "band": "Trung bình", "rank": 4, "rules": []},
    ]


def test_worker_processes_write_the_same_bytes(
    db_url: str, tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Folders written by a pool of worker processes (a province of many compilers) are the
    same bytes as those written in-process, and every compiler is written exactly once."""
    from danvan.config.settings import get_settings
    from danvan.tasks import compile as compile_task

    build_province(tmp_path, cli)
    monkeypatch.setenv("DANVAN_COMPILE_WORKERS", "1")
    get_settings.cache_clear()
    alone, pooled = tmp_path / "alone", tmp_path / "pooled"
    run_ok(cli, "compile", "--cycle", "2024", "--out", alone, "--at", T)
    monkeypatch.setenv("DANVAN_COMPILE_WORKERS", "2")
    monkeypatch.setattr(compile_task, "COMPILERS_PER_WORKER", 1)  # two compilers: two workers
    get_settings.cache_clear()
    assert compile_task.compile_workers(2) == 2
    before = len(compile_task.WORKER_CPU)
    doc = run_ok(
        cli, "compile", "--cycle", "2024", "--out", pooled, "--at", T, "--format", "json"
    ).json()  # type: ignore[attr-defined]
    assert [c["compiler"] for c in doc["compiled"]] == ["KTM.D1", "KTM"]  # bottom-up, as before
    # the smaller by a worker, the largest (the province) by a thread of the compiling process
    assert len(compile_task.WORKER_CPU) == before + 1
    files = sorted(p.relative_to(alone) for p in alone.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(pooled) for p in pooled.rglob("*") if p.is_file())
    for name in files:
        assert (alone / name).read_bytes() == (pooled / name).read_bytes(), name
