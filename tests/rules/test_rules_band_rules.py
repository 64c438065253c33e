"""Band rules as data and criteria that do not apply (SPEC §3.2): table tests on the pure rules."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from danvan.rules import scoring
from danvan.rules.compilation import UnitInput, build_summary
from danvan.rules.criteria import parse_criteria
from danvan.rules.criteria_store import criteria_from_dict, criteria_to_dict
from danvan.rules.domain import NOT_RANKED, OrgUnit, TopBandQuota
from danvan.rules.ranking import RankedUnit, apply_top_band_quota, quota_limit, quota_moves
from tests.helpers.rules import BAND_RULES_CRITERIA, criteria, rejects


def test_every_rule_is_read_and_round_trips() -> None:
    cs = criteria(not_applicable="rescale")
    assert cs.zero_criterion_caps_band == "Khá"
    assert cs.rules.penalty_caps_band == (5.0, "Trung bình")
    assert cs.rules.late_caps_band == (10, "Khá")
    assert cs.rules.missing_band == "Yếu" and cs.rules.top_band_quota == TopBandQuota(0.2)
    assert cs.criteria[1].not_applicable_allowed and cs.criteria[2].kinds == ("commune",)
    assert [c.code for c in cs.criteria_for_kind("department")] == ["1", "2"]
    assert criteria_from_dict(criteria_to_dict(cs)) == cs
    assert criteria(rules=[{"missing_band": "Không xếp loại"}]).rules.missing_band == NOT_RANKED


@pytest.mark.parametrize(
    ("rules", "code", "field"),
    [
        ([{"penalty_caps_band": {"min_penalty": 5, "band": "Xuất sắc"}}], "unknown_band",
         "rules[0].penalty_caps_band.band"),
        ([{"penalty_caps_band": {"min_penalty": -1, "band": "Khá"}}], "invalid_rule",
         "rules[0].penalty_caps_band.min_penalty"),
        ([{"late_caps_band": {"days": 2.5, "band": "Khá"}}], "invalid_rule",
         "rules[0].late_caps_band.days"),
        ([{"late_caps_band": {"days": 3, "band": "Khá", "x": 1}}], "unknown_field", None),
        ([{"missing_band": "Loại D"}], "unknown_band", "rules[0].missing_band"),
        ([{"top_band_quota": 0}], "invalid_rule", "rules[0].top_band_quota"),
        ([{"top_band_quota": 1.5}], "invalid_rule", "rules[0].top_band_quota"),
        ([{"top_band_quota": 0.2}, {"top_band_quota": 0.3}], "duplicate_rule", None),
        ([{"top_band_quota": {"share": 0.2, "round": "half"}}], "invalid_rule",
         "rules[0].top_band_quota.round"),
        ([{"top_band_quota": {"share": 2}}], "invalid_rule", "rules[0].top_band_quota.share"),
        ([{"top_band_quota": {"share": 0.2, "at_least_one": "mot"}}], "invalid_rule",
         "rules[0].top_band_quota.at_least_one"),
        ([{"top_band_quota": {"share": 0.2, "scope": "x"}}], "invalid_rule", "rules[0].top_band_quota.scope"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused(rules: list, code: str, field: str | None) -> None:
    rejects(lambda: criteria(rules=rules), code, field)


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("not_applicable", "half", "invalid_not_applicable"),
        ("groups.0.criteria.0.not_applicable_allowed", "có", "not_boolean"),
        ("groups.0.criteria.0.kinds", ["xã"], "invalid_kind"),
    ],
)
def test_bad_not_applicable_and_kinds_are_refused(key: str, value: object, code: str) -> None:
    doc = copy.deepcopy(BAND_RULES_CRITERIA)
    if key == "not_applicable":
        doc[key] = value
    else:
        doc["groups"][0]["criteria"][0][key.rsplit(".", 1)[1]] = value
    rejects(lambda: parse_criteria(doc, "c.yaml"), code)


# --- N/A methods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kind", "scores", "na", "bonus", "penalty", "expected"),
    [
        # full_marks: the N/A criterion counts at its max (30)
        ("full_marks", "department", {"1": 35}, ["2"], 0, 0, 65.0),
        ("full_marks", "commune", {"1": 35, "3": 20}, ["2"], 2, 1, 86.0),
        ("full_marks", "department", {"1": 35, "2": 20}, [], 0, 0, 55.0),
        # rescale: earned ÷ applicable max × 100, rounded half-up to 2 places, then bonus − penalty
        ("rescale", "department", {"1": 35}, ["2"], 0, 0, 87.5),           # 35/40
        ("rescale", "commune", {"1": 35, "3": 20}, ["2"], 2, 1, 79.57),    # 55/70 = 78.571… → 78.57
        ("rescale", "department", {"1": 35, "2": 20}, [], 0, 0, 78.57),    # 55/70
        ("rescale", "commune", {"1": 40, "2": 30, "3": 30}, [], 5, 0, 105.0),
        ("rescale", "department", {}, ["2"], 0, 0, 0.0),                   # 0/40
    ],
)  # fmt: skip
def test_not_applicable_methods(  # type: ignore[no-untyped-def]
    method, kind, scores, na, bonus, penalty, expected
) -> None:
    cs = criteria(not_applicable=method)
    assert scoring.unit_total(cs, scores, bonus, penalty, na, kind) == expected


def test_rescale_with_every_criterion_not_applicable_is_full() -> None:
    cs = criteria(not_applicable="rescale", groups=[
        {"code": "I", "name": "Một", "criteria": [
            {"code": "2", "name": "Khiếu nại", "max": 100, "not_applicable_allowed": True}]}])  # fmt: skip
    assert scoring.unit_total(cs, {}, 0, 0, ["2"], "commune") == 100.0


def test_an_appraisal_scoring_an_na_criterion_makes_it_count() -> None:
    final, _, _ = scoring.final_scores({"1": 35}, 0, 0, {"2": 10})
    assert final == {"1": 35, "2": 10}


# --- band caps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "zeros", "penalty", "days_late", "band", "rules"),
    [
        (95, 0, 0, 0, "Tốt", ()),
        (95, 1, 0, 0, "Khá", ("zero_criterion_caps_band",)),
        (75, 1, 0, 0, "Khá", ()),  # already Khá: the rule changed nothing, it is not named
        (95, 0, 5, 0, "Trung bình", ("penalty_caps_band",)),
        (95, 0, 4.75, 0, "Tốt", ()),
        (60, 0, 6, 0, "Trung bình", ()),
        (95, 0, 0, 11, "Khá", ("late_caps_band",)),
        (95, 0, 0, 10, "Tốt", ()),  # late by *more than* 10 days
        (95, 1, 5, 11, "Trung bình",
         ("zero_criterion_caps_band", "penalty_caps_band", "late_caps_band")),
        (40, 1, 8, 20, "Yếu", ()),
    ],
)  # fmt: skip
def test_band_caps(total, zeros, penalty, days_late, band, rules) -> None:  # type: ignore[no-untyped-def]
    got = scoring.decide_band(
        total, criteria(), zero_count=zeros, penalty=penalty, days_late=days_late
    )
    assert (got.band, got.rules) == (band, rules)


# --- quota --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranked", "quota", "limit"),
    [
        # down: the old floor
        (4, TopBandQuota(0.2, "down"), 0), (5, TopBandQuota(0.2, "down"), 1),
        (9, TopBandQuota(0.2, "down"), 1), (10, TopBandQuota(0.2, "down"), 2),
        (3, TopBandQuota(1, "down"), 3), (10, TopBandQuota(0.3, "down"), 3),
        (7, TopBandQuota(0.15, "down"), 1),
        # nearest (default), half up: 7 × 0,2 = 1,4 → 1; 5 × 0,5 = 2,5 → 3; 1 × 0,5 = 0,5 → 1
        (7, TopBandQuota(0.2), 1), (5, TopBandQuota(0.5), 3), (1, TopBandQuota(0.5), 1),
        (2, TopBandQuota(0.2), 0), (4, TopBandQuota(0.2), 1), (8, TopBandQuota(0.2), 2),
        # up: 7 × 0,2 = 1,4 → 2; 10 × 0,2 = 2 stays 2
        (7, TopBandQuota(0.2, "up"), 2), (10, TopBandQuota(0.2, "up"), 2),
        # at least one unit per compiler (when any is ranked)
        (2, TopBandQuota(0.2, "down", True), 1), (0, TopBandQuota(0.2, "down", True), 0),
        (10, TopBandQuota(0.2, "down", True), 2),
    ],
)  # fmt: skip
def test_quota_count_is_rounded_as_the_rule_says(
    ranked: int, quota: TopBandQuota, limit: int
) -> None:
    assert quota_limit(quota, ranked) == limit


def test_quota_as_a_mapping_round_trips() -> None:
    rule = {"share": 0.2, "round": "up", "at_least_one": True}
    cs = criteria(rules=[{"top_band_quota": rule}])
    assert cs.rules.top_band_quota == TopBandQuota(0.2, "up", True)
    assert criteria_to_dict(cs)["rules"] == [{"top_band_quota": rule}]
    assert criteria_from_dict(criteria_to_dict(cs)) == cs


@pytest.mark.parametrize(
    ("bands", "moved"),
    [
        (["Tốt", "Tốt", "Khá", "Khá", "Khá"], {"U2": "Khá"}),  # 5 units × 0.2 → 1 keeps Tốt
        (["Tốt", "Khá", "Khá", "Khá", "Khá"], {}),
        (["Khá", "Tốt", "Tốt", "Khá", "Tốt"], {"U3": "Khá", "U5": "Khá"}),  # in ranking order
        (["Tốt", "Tốt", "Tốt", "Tốt"], {f"U{i}": "Khá" for i in range(2, 5)}),  # 4 × 0,2 → 1
    ],
)
def test_quota_moves_the_rest_down_one_band(bands: list[str], moved: dict) -> None:
    ordered = [(f"U{i}", b) for i, b in enumerate(bands, start=1)]
    assert quota_moves(ordered, criteria()) == moved


def test_quota_names_the_rule() -> None:
    at = datetime(2024, 11, 1, tzinfo=UTC)
    ranked = [RankedUnit(f"U{i}", 95 - i, "Tốt", i, 0, at) for i in range(1, 6)]
    got = apply_top_band_quota(ranked, lambda code: criteria())
    assert [(r.band, r.rules) for r in got] == [("Tốt", ())] + [("Khá", ("top_band_quota",))] * 4
    assert apply_top_band_quota(ranked, lambda code: criteria(rules=[])) == ranked


def test_quota_counts_a_compiler_s_units_together_across_sets() -> None:
    """Seven units of one district, four under the commune set and three under the offices' set
    (same 20 % rule, same bands): 7 × 0,2 = 1,4 → one Tốt for the district, not 0 + 0 as a
    count per set would give (4 × 0,2 → 1 and 3 × 0,2 → 1 with nearest, 0 and 0 with floor)."""
    at = datetime(2024, 11, 1, tzinfo=UTC)
    ranked = [RankedUnit(f"U{i}", 99 - i, "Tốt", i, 0, at) for i in range(1, 8)]
    communes = criteria(code="R-XA", rules=[{"top_band_quota": {"share": 0.2, "round": "down"}}])
    offices = criteria(code="R-PB", rules=[{"top_band_quota": {"share": 0.2, "round": "down"}}])
    got = apply_top_band_quota(ranked, lambda code: communes if code in "U1 U3 U5 U7" else offices)
    assert [r.band for r in got] == ["Tốt"] + ["Khá"] * 6
    # a one-unit compiler at 91,25 under a 50 % quota keeps Tốt (0,5 rounds to 1)
    one = [RankedUnit("X", 91.25, "Tốt", 1, 0, at)]
    half = criteria(rules=[{"top_band_quota": 0.5}])
    assert apply_top_band_quota(one, lambda code: half) == one


# --- missing_band in the summary ----------------------------------------------------------------


def _unit(code: str, total: float | None) -> UnitInput:
    at = datetime(2024, 11, 1, tzinfo=UTC)
    if total is None:
        return UnitInput(code=code, name=code, kind="department", status="missing")
    return UnitInput(code=code, name=code, kind="department", status="on_time", submitted_at=at,
                     self_total=total, final_total=total, band="Khá", figures={})  # fmt: skip


@pytest.mark.parametrize(("missing_band", "band", "counted"), [("Yếu", "Yếu", 1),
                                                              ("không xếp loại", NOT_RANKED, 0)])  # fmt: skip
def test_missing_units_are_ranked_in_the_named_band(
    missing_band: str, band: str, counted: int
) -> None:
    cs = criteria(rules=[{"missing_band": missing_band}])
    s = build_summary(
        compiler=OrgUnit("P", "Tỉnh", "province"),
        cycle_year=2024,
        units=[_unit("P.A", 80), _unit("P.B", None)],
        direct={"P.A", "P.B"},
        previous=None,
        criteria_by_kind={"default": cs},
    )
    assert s["ranking"][-1] == {"unit": "P.B", "total": None, "band": band, "rank": None,
                                "rules": ["missing_band"]}  # fmt: skip
    assert s["bands"].get("Yếu", 0) == counted and s["missing"] == ["P.B"]


@pytest.mark.parametrize(
    ("missing_band", "banded", "verdict", "label"),
    [
        ("Yếu", "03", "xếp loại Yếu", "Chưa nộp — xếp loại Yếu"),
        ("không xếp loại", "02", "không xếp loại", "Chưa nộp — không xếp loại"),
    ],
)
def test_a_missing_unit_tells_one_story(
    missing_band: str, banded: str, verdict: str, label: str
) -> None:
    """Issue 17: summary.json ranked a non-submitter Yếu while §IV counted 06 units ranked (its
    bands added to 07), §V said *chưa được xếp loại* and Phụ lục II *không xếp loại*. Now the
    count of §IV is the sum of the band counts, §IV and §V say the same thing, and the appendix
    and the workbook label come from the same function."""
    from danvan.rules.compilation import compile_cycle
    from danvan.rules.report import ranking_table
    from danvan.rules.report_sections import missing_section, ranking_section
    from danvan.rules.score_table import missing_band_label

    cs = criteria(rules=[{"missing_band": missing_band}])
    c = compile_cycle(
        compiler=OrgUnit("P", "Tỉnh", "province"),
        cycle_year=2024,
        units=[_unit("P.A", 80), _unit("P.C", 75), _unit("P.B", None)],
        direct={"P.A", "P.B", "P.C"},
        previous=None,
        criteria_by_kind={"default": cs},
    )
    assert c.banded == sum(c.summary["bands"].values()) == int(banded)
    section = " ".join(ranking_section(c, "Phụ lục II"))
    assert f"Tổng số đơn vị được xếp loại: {banded} đơn vị" in section
    assert f"Có 01 đơn vị không nộp báo cáo nên {verdict} theo quy định: P.B." in section
    five = " ".join(missing_section(c))
    assert "chưa được xếp loại" not in five
    assert ("như nêu tại mục IV" in five) == (missing_band == "Yếu")
    assert c.missing_band("P.B") == c.summary["ranking"][-1]["band"]
    assert missing_band_label(c.missing_band("P.B")) == label
    assert ranking_table(c).rows[-1][-1] == label


def test_group_points_use_the_unit_s_own_maxima() -> None:
    """Criterion 3 (max 30) is the communes' only: a department's group I is out of 70, a
    commune's out of 100."""
    cs = criteria()
    scores = {"1": 35, "2": 20, "3": 25}
    assert scoring.group_points(cs, scores, (), "department") == {"I": (55.0, 70.0)}
    assert scoring.group_points(cs, scores, (), "commune") == {"I": (80.0, 100.0)}
    # N/A counts as the total counts it: at its max in full (full_marks), left out (rescale)
    assert scoring.group_points(cs, {"1": 35, "3": 25}, ("2",), "commune") == {"I": (90.0, 100.0)}
    rescaled = criteria(not_applicable="rescale")
    assert scoring.group_points(rescaled, {"1": 35, "3": 25}, ("2",), "commune") == {
        "I": (60.0, 70.0)
    }
    assert scoring.na_arithmetic(rescaled, {"1": 35, "3": 25}, ("2",), "commune") == (
        "quy đổi thang 100: 60 ÷ 70 × 100 = 85,71"
    )
    assert scoring.na_arithmetic(cs, {"1": 35, "3": 25}, ("2",), "commune") == (
        "tính đủ điểm tối đa (30); điểm các tiêu chí = 90"
    )
    assert scoring.comparable_groups([{"I": 70.0}, {"I": 70.0}]) == {"I": 70.0}
    assert scoring.comparable_groups([{"I": 70.0}, {"I": 100.0}]) == {"I": None}


def test_plan_issue_warns_when_a_kind_cannot_reach_the_top_band() -> None:
    """Criterion 3 (30 points) is the communes' only: under full_marks a department reaches at
    most 40 + 30 + bonus 5 = 75 < 90 (Tốt); a commune 100 + 5; with rescale both reach 105."""
    from danvan.rules.band_reach import best_total, top_band_warnings

    cs = criteria()
    assert (best_total(cs, "department"), best_total(cs, "commune")) == (75.0, 105.0)
    warnings = top_band_warnings({"default": cs}, ["commune", "department"])
    assert warnings == [
        "Bộ tiêu chí R-1: đơn vị sở, ban, ngành đạt tối đa 75 điểm (kể cả điểm thưởng), không thể"
        " xếp loại Tốt (từ 90 điểm); xem lại 'kinds' hoặc dùng not_applicable: rescale"
        " [top_band_unreachable]."
    ]
    assert top_band_warnings({"default": criteria(not_applicable="rescale")}, ["department"]) == []
