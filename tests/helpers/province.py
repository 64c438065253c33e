"""A small province written by the test itself: a province, a department, a district with one
office and two communes. Contacts only when given (a local sink), so nothing reaches the network.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from danvan.rules.timing import parse_instant

YEAR = 2024
ISSUE_AT = "2024-02-17T09:00"
UNITS = [
    ("TST", "Ủy ban nhân dân tỉnh Thử", "province", None),
    ("TST.SNV", "Sở Nội vụ", "department", "TST"),
    ("TST.H01", "Ủy ban nhân dân huyện Một", "district", "TST"),
    ("TST.H01.PNV", "Phòng Nội vụ huyện Một", "district_office", "TST.H01"),
    ("TST.H01.X01", "Ủy ban nhân dân xã Một", "commune", "TST.H01"),
    ("TST.H01.X02", "Ủy ban nhân dân xã Hai", "commune", "TST.H01"),
]
CRITERIA = {
    "code": "TST-1",
    "name": "Tiêu chí thử",
    "groups": [
        {
            "code": "I",
            "name": "Một",
            "criteria": [{"code": str(c), "name": f"Tiêu chí {c}", "max": 50} for c in (1, 2)],
        }
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70}, {"name": "Yếu", "min": 0}],
}


def at(value: str) -> datetime:
    return parse_instant(value, "Asia/Ho_Chi_Minh")


def org_doc(contacts: dict[str, list[str]] | None = None) -> dict:
    """The org tree of :data:`UNITS` as a document; ``contacts`` by unit code."""
    units = []
    for code, name, kind, parent in UNITS:
        unit: dict = {"code": code, "name": name, "kind": kind}
        if parent:
            unit["parent"] = parent
        if contacts and code in contacts:
            unit["contacts"] = list(contacts[code])
        units.append(unit)
    return {"units": units}


def write_province(folder: Path, contact: str | None = None, send_at: str = "08:00") -> None:
    """``org.yaml``, ``criteria.yaml`` and ``plan.yaml`` in ``folder``."""
    contacts = {code: [f"{contact}/{code}"] for code, *_ in UNITS} if contact else {}
    units = org_doc(contacts)["units"]
    plan = {
        "province": "TST",
        "year": YEAR,
        "title": "Kế hoạch thử",
        "issued_on": "2024-02-17",
        "criteria": "criteria.yaml",
        "deadlines": {
            "self_assessment": "2024-11-10",
            "district_compilation": "2024-11-20",
            "province_scoring": "2024-11-29",
        },
        "reminders": {
            "before_days": [7, 3, 1],
            "overdue_every_days": 2,
            "escalate_after_days": 3,
            "send_at": send_at,
            "working_days_only": True,
        },
        "timezone": "Asia/Ho_Chi_Minh",
    }
    for name, doc in (("org", {"units": units}), ("criteria", CRITERIA), ("plan", plan)):
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")


def write_submission(folder: Path, unit: str, score: float = 45) -> Path:
    path = folder / f"{unit}.yaml"
    doc = {
        "unit": unit,
        "year": YEAR,
        "submitted_by": "Người thử",
        "scores": {"1": score, "2": 40},
        "figures": {},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def issue_small_cycle(folder: Path, contact: str | None = None, send_at: str = "08:00") -> dict:
    """Import the org and issue the plan in-process (the configured database)."""
    from danvan.flows.plan import issue_plan
    from danvan.tasks.org import import_org

    write_province(folder, contact, send_at)
    import_org(str(folder / "org.yaml"), at(ISSUE_AT))
    return issue_plan.fn(str(folder / "plan.yaml"), at(ISSUE_AT))
