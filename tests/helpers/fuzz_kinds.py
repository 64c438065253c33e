"""The input kinds the fuzz test mutates: a small registry, so that other formats join by adding one.

An :class:`InputKind` says how to prepare the database it needs (``prepare``, run once; the fuzz
test restores that state before every example), which valid files to start from (``seeds``),
how to run one file through the real load/validate/record path (``run``: returns whether it
was accepted; only :class:`Rejected` may come out of the code under test, anything else is a
bug) and how to re-check what an accepted file recorded against the rules (``recheck``).

To add a kind (e.g. XLSX submissions and org sheets): write its seeds as ``(file name, bytes)``,
its mutator if the generic document mutations do not fit (``mutate``: a Hypothesis ``data``
draw over the seed's bytes), and call :func:`register` at the bottom of this module (or from a
module imported by ``tests/core/test_fuzz.py``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from danvan.rules.domain import UNIT_KINDS
from danvan.rules.limits import DEFAULT_LIMITS, code_problem
from tests.helpers.province import CRITERIA, YEAR, at, org_doc

ISSUE_AT = at("2024-02-17T09:00")
SUBMIT_AT = at("2024-11-05T10:00")
APPRAISE_AT = at("2024-11-18T10:00")

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class InputKind:
    name: str
    #: Build the database state the kind needs, in the configured (empty, migrated) database.
    prepare: Callable[[Path], None]
    #: Valid files to start from: (file name, bytes).
    seeds: Callable[[], list[tuple[str, bytes]]]
    #: Run one file (already written at the path) through the real path; True when accepted.
    run: Callable[[Path], bool]
    #: Check the database after an accepted file: raises AssertionError naming the broken rule.
    recheck: Callable[[sqlite3.Connection], None]
    #: Files run after each mutated one in the same batch (must be accepted: the batch goes on).
    followers: Callable[[Path], list[Path]] = lambda folder: []
    #: "yaml" or "json": how documents are written back after structural mutations.
    syntax: str = "yaml"
    #: Optional own mutator: (Hypothesis data, seed bytes) -> bytes. None: the generic one.
    mutate: Callable[[Any, bytes], bytes] | None = None


KINDS: dict[str, InputKind] = {}


def register(kind: InputKind) -> InputKind:
    KINDS[kind.name] = kind
    return kind


# --- checks on what was recorded --------------------------------------------------------------


def clean_text(value: object, what: str) -> None:
    assert isinstance(value, str), (what, type(value))
    assert len(value) <= DEFAULT_LIMITS.max_text_chars, what
    assert not _BAD.search(value), (what, "control character")
    assert unicodedata.normalize("NFC", value) == value, (what, "not NFC")


def clean_code(value: object, what: str) -> None:
    assert isinstance(value, str) and code_problem(value) is None, (what, value)


def _rows(conn: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    return conn.execute(sql).fetchall()


def recheck_org(conn: sqlite3.Connection) -> None:
    units = {r["id"]: r for r in _rows(conn, "SELECT * FROM unit")}
    for r in units.values():
        clean_code(r["code"], "unit.code")
        clean_text(r["name"], "unit.name")
        assert r["name"], "unit.name empty"
        assert r["kind"] in UNIT_KINDS, r["kind"]
        assert (r["parent_id"] is None) == (r["kind"] == "province"), "parent rule"
        for c in json.loads(r["contacts"]):
            clean_text(c, "contact")
            assert re.match(r"^[a-z][a-z0-9+.-]*://\S+$", c, re.IGNORECASE), "contact form"
    for r in units.values():  # no loops, every parent exists
        seen, cur = set(), r
        while cur["parent_id"] is not None:
            assert cur["id"] not in seen, "loop in tree"
            seen.add(cur["id"])
            cur = units[cur["parent_id"]]


def recheck_cycle(conn: sqlite3.Connection) -> None:
    from danvan.rules.criteria_store import criteria_from_dict

    for r in _rows(conn, "SELECT * FROM criteria_set"):
        criteria_from_dict(json.loads(r["definition"]))  # the stored set passes the checks again
        clean_code(r["code"], "criteria_set.code")
    for c in _rows(conn, "SELECT * FROM cycle"):
        assert 2000 <= c["year"] <= 2100
        clean_text(c["title"], "cycle.title")
        clean_text(c["reference"], "cycle.reference")
        issued, sa, dc, ps = (
            c["issued_on"],
            c["self_assessment_deadline"],
            c["district_compilation_deadline"],
            c["province_scoring_deadline"],
        )
        assert issued < sa <= dc <= ps, "deadline order"
        assert int(issued[:4]) in (c["year"] - 1, c["year"])
        reminders = json.loads(c["reminders"])
        assert all(isinstance(d, int) and 1 <= d <= 366 for d in reminders["before_days"])


def recheck_submissions(conn: sqlite3.Connection) -> None:
    from danvan.rules.criteria_store import criteria_from_dict
    from danvan.rules.domain import SubmissionDoc
    from danvan.rules.submission_checks import check_submission

    sets = {
        r["code"]: criteria_from_dict(json.loads(r["definition"]))
        for r in _rows(conn, "SELECT * FROM criteria_set")
    }
    for s in _rows(conn, "SELECT * FROM submission"):
        clean_text(s["submitted_by"], "submitted_by")
        doc = SubmissionDoc(
            unit="x",
            year=YEAR,
            submitted_by=s["submitted_by"],
            scores=json.loads(s["scores"]),
            bonus=s["bonus"],
            penalty=s["penalty"],
            figures=json.loads(s["figures"]),
        )
        check_submission(doc, criteria=sets[s["criteria_set_code"]])  # raises if a rule broke


def recheck_adjustments(conn: sqlite3.Connection) -> None:
    from danvan.rules.criteria_store import criteria_from_dict

    cs = criteria_from_dict(json.loads(_rows(conn, "SELECT * FROM criteria_set")[0]["definition"]))
    maxes = {c.code: c.max for c in cs.criteria} | {
        "bonus": cs.bonus_max,
        "penalty": cs.penalty_max,
    }
    units = {r["id"]: r for r in _rows(conn, "SELECT * FROM unit")}
    for a in _rows(conn, "SELECT * FROM adjustment"):
        clean_text(a["reason"], "reason")
        assert a["reason"], "empty reason"
        assert a["target"] in maxes, a["target"]
        assert 0 <= a["value"] <= maxes[a["target"]], "adjusted value out of range"
        assert (a["value"] / 0.25).is_integer(), "off step"
        by, unit = units[a["by_unit_id"]], units[a["unit_id"]]
        assert by["kind"] in ("province", "district"), "appraised by a non-compiler"
        if by["kind"] != "province":
            assert unit["parent_id"] == by["id"], "outside the compiler's scope"


# --- the kinds ---------------------------------------------------------------------------------


def _dump(doc: object, syntax: str) -> bytes:
    if syntax == "json":
        return json.dumps(doc, ensure_ascii=False).encode()
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()


def _org_doc() -> dict:
    doc = org_doc({"TST.SNV": ["json://127.0.0.1:9/snv"]})
    doc["units"][4] |= {"assessed": True, "active": True}
    return doc


PLAN = {
    "province": "TST",
    "year": YEAR,
    "title": "Kế hoạch thử",
    "reference": "Kế hoạch số 1/KH-UBND",
    "issued_on": "2024-02-17",
    "criteria": "criteria.yaml",
    "deadlines": {
        "self_assessment": "2024-11-10",
        "district_compilation": "2024-11-20",
        "province_scoring": "2024-11-29",
    },
    "reminders": {"before_days": [7, 3, 1], "overdue_every_days": 2, "send_at": "08:00"},
}


def submission_doc(unit: str = "TST.H01.X01", score: float = 45) -> dict:
    return {
        "unit": unit,
        "year": YEAR,
        "submitted_by": "Chánh Văn phòng",
        "scores": {"1": score, "2": 40},
        "bonus": 1,
        "penalty": 0,
        "figures": {
            "petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 7, "outstanding": 1},
            "mediation": {"received": 5, "successful": 4, "unsuccessful": 1},
        },
    }


APPRAISAL = {
    "year": YEAR,
    "by": "TST.H01",
    "adjustments": [
        {"unit": "TST.H01.X01", "criterion": "1", "score": 40, "reason": "Kế hoạch ban hành chậm"},
        {"unit": "TST.H01.X02", "penalty": 2, "reason": "Có công chức bị kỷ luật"},
    ],
}


def _prepare_org(folder: Path) -> None:
    from danvan.tasks.org import import_org

    (folder / "org.yaml").write_bytes(_dump(_org_doc(), "yaml"))
    (folder / "criteria.yaml").write_bytes(_dump(CRITERIA, "yaml"))  # beside any plan
    import_org(str(folder / "org.yaml"), ISSUE_AT)


def _prepare_cycle(folder: Path) -> None:
    from danvan.tasks.plan import record_cycle

    _prepare_org(folder)
    (folder / "plan.yaml").write_bytes(_dump(PLAN, "yaml"))
    record_cycle(str(folder / "plan.yaml"), ISSUE_AT)


def _prepare_submitted(folder: Path) -> None:
    from danvan.tasks.intake import record_one

    _prepare_cycle(folder)
    for unit in ("TST.H01.X01", "TST.H01.X02"):
        path = folder / f"{unit}.yaml"
        path.write_bytes(_dump(submission_doc(unit, 30), "yaml"))
        assert record_one(str(path), SUBMIT_AT).accepted


def _run_org(path: Path) -> bool:
    from danvan.rules.errors import Rejected
    from danvan.tasks.org import import_org

    try:
        import_org(str(path), ISSUE_AT)
    except Rejected:
        return False
    return True


def _run_plan(path: Path) -> bool:
    from danvan.rules.errors import Rejected
    from danvan.tasks.plan import record_cycle

    try:
        return record_cycle(str(path), ISSUE_AT).created
    except Rejected:
        return False


def _run_criteria(path: Path) -> bool:
    """The criteria file is read through the plan that names it."""
    plan = path.parent / "plan-for-criteria.yaml"
    plan.write_bytes(_dump(PLAN | {"criteria": path.name}, "yaml"))
    return _run_plan(plan)


def _run_submission(path: Path) -> bool:
    from danvan.tasks.intake import record_one

    result = record_one(str(path), SUBMIT_AT)  # never raises: a rejection is a FileResult
    assert result.accepted or result.problems, "rejected without a reason"
    for p in result.problems:
        assert p["code"] and p["message"] and "Traceback" not in p["message"]
    return result.accepted and not result.duplicate


def _run_appraisal(path: Path) -> bool:
    from danvan.rules.errors import Rejected
    from danvan.tasks.appraise import record_appraisal

    try:
        record_appraisal(str(path), APPRAISE_AT)
    except Rejected:
        return False
    return True


def _follower(folder: Path) -> list[Path]:
    path = folder / "follower.yaml"
    path.write_bytes(_dump(submission_doc("TST.SNV", 35.5), "yaml"))
    return [path]


for _syntax in ("yaml", "json"):
    register(
        InputKind(
            f"org-{_syntax}",
            _prepare_org,
            lambda s=_syntax: [(f"org.{s}", _dump(_org_doc(), s))],
            _run_org,
            recheck_org,
            syntax=_syntax,
        )
    )
    register(
        InputKind(
            f"submission-{_syntax}",
            _prepare_cycle,
            lambda s=_syntax: [
                (f"x01.{s}", _dump(submission_doc(), s)),
                (f"snv.{s}", _dump(submission_doc("TST.SNV", 50), s)),
            ],
            _run_submission,
            recheck_submissions,
            followers=_follower,
            syntax=_syntax,
        )
    )
register(
    InputKind(
        "plan",
        _prepare_org,
        lambda: [("plan.yaml", _dump(PLAN, "yaml"))],
        _run_plan,
        recheck_cycle,
    )
)
register(
    InputKind(
        "criteria",
        _prepare_org,
        lambda: [("criteria.yaml", _dump(CRITERIA, "yaml"))],
        _run_criteria,
        recheck_cycle,
    )
)
register(
    InputKind(
        "appraisal",
        _prepare_submitted,
        lambda: [("tham-dinh.yaml", _dump(APPRAISAL, "yaml"))],
        _run_appraisal,
        recheck_adjustments,
    )
)
