"""Submissions: the envelope, every score and figure rule of SPEC §3.4, and who may submit."""

from __future__ import annotations

import copy
import io
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from danvan.rules.domain import (
    FIGURE_GROUPS,
    Band,
    CriteriaGroup,
    CriteriaSet,
    Criterion,
    OrgUnit,
)
from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.submission import check_submission_context, parse_submission
from danvan.rules.submission_checks import check_submission
from tests.helpers.rules import rejects

CRITERIA = CriteriaSet(
    code="T-1",
    name="Tiêu chí thử",
    groups=(
        CriteriaGroup("I", "Lãnh đạo, chỉ đạo",
                      (Criterion("1", "Kế hoạch", 10, "I"), Criterion("2", "Phân công", 5, "I"))),
        CriteriaGroup("II", "Kết quả", (Criterion("3.1", "Tiếp công dân", 85, "II"),)),
    ),
    bonus_max=5,
    penalty_max=10,
    bands=(Band("Tốt", 90), Band("Khá", 70), Band("Yếu", 0)),
)  # fmt: skip

VALID: dict[str, Any] = {
    "unit": "QNG.BSN.X07",
    "year": 2024,
    "submitted_by": "Chánh Văn phòng UBND xã",
    "scores": {"1": 9.5, "2": 5, "3.1": 80.25},
    "bonus": 2,
    "penalty": 0,
    "figures": {
        "citizen_reception": {"regular_sessions": 442, "regular_people": 448,
                              "periodic_sessions": 79, "periodic_people": 79,
                              "cases": 442, "group_cases": 0},
        "petitions": {"received": 79, "in_jurisdiction": 79, "resolved": 77, "outstanding": 2},
        "staff_complaints": {"received": 0, "in_jurisdiction": 0, "resolved": 0, "outstanding": 0},
        "mediation": {"received": 112, "successful": 107, "unsuccessful": 5},
        "admin_procedures": {"received": 3697, "online": 3018, "resolved": 3320,
                             "on_time": 3306, "overdue": 14},
        "models": {"registered": 2, "recognised": 1},
    },
    "report_file": "bao-cao-dan-van-2024.docx",
}  # fmt: skip


def _with(path: str, value: object, base: dict | None = None) -> dict:
    doc = copy.deepcopy(VALID if base is None else base)
    *parents, last = path.split(".", 2) if path.startswith("figures") else path.split(".", 1)
    target = doc
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return doc


def _check(doc: dict) -> None:
    check_submission(parse_submission(doc, "s.yaml"), criteria=CRITERIA)


