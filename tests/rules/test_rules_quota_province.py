"""``top_band_quota`` with ``scope: province`` (issue 17): one count over every ranked unit of the
province, decided when the province compiles; a district's top band is provisional until then.

Hand-worked province (one set, bands Tốt ≥ 90, Khá ≥ 70, Trung bình ≥ 50; quota 20 %, province):
four departments S1 96, S2 88, S3 91, S4 75; districts D1 93, D2 80; communes D1.X1 97, D1.X2 92
(under D1), D2.X1 94, D2.X2 60 (under D2). Ten ranked units, 10 × 0,2 = 2 keep Tốt province-wide.
Tốt by total, in ranking order: D1.X1 97, S1 96, D2.X1 94, D1 93, D1.X2 92, S3 91 (six). The first
two keep it; D2.X1, D1, D1.X2 and S3 move to Khá. Per compiler (the default) it would have been:
the province 6 × 0,2 = 1,2 → 1 (S1), D1 2 × 0,2 = 0,4 → 0, D2 0 — three Tốt lost in the districts
that the province-wide rule keeps for D1.X1.
"""

from __future__ import annotations

from datetime import UTC, datetime

from danvan.rules.compilation import UnitInput, build_summary, compile_cycle
from danvan.rules.criteria_store import criteria_from_dict, criteria_to_dict
from danvan.rules.domain import OrgUnit, TopBandQuota, UnitResult
from danvan.rules.quota import final_moves, province_counts
from danvan.rules.ranking import RankEntry, with_quota
from danvan.rules.report_sections import quota_lines, ranking_section
from danvan.rules.score_table import band_label
from tests.helpers.rules import criteria

AT = datetime(2024, 11, 8, 9, tzinfo=UTC)
RULE = {"share": 0.2, "scope": "province"}
TOTALS = {"P.S1": 96, "P.S2": 88, "P.S3": 91, "P.S4": 75, "P.D1": 93, "P.D2": 80,
          "P.D1.X1": 97, "P.D1.X2": 92, "P.D2.X1": 94, "P.D2.X2": 60}  # fmt: skip
COMPILER = {c: ("P" if c.count(".") == 1 else c.rsplit(".", 1)[0]) for c in TOTALS}
KIND = {c: ("commune" if c.count(".") == 2 else "district" if ".D" in c else "department")
        for c in TOTALS}  # fmt: skip
MOVED = ["P.D2.X1", "P.D1", "P.D1.X2", "P.S3"]


def _band(total: float) -> str:
    return "Tốt" if total >= 90 else "Khá" if total >= 70 else "Trung bình"


def _input(code: str) -> UnitInput:
    t = TOTALS[code]
    return UnitInput(code=code, name=f"Đơn vị {code}", kind=KIND[code], status="on_time",
                     submitted_at=AT, self_total=t, final_total=t, band=_band(t), figures={})  # fmt: skip


def test_scope_is_read_and_round_trips() -> None:
    cs = criteria(rules=[{"top_band_quota": RULE}])
    assert cs.rules.top_band_quota == TopBandQuota(0.2, scope="province")
    assert criteria_to_dict(cs)["rules"] == [
        {"top_band_quota": {"share": 0.2, "round": "nearest", "at_least_one": False,
                            "scope": "province"}}]  # fmt: skip
    assert criteria_from_dict(criteria_to_dict(cs)) == cs
    # a set without scope is stored as before (no new key)
    assert criteria_to_dict(criteria())["rules"][-1] == {"top_band_quota": 0.2}


def test_one_count_over_the_province() -> None:
    cs = criteria(rules=[{"top_band_quota": RULE}])
    entries = [RankEntry(c, t, _band(t), 0, AT) for c, t in TOTALS.items()]
    [count] = province_counts(entries, lambda code: cs, final=True)
    assert (count.ranked, count.keep) == (10, 2)
    assert count.held == ("P.D1.X1", "P.S1", "P.D2.X1", "P.D1", "P.D1.X2", "P.S3")
    assert count.moved == tuple(MOVED)
    assert final_moves([count]) == dict.fromkeys(MOVED, "Khá")
    # a district's count only names what it holds
    d1 = [e for e in entries if COMPILER[e.unit] == "P.D1"]
    [mine] = province_counts(d1, lambda code: cs, final=False)
    assert (mine.held, mine.moved, mine.keep) == (("P.D1.X1", "P.D1.X2"), (), None)
    # a compiler-scope quota is not counted here
    assert province_counts(entries, lambda code: criteria(), final=True) == []


def _compile(code: str, rule: object) -> object:
    cs = criteria(rules=[{"top_band_quota": rule}])
    tree = [c for c in TOTALS if c.startswith(code + ".")] if code != "P" else list(TOTALS)
    return compile_cycle(
        compiler=OrgUnit(code, f"Đơn vị {code}", "province" if code == "P" else "district"),
        cycle_year=2024,
        units=[_input(c) for c in tree],
        direct={c for c in tree if COMPILER[c] == code},
        previous=None,
        criteria_by_kind={"default": cs},
    )


