"""Seed 001 end to end: huyện Tháp Mười's 2023 figures (footnotes 4–7, Phụ lục I) go in through
real ``submit`` files and come out of ``compile`` as the seed prints them.

The district is both a compiler and an assessed unit: its district-level figures (3.697 dossiers)
count in its own subtree next to its communes' (29.264 dossiers, split over three communes).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cycle import write
from tests.helpers.hgi import CRITERIA

ORG = {
    "units": [
        {"code": "DTP", "name": "Ủy ban nhân dân tỉnh Đồng Tháp", "kind": "province"},
        {
            "code": "DTP.TM",
            "name": "Ủy ban nhân dân huyện Tháp Mười",
            "kind": "district",
            "parent": "DTP",
        },
        {
            "code": "DTP.TM.MA",
            "name": "Ủy ban nhân dân thị trấn Mỹ An",
            "kind": "commune",
            "parent": "DTP.TM",
        },
        {
            "code": "DTP.TM.MH",
            "name": "Ủy ban nhân dân xã Mỹ Hòa",
            "kind": "commune",
            "parent": "DTP.TM",
        },
        {
            "code": "DTP.TM.TK",
            "name": "Ủy ban nhân dân xã Thạnh Lợi",
            "kind": "commune",
            "parent": "DTP.TM",
        },
    ]
}
PLAN = {
    "province": "DTP",
    "year": 2023,
    "title": "Kế hoạch thực hiện công tác dân vận chính quyền năm 2023",
    "reference": "Kế hoạch số 763/KH-UBND ngày 18/02/2022",
    "issued_on": "2023-02-18",
    "criteria": "criteria.yaml",
    "deadlines": {
        "self_assessment": "2023-11-10",
        "district_compilation": "2023-11-20",
        "province_scoring": "2023-11-29",
    },
}
ADMIN = ("received", "online", "resolved", "on_time", "overdue")

DISTRICT_FIGURES = {
    # footnote 4, cấp huyện: 3.697 received, 3.018 online, 3.320 resolved, 2.469 + 837 on time
    "admin_procedures": dict(zip(ADMIN, (3697, 3018, 3320, 2469 + 837, 14), strict=True)),
    # footnote 6 / Phụ lục I.2
    "citizen_reception": {
        "regular_sessions": 442,
        "regular_people": 448,
        "periodic_sessions": 79,
        "periodic_people": 79,
        "cases": 442,
        "group_cases": 0,
    },
    # footnote 7 / Phụ lục I.1
    "petitions": {"received": 79, "in_jurisdiction": 79, "resolved": 77, "outstanding": 2},
    "staff_complaints": {"received": 0, "in_jurisdiction": 0, "resolved": 0, "outstanding": 0},
    "mediation": {"received": 112, "successful": 107, "unsuccessful": 5},
}
# cấp xã: 29.264 received, 20.607 online, 28.389 resolved, 25.840 + 2.486 on time, 63 overdue
COMMUNES = {
    "DTP.TM.MA": (10000, 7000, 9700, 9680, 20),
    "DTP.TM.MH": (9264, 6607, 8989, 8970, 19),
    "DTP.TM.TK": (10000, 7000, 9700, 9676, 24),
}


def submission(tmp: Path, unit: str, figures: dict) -> Path:
    doc = {
        "unit": unit,
        "year": 2023,
        "submitted_by": "Văn phòng HĐND và UBND",
        "scores": {"A1": 38, "A2": 27, "B1": 27},
        "bonus": 1,
        "penalty": 0,
        "figures": figures,
    }
    return write(tmp / f"{unit}.yaml", doc)


def test_thap_muoi_2023(sqlite_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert sum(v[0] for v in COMMUNES.values()) == 29264
    assert sum(v[3] for v in COMMUNES.values()) == 25840 + 2486
    write(tmp_path / "org.yaml", ORG)
    write(tmp_path / "criteria.yaml", CRITERIA)
    write(tmp_path / "plan.yaml", PLAN)
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    assert cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2023-02-18T09:00").exit_code == 0
    files = [submission(tmp_path, "DTP.TM", DISTRICT_FIGURES)] + [
        submission(tmp_path, code, {"admin_procedures": dict(zip(ADMIN, values, strict=True))})
        for code, values in COMMUNES.items()
    ]
    r = cli("submit", *files, "--at", "2023-11-08T10:00")
    assert r.exit_code == 0, r.stderr

    out = tmp_path / "out"
    r = cli("compile", "--cycle", "2023", "--out", out, "--at", "2023-11-20T15:00")
    assert r.exit_code == 0, r.stderr
    s = json.loads((out / "DTP.TM" / "summary.json").read_text("utf-8"))
    assert (s["expected"], s["submitted"], s["on_time"], s["late"], s["missing"]) == (
        4,
        4,
        4,
        0,
        [],
    )
    assert list(s["by_kind"]) == ["district", "commune"]
    assert s["by_kind"]["district"]["figures"]["admin_procedures"] == {
        "received": 3697,
        "online": 3018,
        "resolved": 3320,
        "on_time": 3306,
        "overdue": 14,
    }
    assert s["by_kind"]["commune"]["figures"]["admin_procedures"] == {
        "received": 29264,
        "online": 20607,
        "resolved": 28389,
        "on_time": 28326,
        "overdue": 63,
    }
    assert s["by_kind"]["commune"]["figures"]["petitions"]["received"] == 0
    assert s["by_kind"]["district"]["rates"] == {
        "mediation_success": 107 / 112,
        "admin_on_time": 3306 / 3320,
        "admin_online": 3018 / 3697,
        "petitions_resolved": 77 / 79,
    }
    assert s["by_kind"]["commune"]["rates"]["admin_on_time"] == 28326 / 28389
    assert s["by_kind"]["commune"]["rates"]["admin_online"] == 20607 / 29264
    # the whole subtree: the district's own figures and its communes', each once
    assert s["figures"]["admin_procedures"] == {
        "received": 32961,
        "online": 23625,
        "resolved": 31709,
        "on_time": 31632,
        "overdue": 77,
    }
    assert s["figures"]["citizen_reception"] == DISTRICT_FIGURES["citizen_reception"]
    assert s["figures"]["petitions"] == DISTRICT_FIGURES["petitions"]
    assert s["figures"]["mediation"] == DISTRICT_FIGURES["mediation"]
    assert s["previous_year"] is None
    # the province's compilation holds the same figures (the district is one unit of it)
    p = json.loads((out / "DTP" / "summary.json").read_text("utf-8"))
    assert p["figures"] == s["figures"] and p["by_kind"] == s["by_kind"]
    assert [x["unit"] for x in p["ranking"]] == ["DTP.TM"]

    from docx import Document

    doc = Document(str(out / "DTP.TM" / "bao-cao-tong-hop-DTP.TM-2023.docx"))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    text = body + "\n" + cells
    for number in ("29.264", "20.607", "70,41%", "3.697", "81,63%", "99,57%", "99,77%", "97,46%"):
        assert number in text, number
    assert "Cấp xã tiếp nhận 29.264 hồ sơ (hồ sơ trực tuyến 20.607, đạt 70,41%)" in body
    assert "Cấp huyện tiếp nhận 3.697 hồ sơ (hồ sơ trực tuyến 3.018, đạt 81,63%)" in body
    assert "Tỷ lệ hồ sơ giải quyết trước và đúng hạn đạt 99,77%" in body  # 28326/28389
    assert "Tỷ lệ hồ sơ giải quyết trước và đúng hạn đạt 99,57%" in body  # 3306/3320
    assert "đã tiếp thường xuyên 442 lượt, 448 người, 442 vụ việc" in body
    assert "đã giải quyết 77/79 đơn, đạt 97,46%, còn tồn 02 đơn" in body
    assert "tiếp nhận 112 vụ việc, hòa giải thành 107 vụ việc, đạt 95,53%" in body  # truncated
    assert "Tháp Mười, ngày 20 tháng 11 năm 2023" in cells