def test_valid_submission_passes() -> None:
    sub = parse_submission(VALID, "s.yaml")
    check_submission(sub, criteria=CRITERIA)
    assert sub.scores == {"1": 9.5, "2": 5.0, "3.1": 80.25}
    assert sub.bonus == 2 and sub.report_file == "bao-cao-dan-van-2024.docx"


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        (["unit"], "not_a_mapping", ""),
        (_with("unit", ...), "missing_field", "unit"),
        (_with("unit", True), "not_text", "unit"),
        (_with("year", "2024"), "invalid_year", "year"),
        (_with("year", ...), "missing_field", "year"),
        (_with("submitted_by", ""), "missing_field", "submitted_by"),
        (_with("scores", ...), "missing_field", "scores"),
        (_with("scores", [9.5, 5]), "not_a_mapping", "scores"),
        (_with("figures", ...), "missing_field", "figures"),
        (_with("figures", [1]), "not_a_mapping", "figures"),
        (_with("report_file", "../../etc/passwd"), "invalid_path", "report_file"),
        (_with("report_file", "/tmp/x.docx"), "invalid_path", "report_file"),
        (_with("report_file", 5), "not_text", "report_file"),
        (_with("signature", "x"), "unknown_field", "signature"),
    ],
)
def test_parse_rejects(doc: object, code: str, field: str) -> None:
    rejects(lambda: parse_submission(doc, "s.yaml"), code, field)


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        (_with("scores.2", ...), "criterion_missing", "scores.2"),
        (_with("scores.9", 1), "unknown_criterion", "scores.9"),
        (_with("scores.1", "chín"), "score_not_number", "scores.1"),
        (_with("scores.1", "9,3"), "score_off_step", "scores.1"),  # read as 9.3, as a workbook
        (_with("scores.1", "1e1"), "score_not_number", "scores.1"),
        (_with("scores.1", True), "score_not_number", "scores.1"),
        (_with("scores.1", None), "score_not_number", "scores.1"),
        (_with("scores.1", float("nan")), "score_not_number", "scores.1"),
        (_with("scores.1", -0.25), "score_out_of_range", "scores.1"),
        (_with("scores.1", 10.25), "score_out_of_range", "scores.1"),
        (_with("scores.1", 9.3), "score_off_step", "scores.1"),
        (_with("scores.1", 9.125), "score_off_step", "scores.1"),
        (_with("bonus", 5.25), "bonus_out_of_range", "bonus"),
        (_with("bonus", -1), "bonus_out_of_range", "bonus"),
        (_with("bonus", 0.1), "score_off_step", "bonus"),
        (_with("penalty", 11), "penalty_out_of_range", "penalty"),
        (_with("penalty", "hai"), "score_not_number", "penalty"),
        (_with("figures.votes", {"x": 1}), "unknown_figure_group", "figures.votes"),
        (_with("figures.models", [2, 1]), "not_a_mapping", "figures.models"),
        (_with("figures.models.awarded", 1), "unknown_field", "figures.models.awarded"),
        (_with("figures.models.recognised", ...), "figure_missing", "figures.models.recognised"),
        (_with("figures.models.recognised", None), "figure_missing", "figures.models.recognised"),
        (_with("figures.mediation.received", 3.5), "figure_not_integer", "figures.mediation.received"),
        (_with("figures.mediation.received", "112"), "figure_not_integer",
         "figures.mediation.received"),
        (_with("figures.mediation.received", True), "figure_not_integer",
         "figures.mediation.received"),
        (_with("figures.models.registered", -1), "figure_negative", "figures.models.registered"),
        (_with("figures.admin_procedures.received", 10_000_001), "figure_too_large",
         "figures.admin_procedures.received"),
    ],
)  # fmt: skip
def test_check_rejects(doc: dict, code: str, field: str) -> None:
    rejects(lambda: _check(doc), code, field)


def _group(group: str, **values: int) -> dict:
    return _with(f"figures.{group}", {**VALID["figures"][group], **values})


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (_group("petitions", resolved=80, outstanding=0), "figures.petitions.resolved"),
        (_group("petitions", in_jurisdiction=80, outstanding=3), "figures.petitions.in_jurisdiction"),
        (_group("petitions", outstanding=1), "figures.petitions.outstanding"),
        (_group("staff_complaints", resolved=1), "figures.staff_complaints.resolved"),
        (_group("staff_complaints", in_jurisdiction=2, outstanding=2),
         "figures.staff_complaints.in_jurisdiction"),
        (_group("staff_complaints", received=3, in_jurisdiction=3),
         "figures.staff_complaints.outstanding"),
        (_group("mediation", unsuccessful=6), "figures.mediation.successful"),
        (_group("admin_procedures", online=3698), "figures.admin_procedures.online"),
        (_group("admin_procedures", overdue=15), "figures.admin_procedures.on_time"),
        (_group("models", recognised=3), "figures.models.recognised"),
    ],
)  # fmt: skip
def test_impossible_figures_are_rejected(doc: dict, field: str) -> None:
    rejects(lambda: _check(doc), "figure_inconsistent", field)


def test_every_problem_is_reported_at_once() -> None:
    doc = _with("scores.2", ...)
    doc = _with("scores.1", 11, doc)
    doc = _with("figures.models", {"registered": 1, "recognised": 2}, doc)
    doc = _with("penalty", 0.3, doc)
    with pytest.raises(Rejected) as info:
        _check(doc)
    assert [(p.code, p.field) for p in info.value.problems] == [
        ("score_out_of_range", "scores.1"),
        ("criterion_missing", "scores.2"),
        ("score_off_step", "penalty"),
        ("figure_inconsistent", "figures.models.recognised"),
    ]