def test_the_district_ranks_without_the_quota_and_says_so() -> None:
    c = _compile("P.D1", RULE)
    assert [(x["unit"], x["band"], x["rules"]) for x in c.summary["ranking"]] == [
        ("P.D1.X1", "Tốt", []), ("P.D1.X2", "Tốt", [])]  # fmt: skip
    assert c.summary["bands"]["Tốt"] == 2
    assert c.summary["top_band_quota"] == [
        {"scope": "province", "share": 0.2, "band": "Tốt", "lower": "Khá", "final": False,
         "ranked": 2, "keep": None, "held": ["P.D1.X1", "P.D1.X2"], "moved": []}]  # fmt: skip
    assert band_label(c, "P.D1.X1", "Tốt") == "Tốt (tạm thời)"
    assert quota_lines(c) == [
        "Xếp loại Tốt của 02 đơn vị là tạm thời: Đơn vị P.D1.X1, Đơn vị P.D1.X2; tỷ lệ không quá"
        " 20% số đơn vị được xếp loại Tốt được áp dụng trên toàn tỉnh, Sở Nội vụ xác định xếp"
        " loại cuối cùng khi tổng hợp, thẩm định cấp tỉnh."
    ]
    # the default scope: 2 × 0,2 = 0,4 → 0, both move down, nothing provisional
    per = _compile("P.D1", 0.2)
    assert [x["band"] for x in per.summary["ranking"]] == ["Khá", "Khá"]
    assert "top_band_quota" not in per.summary and quota_lines(per) == []


def test_the_province_carries_the_final_bands() -> None:
    c = _compile("P", RULE)
    got = [(x["unit"], x["total"], x["band"], x["rules"]) for x in c.summary["ranking"]]
    assert got == [
        ("P.S1", 96, "Tốt", []),
        ("P.D1", 93, "Khá", ["top_band_quota"]),
        ("P.S3", 91, "Khá", ["top_band_quota"]),
        ("P.S2", 88, "Khá", []),
        ("P.D2", 80, "Khá", []),
        ("P.S4", 75, "Khá", []),
    ]
    assert c.summary["bands"] == {"Tốt": 1, "Khá": 5, "Trung bình": 0, "Yếu": 0}
    [q] = c.summary["top_band_quota"]
    assert (q["final"], q["ranked"], q["keep"], q["moved"]) == (True, 10, 2, MOVED)
    assert [r.band for r in c.ranked] == [x[2] for x in got]  # the renderers' ranking agrees
    assert band_label(c, "P.S1", "Tốt") == "Tốt"
    lines = ranking_section(c, "Phụ lục II")
    assert (
        "Áp dụng tỷ lệ không quá 20% số đơn vị được xếp loại Tốt trên toàn tỉnh: 10 đơn vị được"
        " xếp loại, được xếp loại Tốt không quá 02 đơn vị; 06 đơn vị đạt mức Tốt, 04 đơn vị xếp"
        " xuống Khá: Đơn vị P.D2.X1, Đơn vị P.D1, Đơn vị P.D1.X2, Đơn vị P.S3."
    ) in lines
    # the per-compiler line does not name D1 and S3 a second time
    assert not any("vượt tỷ lệ" in line for line in lines)


def test_status_and_publish_use_the_province_count() -> None:
    cs = criteria(rules=[{"top_band_quota": RULE}])
    results = [
        UnitResult(code=c, name=c, kind=KIND[c], compiler=COMPILER[c], status="on_time",
                   submitted_at=AT, final_total=t, band=_band(t))
        for c, t in TOTALS.items()
    ] + [UnitResult(code="P", name="P", kind="province", compiler=None, status="missing")]  # fmt: skip
    got = {r.code: r.band for r in with_quota(results, lambda code: cs)}
    assert got == {**{c: _band(t) for c, t in TOTALS.items()}, **dict.fromkeys(MOVED, "Khá"),
                   "P": None}  # fmt: skip


def test_build_summary_without_province_scope_is_unchanged() -> None:
    s = build_summary(
        compiler=OrgUnit("P", "Tỉnh", "province"),
        cycle_year=2024,
        units=[_input("P.S1"), _input("P.S3")],
        direct={"P.S1", "P.S3"},
        previous=None,
        criteria_by_kind={"default": criteria()},
    )
    assert "top_band_quota" not in s
    # per compiler, as before: 2 × 0,2 = 0,4 → 0 keep Tốt, so S1 (96) moves down too
    assert [(x["band"], x["rules"]) for x in s["ranking"]] == [("Khá", ["top_band_quota"]),
                                                                ("Khá", ["top_band_quota"])]  # fmt: skip
