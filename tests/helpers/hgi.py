"""The Hậu Giang province (HGI) of issue 2's acceptance, a province we did not design the code
around: a mixed 2/3-tier tree, an inactive merged commune, names in NFD with the legacy ƣ glyph;
its criteria, its 2024 plan, submissions and the CLI steps that set it up.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from tests.helpers.cycle import write

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731

CRITERIA = {
    "code": "HGI-2023",
    "name": "Bộ tiêu chí dân vận chính quyền",
    "groups": [
        {
            "code": "A",
            "name": "Lãnh đạo",
            "criteria": [
                {"code": "A1", "name": "Kế hoạch", "max": 40},
                {"code": "A2", "name": "Kiểm tra", "max": 30},
            ],
        },
        {
            "code": "B",
            "name": "Kết quả",
            "criteria": [{"code": "B1", "name": "Tiếp dân", "max": 30}],
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

ORG = {
    "units": [
        {"code": "HGI", "name": NFD("Ủy ban nhân dân tỉnh Hậu Giang"), "kind": "province"},
        {"code": "HGI.STC", "name": NFD("Sở Tài chính"), "kind": "department", "parent": "HGI"},
        {
            "code": "HGI.VT",
            "name": "Ủy ban nhân dân thành phố Vị Thanh",
            "kind": "district",
            "parent": "HGI",
        },
        {
            "code": "HGI.VT.PNV",
            "name": "Phòng Nội vụ",
            "kind": "district_office",
            "parent": "HGI.VT",
        },
        {
            "code": "HGI.VT.P1",
            "name": NFD("Ủy ban nhân dân phƣờng I"),
            "kind": "commune",
            "parent": "HGI.VT",
        },
        {
            "code": "HGI.VT.P3",
            "name": "Ủy ban nhân dân phường III",
            "kind": "commune",
            "parent": "HGI.VT",
            "active": False,
        },
        {
            "code": "HGI.X01",
            "name": NFD("Ủy ban nhân dân xã Hỏa Lựu"),
            "kind": "commune",
            "parent": "HGI",
        },
        {
            "code": "HGI.X02",
            "name": "Ủy ban nhân dân xã Tân Tiến",
            "kind": "commune",
            "parent": "HGI",
        },
        {
            "code": "HGI.BQL",
            "name": "Ban Quản lý các khu công nghiệp",
            "kind": "agency",
            "parent": "HGI",
            "assessed": False,
        },
    ]
}

PLAN = {
    "province": "HGI",
    "year": 2024,
    "title": "Kế hoạch công tác dân vận chính quyền năm 2024",
    "reference": "Kế hoạch số 45/KH-UBND",
    "issued_on": "2024-03-01",
    "criteria": "criteria.yaml",
    "deadlines": {
        "self_assessment": "2024-11-15",
        "district_compilation": "2024-11-22",
        "province_scoring": "2024-11-30",
    },
}

SCORES = {"A1": 38, "A2": 28, "B1": 24}
VALID = {
    "unit": "HGI.STC",
    "year": 2024,
    "submitted_by": "Chánh Văn phòng Sở",
    "scores": dict(SCORES),
    "bonus": 1,
    "penalty": 0,
    "figures": {
        "citizen_reception": {
            "regular_sessions": 12,
            "regular_people": 14,
            "periodic_sessions": 4,
            "periodic_people": 4,
            "cases": 12,
            "group_cases": 0,
        },
        "petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 7, "outstanding": 1},
        "staff_complaints": {"received": 1, "in_jurisdiction": 1, "resolved": 1, "outstanding": 0},
        "mediation": {"received": 5, "successful": 4, "unsuccessful": 1},
        "admin_procedures": {
            "received": 100,
            "online": 80,
            "resolved": 95,
            "on_time": 94,
            "overdue": 1,
        },
        "models": {"registered": 2, "recognised": 1},
    },
}


def submission(
    tmp: Path, unit: str, scores: dict, bonus: float = 0, penalty: float = 0, tag: str = ""
) -> Path:
    doc = {
        "unit": unit,
        "year": 2024,
        "submitted_by": "Văn phòng",
        "scores": scores,
        "bonus": bonus,
        "penalty": penalty,
        "figures": {
            "petitions": {"received": 5, "in_jurisdiction": 4, "resolved": 3, "outstanding": 1}
        },
    }
    return write(tmp / f"{unit}{tag}.yaml", doc)


def setup_province(tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(tmp / "org.yaml", ORG)
    write(tmp / "criteria.yaml", CRITERIA)
    write(tmp / "plan.yaml", PLAN)
    assert cli("org", "import", tmp / "org.yaml").exit_code == 0
    r = cli("plan", "issue", tmp / "plan.yaml", "--at", "2024-03-01T09:00")
    assert r.exit_code == 0, r.stderr