def test_missing_groups_are_not_reported_and_whole_floats_are_counts() -> None:
    """Issue 17: a group left out is *not reported* (kept out, not stored as zeros)."""
    doc = _with("figures", {"models": {"registered": 2.0, "recognised": 1}})
    sub = parse_submission(_with("bonus", ..., doc), "s.yaml")
    check_submission(sub, criteria=CRITERIA)
    assert sub.figures["models"] == {"registered": 2, "recognised": 1}
    assert isinstance(sub.figures["models"]["registered"], int)
    assert set(sub.figures) == {"models"} and sub.bonus == 0


def test_yaml_criterion_written_twice_or_as_number() -> None:
    text = "unit: A\nyear: 2024\nsubmitted_by: B\nfigures: {}\nscores:\n  1: 5\n  2: 5\n"
    assert parse_submission(load_document("s.yaml", text.encode()), "s.yaml").scores == {
        "1": 5.0, "2": 5.0,
    }  # fmt: skip
    twice = text + '  "1": 6\n'
    rejects(lambda: load_document("s.yaml", twice.encode()), "criterion_duplicated", "scores.1")
    rejects(lambda: parse_submission({**VALID, "scores": {1: 5, "1": 6}}, "s"),
            "criterion_duplicated", "scores.1")  # fmt: skip


def test_xlsx_key_value_rows() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Key", "Label", "Value"])
    for key, value in [
        ("unit", "QNG.BSN.X07"),
        ("year", 2024),
        ("submitted_by", "Chủ tịch"),
        ("scores.1", 10),
        ("scores.2", 4.75),
        ("scores.3.1", 80),
        ("figures.models.registered", 3),
        ("figures.models.recognised", 1),
    ]:
        sheet.append([key, "nhãn", value])
    buf = io.BytesIO()
    book.save(buf)
    sub = parse_submission(load_document("s.xlsx", buf.getvalue()), "s.xlsx")
    check_submission(sub, criteria=CRITERIA)
    assert sub.scores == {"1": 10, "2": 4.75, "3.1": 80}
    assert sub.figures["models"]["registered"] == 3


UNIT = OrgUnit(code="QNG.BSN.X07", name="UBND xã Bình Thạnh", kind="commune", parent="QNG.BSN")
SUB = parse_submission(VALID, "s.yaml")


@pytest.mark.parametrize(
    ("unit", "year", "published", "code", "field"),
    [
        (None, 2024, False, "unknown_unit", "unit"),
        (OrgUnit("QNG.BSN.X07", "Xã cũ", "commune", "QNG.BSN", active=False), 2024, False,
         "unit_inactive", "unit"),
        (OrgUnit("QNG", "UBND tỉnh", "province", assessed=False), 2024, False,
         "unit_not_assessed", "unit"),
        (UNIT, 2025, False, "wrong_year", "year"),
        (UNIT, 2024, True, "cycle_closed", ""),
    ],
)  # fmt: skip
def test_context_rejects(
    unit: OrgUnit | None, year: int, published: bool, code: str, field: str
) -> None:
    call = lambda: check_submission_context(SUB, unit=unit, cycle_year=year, published=published)  # noqa: E731
    rejects(call, code, field)


def test_context_accepts_an_active_assessed_unit() -> None:
    check_submission_context(SUB, unit=UNIT, cycle_year=2024, published=False)


def test_a_file_sent_before_the_plan_was_issued_is_refused() -> None:
    """SPEC §4.1: the plan's issue opens the cycle; from that instant on a file is taken."""
    from danvan.rules.timing import parse_instant

    issued = parse_instant("2024-02-17T09:00")
    call = lambda at: check_submission_context(  # noqa: E731
        SUB, unit=UNIT, cycle_year=2024, published=False, at=parse_instant(at), issued_at=issued
    )
    with pytest.raises(Rejected) as caught:
        call("2023-01-01")
    (problem,) = caught.value.problems
    assert problem.code == "before_plan" and problem.field == ""
    assert "00:00 ngày 01/01/2023" in problem.message and "09:00 ngày 17/02/2024" in problem.message
    rejects(lambda: call("2024-02-17T08:59"), "before_plan", "")
    call("2024-02-17T09:00")  # the very instant of the issue is taken


