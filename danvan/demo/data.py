"""The sample province's year as files: the org tree with local contacts, two plans, and every
unit's submission generated from a fixed seed (so every demo tells the same story)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import yaml

from danvan.demo.reports import write_report
from danvan.demo.sample import sample_dir
from danvan.rules.criteria import parse_criteria
from danvan.rules.domain import CriteriaSet
from danvan.rules.formats import load_document
from danvan.rules.timing import parse_instant

#: The story of 2024: who submits when (local time); units not listed never submit.
LATE = {"QNG.STH.X05": "2024-11-12T09:30", "QNG.SGDDT": "2024-11-14T15:00"}
MISSING = {"QNG.BSN.X09", "QNG.STP", "QNG.STH.X02"}
RESUBMITTED = "QNG.BSN.TT01"


def _criteria() -> dict[str, CriteriaSet]:
    out = {}
    for name in ("criteria.yaml", "criteria-xa.yaml"):
        path = sample_dir() / name
        out[name] = parse_criteria(load_document(name, path.read_bytes()), str(path))
    return out


def _scores(cs: CriteriaSet, rng: random.Random, zero: bool) -> dict[str, float]:
    scores = {
        c.code: max(0.0, c.max - rng.choice([0, 0, 0.25, 0.5, 1, 1.5, 2, 3])) for c in cs.criteria
    }
    if zero:
        scores[cs.criteria[-1].code] = 0.0
    return scores


def _figures(rng: random.Random, kind: str, scale: float) -> dict:
    n = int((3000 if kind in ("district", "department") else 2500) * scale * rng.uniform(0.6, 1.4))
    resolved = int(n * rng.uniform(0.9, 0.97))
    overdue = rng.randint(0, max(1, resolved // 200))
    received = rng.randint(10, 90)
    in_j = received - rng.randint(0, 3)
    res_p = in_j - rng.randint(0, 2)
    med = rng.randint(5, 60)
    ok = med - rng.randint(0, 4)
    return {
        "citizen_reception": {
            "regular_sessions": received * 4,
            "regular_people": received * 4 + 5,
            "periodic_sessions": 12,
            "periodic_people": 14,
            "cases": received * 3,
            "group_cases": rng.randint(0, 2),
        },
        "petitions": {
            "received": received,
            "in_jurisdiction": in_j,
            "resolved": res_p,
            "outstanding": in_j - res_p,
        },
        "staff_complaints": {"received": 0, "in_jurisdiction": 0, "resolved": 0, "outstanding": 0},
        "mediation": {"received": med, "successful": ok, "unsuccessful": med - ok},
        "admin_procedures": {
            "received": n,
            "online": int(n * rng.uniform(0.5, 0.85)),
            "resolved": resolved,
            "on_time": resolved - overdue,
            "overdue": overdue,
        },
        "models": {"registered": rng.randint(1, 3), "recognised": 1},
    }


def write_yaml(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def prepare_files(out: Path, inbox: str) -> dict:
    """The sample province with its contacts pointed at the local inbox, plans for 2023 and 2024."""
    src = sample_dir()
    org = yaml.safe_load((src / "org.yaml").read_text(encoding="utf-8"))
    for u in org["units"]:
        if u.get("contacts") and u["code"] != "QNG.STH.X05":  # one commune gave no contact
            u["contacts"] = [f"{inbox}/{u['code']}"]
        else:
            u["contacts"] = []
    files = out / "input"
    write_yaml(files / "org.yaml", org)
    for name in ("criteria.yaml", "criteria-xa.yaml"):
        (files / name).write_bytes((src / name).read_bytes())
    plan = yaml.safe_load((src / "plan.yaml").read_text(encoding="utf-8"))
    write_yaml(files / "plan-2024.yaml", plan)
    old = dict(plan, year=2023, title=plan["title"].replace("2024", "2023"), issued_on="2023-02-20",
               reference="Kế hoạch số 28/KH-UBND ngày 20/02/2023 của UBND tỉnh Quảng Ngãi",
               deadlines={"self_assessment": "2023-11-10", "district_compilation": "2023-11-20", "province_scoring": "2023-11-29"})  # fmt: skip
    write_yaml(files / "plan-2023.yaml", old)
    return org


def submissions(out: Path, org: dict, year: int, rng: random.Random) -> list[tuple[str, Path]]:
    """(local instant, file) for every unit that submits in ``year``, in time order."""
    sets = _criteria()
    todo = []
    units = [
        u
        for u in org["units"]
        if u["kind"] != "province" and u.get("active", True) and u.get("assessed", True)
    ]
    for i, u in enumerate(units):
        code = u["code"]
        if year == 2024 and code in MISSING:
            continue
        cs = sets["criteria-xa.yaml" if u["kind"] == "commune" else "criteria.yaml"]
        doc = {
            "unit": code, "year": year, "submitted_by": "Văn phòng " + u["name"],
            "scores": _scores(cs, rng, zero=(year == 2024 and code == "QNG.STC")),
            "bonus": rng.choice([0, 0.5, 1, 2]), "penalty": rng.choice([0, 0, 0, 1]),
            "figures": _figures(rng, u["kind"], 0.9 if year == 2023 else 1.0),
        }  # fmt: skip
        if year == 2024:
            _the_units_own_words(out, u, doc)
        at = f"{year}-11-{5 + i % 4:02d}T{8 + i % 4:02d}:15"  # four batches, on time
        if year == 2024 and code in LATE:
            at = LATE[code]
        todo.append((at, write_yaml(out / "submissions" / str(year) / f"{code}.yaml", doc)))
        if year == 2024 and code == RESUBMITTED:
            doc = dict(doc, bonus=2, submitted_by="Chủ tịch UBND thị trấn (bản sửa)")
            todo.append(
                (
                    "2024-11-09T16:40",
                    write_yaml(out / "submissions" / "2024" / f"{code}-v2.yaml", doc),
                )
            )
    return sorted(todo, key=lambda t: t[0])


#: 2024's figures a compiler should look at (SPEC §3.8): a typo of 10× and last year's file.
TYPO = ("QNG.BSN.X08", "admin_procedures", "received")
COPIED = "QNG.STH.X03"


def _the_units_own_words(out: Path, unit: dict, doc: dict) -> None:
    """2024: the unit's narrative report beside its file (SPEC §3.9), and the two slips the
    data-quality flags are for."""
    folder = out / "submissions" / "2024"
    name = write_report(folder, unit["code"], unit["name"], 2024)
    if name is not None:
        doc["report_file"] = name
    last_file = out / "submissions" / "2023" / f"{unit['code']}.yaml"
    if last_file.exists():  # a unit's year resembles its last: a little more work, same shape
        last = yaml.safe_load(last_file.read_text("utf-8"))["figures"]
        doc["figures"] = _grown(last, 1 + (sum(map(ord, unit["code"])) % 13 + 2) / 100)
    if unit["code"] == TYPO[0]:
        doc["figures"][TYPO[1]][TYPO[2]] *= 10  # 36.970 typed for 3.697
    if unit["code"] == COPIED:
        doc["figures"] = yaml.safe_load(last_file.read_text("utf-8"))["figures"]


def _grown(figures: dict, factor: float) -> dict:
    """Last year's figures with ``factor`` more administrative procedures and a few more
    petitions, receptions and mediations (a report comparing every group "bằng cùng kỳ" reads
    as a copied year), every rule of SPEC §3.4 still holding."""
    out = {g: dict(f) for g, f in figures.items()}
    more = round((factor - 1) * 100) % 4  # 0–3, the unit's own
    if (p := out.get("petitions")) is not None:
        p["received"] += more
        p["in_jurisdiction"] += more
        p["resolved"] += more
    if (c := out.get("citizen_reception")) is not None:
        c["regular_sessions"] += 2 * more
        c["regular_people"] += 2 * more
        c["cases"] += more
    if (m := out.get("mediation")) is not None:
        m["received"] += 3 - more
        m["successful"] += 3 - more
    a = out["admin_procedures"]
    a["received"] = int(a["received"] * factor)
    a["online"] = int(a["online"] * factor)
    a["resolved"] = min(a["received"], int(a["resolved"] * factor))
    a["on_time"] = a["resolved"] - a["overdue"]
    return out


APPRAISALS = {
    "thamdinh-binhson.yaml": {"year": 2024, "by": "QNG.BSN", "adjustments": [
        {"unit": "QNG.BSN.TT01", "criterion": "1", "score": 2, "reason": "Kế hoạch ban hành chậm so với yêu cầu"}]},
    "thamdinh-tinh.yaml": {"year": 2024, "by": "QNG", "adjustments": [
        {"unit": "QNG.SNV", "penalty": 1, "reason": "Có công chức bị kỷ luật khiển trách trong năm"},
        {"unit": "QNG.STH", "bonus": 2, "reason": "Mô hình Dân vận khéo được tỉnh công nhận"}]},
}  # fmt: skip


def at(text: str) -> datetime:
    return parse_instant(text)
