"""The bench's synthetic province: N units shaped like a real province, its criteria, its plan
and a valid self-assessment per unit (deterministic, so two runs compare)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

YEAR = 2024
PROVINCE = "BEN"
TZ = "Asia/Ho_Chi_Minh"
#: Never contacted: the bench builds reminders but sends none.
BENCH_CONTACT = "json://127.0.0.1:9/danvan-bench"


def synthetic_org(
    n: int, contacts: bool | str = False, province: str = "BEN"
) -> list[dict[str, Any]]:
    """Exactly ``n`` units shaped like a province of 1,000: the province, ~3% departments,
    ~1.2% districts, each district with ~1 office for every 6 communes. ``contacts``: ``True``
    gives each unit :data:`BENCH_CONTACT`, a string gives it that address."""
    PROVINCE = province
    if n < 4:
        raise ValueError("a bench province needs at least 4 units")
    departments = max(1, n * 30 // 1000)
    districts = max(1, n * 12 // 1000)
    rest = n - 1 - departments - districts
    units = [_unit(PROVINCE, "Ủy ban nhân dân tỉnh Bến (thử tải)", "province", None, contacts)]
    for i in range(1, departments + 1):
        units.append(_unit(f"{PROVINCE}.S{i:02d}", f"Sở {i:02d}", "department", PROVINCE, contacts))
    for d in range(1, districts + 1):
        code = f"{PROVINCE}.H{d:02d}"
        units.append(_unit(code, f"Ủy ban nhân dân huyện {d:02d}", "district", PROVINCE, contacts))
        share = rest // districts + (1 if d <= rest % districts else 0)
        offices = share // 7
        for i in range(1, offices + 1):
            units.append(
                _unit(f"{code}.P{i:02d}", f"Phòng {i:02d}", "district_office", code, contacts)
            )
        for i in range(1, share - offices + 1):
            units.append(_unit(f"{code}.X{i:03d}", f"Xã {i:03d}", "commune", code, contacts))
    return units


def _unit(
    code: str, name: str, kind: str, parent: str | None, contacts: bool | str
) -> dict[str, Any]:
    unit: dict[str, Any] = {"code": code, "name": name, "kind": kind}
    if parent:
        unit["parent"] = parent
    if contacts:
        unit["contacts"] = [BENCH_CONTACT if contacts is True else contacts]
    return unit


CRITERIA: dict[str, Any] = {
    "code": "BEN-BENCH",
    "name": "Bộ tiêu chí thử tải",
    "groups": [
        {
            "code": g,
            "name": f"Nhóm {g}",
            "criteria": [{"code": str(c), "name": f"Tiêu chí {c}", "max": 10} for c in crit],
        }
        for g, crit in (("I", range(1, 4)), ("II", range(4, 8)), ("III", range(8, 11)))
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [
        {"name": "Tốt", "min": 90},
        {"name": "Khá", "min": 70},
        {"name": "Trung bình", "min": 50},
        {"name": "Yếu", "min": 0},
    ],
}

PLAN: dict[str, Any] = {
    "province": PROVINCE,
    "year": YEAR,
    "title": "Kế hoạch thử tải",
    "issued_on": "2024-02-17",
    "criteria": "criteria.json",
    "deadlines": {
        "self_assessment": "2024-11-10",
        "district_compilation": "2024-11-20",
        "province_scoring": "2024-11-29",
    },
    "reminders": {
        "before_days": [14, 7, 3, 1],
        "overdue_every_days": 2,
        "escalate_after_days": 3,
        "send_at": "08:00",
        "working_days_only": True,
    },
    "timezone": TZ,
}


def submission(code: str, i: int) -> dict[str, Any]:
    """A valid self-assessment with scores and figures that vary by unit (deterministic)."""
    received = 50 + i % 200
    resolved = received - i % 7
    return {
        "unit": code,
        "year": YEAR,
        "submitted_by": "Người thử tải",
        "scores": {str(c): 10 - (i + c) % 4 * 0.5 for c in range(1, 11)},
        "bonus": i % 3,
        "figures": {
            "admin_procedures": {
                "received": received,
                "online": received // 2,
                "resolved": resolved,
                "on_time": resolved - i % 3,
                "overdue": i % 3,
            },
            "mediation": {"received": i % 9, "successful": i % 9 // 2, "unsuccessful": i % 9 // 3},
        },
    }


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def fill_workbook(template: Path, out: Path, i: int) -> Path:
    """The template with every score and the author typed in (openpyxl, as a person's Excel)."""
    book = load_workbook(template)
    for row in book["Hướng dẫn"].iter_rows():
        if row[0].value == "Người lập báo cáo":
            row[1].value = "Người thử tải"
    for row in book["Chấm điểm"].iter_rows(min_row=1):
        code = row[0].value
        if code is not None and str(code).isdigit():
            row[3].value = 10 - (i + int(code)) % 4 * 0.5
    book.save(out)
    return out