quarters = st.integers(0, 40).map(lambda n: n / 4)


@st.composite
def valid_figures(draw: st.DrawFn) -> dict[str, dict[str, int]]:
    n = st.integers(0, 100_000)
    received = draw(n)
    in_j = draw(st.integers(0, received))
    resolved = draw(st.integers(0, in_j))
    med = draw(n)
    ok = draw(st.integers(0, med))
    adm = draw(n)
    adm_resolved = draw(n)
    on_time = draw(st.integers(0, adm_resolved))
    reg = draw(n)
    pet = {"received": received, "in_jurisdiction": in_j, "resolved": resolved,
           "outstanding": in_j - resolved}  # fmt: skip
    return {
        "citizen_reception": {f: draw(n) for f in FIGURE_GROUPS["citizen_reception"]},
        "petitions": pet,
        "staff_complaints": dict(pet),
        "mediation": {"received": med, "successful": ok,
                      "unsuccessful": draw(st.integers(0, med - ok))},
        "admin_procedures": {"received": adm, "online": draw(st.integers(0, adm)),
                             "resolved": adm_resolved, "on_time": on_time,
                             "overdue": draw(st.integers(0, adm_resolved - on_time))},
        "models": {"registered": reg, "recognised": draw(st.integers(0, reg))},
    }  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    s1=st.integers(0, 40).map(lambda n: n / 4),
    s2=st.integers(0, 20).map(lambda n: n / 4),
    s3=st.integers(0, 340).map(lambda n: n / 4),
    bonus=st.integers(0, 20).map(lambda n: n / 4),
    penalty=quarters,
    figures=valid_figures(),
)
def test_any_valid_submission_passes(
    s1: float, s2: float, s3: float, bonus: float, penalty: float, figures: dict
) -> None:
    doc = {**VALID, "scores": {"1": s1, "2": s2, "3.1": s3}, "bonus": bonus,
           "penalty": penalty, "figures": figures}  # fmt: skip
    _check(doc)


_KEYS = st.sampled_from(["units", "code", "name", "kind", "parent", "contacts", "groups",
                         "criteria", "max", "bands", "min", "rules", "year", "deadlines",
                         "reminders", "unit", "scores", "figures", "petitions", "bonus",
                         "by", "adjustments", "score", "reason", "default", "1"])  # fmt: skip
_LEAF = (st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats() | st.text(max_size=4)
         | st.dates() | st.sampled_from(["QNG", "commune", "2024-11-10", "08:00", "Khá"]))  # fmt: skip
_ANY = st.recursive(
    _LEAF, lambda c: st.lists(c, max_size=4) | st.dictionaries(_KEYS, c, max_size=6), max_leaves=25
)


@settings(max_examples=150, deadline=None)
@given(doc=_ANY)
def test_any_shape_is_rejected_never_a_traceback(doc: object) -> None:
    from danvan.rules.appraisal import parse_appraisal
    from danvan.rules.criteria import parse_criteria
    from danvan.rules.org import check_tree, parse_org
    from danvan.rules.plan import parse_plan

    for parse in (parse_org, parse_criteria, parse_plan, parse_submission, parse_appraisal):
        try:
            value = parse(doc, "f.yaml")
            if parse is parse_submission:
                check_submission(value, criteria=CRITERIA)  # type: ignore[arg-type]
            if parse is parse_org:
                check_tree(value, {})  # type: ignore[arg-type]
        except Rejected as exc:
            assert exc.problems and all(p.code and p.message for p in exc.problems)


def test_a_decimal_comma_reads_the_same_in_yaml_as_in_a_workbook() -> None:
    """Issue 17: "4,5" was accepted in a workbook and refused in YAML; one reading now."""
    from danvan.rules import fields

    doc = parse_submission(_with("scores.1", "9,5"), "s.yaml")
    assert doc.scores["1"] == 9.5
    assert [fields.score(v) for v in ("4,5", "4.5", 4.5, "tám", True)] == [
        4.5,
        4.5,
        4.5,
        None,
        None,
    ]
