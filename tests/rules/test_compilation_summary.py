"""summary.json as a value (SPEC §4.4): counts over the subtree, ranking over direct units."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from danvan.rules.compilation import UnitInput, assess_unit, build_summary, dumps_summary
from danvan.rules.domain import FIGURE_GROUPS, Band, CriteriaGroup, CriteriaSet, Criterion, OrgUnit

CRITERIA = CriteriaSet(
    code="T",
    name="Tiêu chí",
    groups=(
        CriteriaGroup("I", "Lãnh đạo, chỉ đạo", (Criterion("1", "Kế hoạch", 10, "I"),)),
        CriteriaGroup("II", "Thực hiện", (Criterion("2", "Kết quả", 90, "II"),)),
    ),
    bonus_max=5,
    penalty_max=10,
    bands=(Band("Tốt", 90), Band("Khá", 70), Band("Trung bình", 50), Band("Yếu", 0)),
    zero_criterion_caps_band="Khá",
)
T0 = datetime(2024, 11, 1, 1, tzinfo=UTC)
PROVINCE = OrgUnit(
    "P", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province", assessed=False, compiles=True
)
DISTRICT = OrgUnit("P.D", "Ủy ban nhân dân huyện Bình Sơn", "district", "P", compiles=True)


def unit(
    code: str,
    kind: str,
    s1: float = 10,
    s2: float = 80,
    *,
    status: str = "on_time",
    day: int = 0,
    figures: dict | None = None,
    adjustments: dict | None = None,
) -> UnitInput:
    org = OrgUnit(code, f"Đơn vị {code}", kind)
    return assess_unit(
        unit=org,
        criteria=CRITERIA,
        status=status,
        submitted_at=None if status == "missing" else T0 + timedelta(days=day),
        days_late=3 if status == "late" else 0,
        scores=None if status == "missing" else {"1": s1, "2": s2},
        figures=figures or {},
        adjustments=adjustments,
    )


def summary(units: list[UnitInput], direct: set[str], previous=None, compiler=PROVINCE) -> dict:
    return build_summary(
        compiler=compiler,
        cycle_year=2024,
        units=units,
        direct=direct,
        previous=previous,
        criteria_by_kind={"default": CRITERIA},
    )


def adm(received: int, online: int, resolved: int, on_time: int) -> dict:
    return {"admin_procedures": {"received": received, "online": online, "resolved": resolved,
                                 "on_time": on_time, "overdue": resolved - on_time}}  # fmt: skip


MIXED = [
    unit("P.S1", "department", 10, 85, figures=adm(100, 50, 90, 90)),
    unit("P.D", "district", 10, 70, status="late", figures=adm(3697, 3018, 3320, 3306)),
    unit("P.D.X1", "commune", 0, 90, figures=adm(10, 5, 10, 9)),  # 90 points, a 0 → Khá
    unit("P.D.X2", "commune", status="missing"),
    unit("P.S2", "department", status="missing"),
]
DIRECT = {"P.S1", "P.D", "P.S2"}


def test_keys_are_exactly_the_specs_in_its_order() -> None:
    s = summary(MIXED, DIRECT)
    assert list(s) == ["compiler", "cycle", "expected", "submitted", "on_time", "late", "missing",
                       "figures", "rates", "by_kind", "ranking", "bands", "previous_year",
                       "not_reported", "revising", "warnings"]  # fmt: skip
    assert (s["compiler"], s["cycle"]) == ("P", 2024)
    # the units gave administrative procedures only: the other groups are not reported (issue 17)
    assert s["not_reported"] == {
        "figures": ["citizen_reception", "petitions", "staff_complaints", "mediation", "models"],
        "previous_year": [],
    }
    full = [unit("P.S1", "department", 10, 85, figures={g: dict.fromkeys(f, 0)
                                                         for g, f in FIGURE_GROUPS.items()})]  # fmt: skip
    assert "not_reported" not in summary(full, DIRECT)  # a 0 given is a figure: key left out


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("expected", 5),
        ("submitted", 3),
        ("on_time", 2),
        ("late", 1),
        ("missing", ["P.D.X2", "P.S2"]),
        ("ranking", [{"unit": "P.S1", "total": 95.0, "band": "Tốt", "rank": 1, "rules": []},
                     {"unit": "P.D", "total": 80.0, "band": "Khá", "rank": 2, "rules": []}]),
        ("bands", {"Tốt": 1, "Khá": 1, "Trung bình": 0, "Yếu": 0}),
        ("previous_year", None),
    ],
)  # fmt: skip
def test_mixed_tiers_counts_over_subtree_ranking_over_direct(key: str, expected: object) -> None:
    assert summary(MIXED, DIRECT)[key] == expected


def test_figures_and_by_kind_lines() -> None:
    s = summary(MIXED, DIRECT)
    assert s["figures"]["admin_procedures"]["received"] == 100 + 3697 + 10
    assert list(s["by_kind"]) == ["department", "district", "commune"]
    district = s["by_kind"]["district"]
    assert district["figures"]["admin_procedures"]["online"] == 3018
    assert district["rates"]["admin_on_time"] == 3306 / 3320
    assert s["by_kind"]["commune"]["figures"]["admin_procedures"]["received"] == 10


def test_by_kind_names_the_groups_none_of_a_kinds_submitters_gave() -> None:
    """Issue 17 per kind: a kind's 0 nobody of that kind gave is *chưa báo cáo*, never 0; the
    key is there only when some group is missing, as at the top."""
    full = {g: dict.fromkeys(f, 1) for g, f in FIGURE_GROUPS.items()}
    units = [
        unit("P.S1", "department", figures=adm(100, 50, 90, 90)),
        unit("P.S2", "department", figures={"mediation": {"received": 4, "successful": 3,
                                                          "unsuccessful": 1}}),
        unit("P.D", "district", figures=full),
        unit("P.D.X1", "commune", figures=full),
        unit("P.D.X2", "commune", status="missing"),  # a missing unit's nothing is no gap
        unit("P.W", "agency", status="missing"),  # nobody of the kind sent: every group missing
    ]  # fmt: skip
    s = summary(units, {"P.S1", "P.S2", "P.D", "P.W"})
    kinds = s["by_kind"]
    assert kinds["department"]["not_reported"] == {
        "figures": ["citizen_reception", "petitions", "staff_complaints", "models"],
    }
    assert kinds["department"]["figures"]["petitions"]["received"] == 0  # summed as 0, named
    assert "not_reported" not in kinds["district"] and "not_reported" not in kinds["commune"]
    assert kinds["agency"]["not_reported"] == {"figures": list(FIGURE_GROUPS)}
    assert list(kinds["department"]) == ["figures", "rates", "not_reported"]
    # the top level is over every submitter: each group was given by someone
    assert "not_reported" not in s


def test_zero_criterion_caps_the_band_to_kha() -> None:
    s = summary(MIXED, {"P.D.X1"}, compiler=DISTRICT)
    assert s["ranking"] == [
        {"unit": "P.D.X1", "total": 90.0, "band": "Khá", "rank": 1,
         "rules": ["zero_criterion_caps_band"]}
    ]  # fmt: skip


def test_equal_totals_follow_the_tie_order() -> None:
    units = [
        unit("C", "commune", 10, 80, day=0),
        unit("B", "commune", 10, 80, day=1),  # same total, later submission
        unit("A", "commune", 10, 80, day=0),  # same total and time: code decides
        unit("Z", "commune", 0, 90, day=0),  # same total, a criterion at 0
    ]
    ranking = summary(units, {"A", "B", "C", "Z"})["ranking"]
    assert [(r["unit"], r["rank"]) for r in ranking] == [("A", 1), ("C", 2), ("B", 3), ("Z", 4)]


def test_appraisal_changes_the_total_used_for_ranking() -> None:
    units = [unit("A", "commune", 10, 85), unit("B", "commune", 10, 80)]
    units[0] = unit("A", "commune", 10, 85, adjustments={"2": (70, "Thiếu minh chứng")})
    ranking = summary(units, {"A", "B"})["ranking"]
    assert [(r["unit"], r["total"]) for r in ranking] == [("B", 90.0), ("A", 80.0)]
    assert units[0].reasons == {"2": "Thiếu minh chứng"} and units[0].self_total == 95.0


def test_rates_are_null_on_zero_denominators() -> None:
    s = summary([unit("A", "commune", figures={})], {"A"})
    assert s["rates"] == dict.fromkeys(
        ["mediation_success", "admin_on_time", "admin_online", "petitions_resolved"]
    )
    assert s["by_kind"]["commune"]["rates"]["admin_online"] is None


def test_previous_year_summed_when_present() -> None:
    previous = [{"petitions": {"received": 40}}, {"petitions": {"received": 33}}]
    s = summary(MIXED, DIRECT, previous=previous)
    assert s["previous_year"]["petitions"]["received"] == 73
    assert s["previous_year"]["mediation"] == {"received": 0, "successful": 0, "unsuccessful": 0}
    assert summary(MIXED, DIRECT, previous=[])["previous_year"]["petitions"]["received"] == 0


def test_compiler_is_counted_when_assessed_but_not_ranked_by_itself() -> None:
    units = [unit("P.D", "district"), unit("P.D.X1", "commune")]
    s = summary(units, {"P.D.X1"}, compiler=DISTRICT)
    assert s["expected"] == 2
    assert [r["unit"] for r in s["ranking"]] == ["P.D.X1"]


def test_a_unit_is_counted_once() -> None:
    with pytest.raises(ValueError, match="counted once"):
        summary([unit("A", "commune"), unit("A", "commune")], {"A"})


def test_dumps_is_deterministic_utf8_json_with_newline() -> None:
    text = dumps_summary(summary(MIXED, DIRECT))
    again = dumps_summary(summary(list(MIXED), set(DIRECT)))
    assert text == again and text.endswith("}\n")
    assert '"Tốt"' in text  # not \u-escaped
    assert json.loads(text)["rates"]["admin_online"] == (50 + 3018 + 5) / (100 + 3697 + 10)


def test_thap_muoi_levels_from_seed_001() -> None:
    """Seed 001, footnote 4: the district level and the communes split across three units."""
    district = unit("TM", "district", figures=adm(3697, 3018, 3320, 3306))
    communes = [
        unit("TM.X1", "commune", figures=adm(10000, 7000, 9800, 9780)),
        unit("TM.X2", "commune", figures=adm(10000, 7000, 9700, 9680)),
        unit("TM.X3", "commune", figures=adm(9264, 6607, 8889, 8866)),
    ]
    s = summary([district, *communes], {"TM.X1", "TM.X2", "TM.X3"}, compiler=DISTRICT)
    assert s["by_kind"]["commune"]["figures"]["admin_procedures"] == {
        "received": 29264, "online": 20607, "resolved": 28389, "on_time": 28326, "overdue": 63}  # fmt: skip
    assert s["by_kind"]["district"]["figures"]["admin_procedures"]["received"] == 3697
    assert s["figures"]["admin_procedures"]["received"] == 29264 + 3697
