"""Criteria sets and plans: every rejection, the round trip through JSON, the bundled samples."""

from __future__ import annotations

import copy
import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan.demo.sample import sample_dir
from danvan.rules.criteria import parse_criteria
from danvan.rules.criteria_store import criteria_from_dict, criteria_to_dict
from danvan.rules.domain import MILESTONES
from danvan.rules.formats import load_document
from danvan.rules.plan import parse_plan, plan_from_doc
from tests.helpers import DATA
from tests.helpers.rules import rejects

OTHER = DATA / "other-province"

CRITERIA: dict[str, Any] = {
    "code": "T-1",
    "name": "Tiêu chí thử",
    "groups": [
        {"code": "I", "name": "Lãnh đạo, chỉ đạo",
         "criteria": [{"code": "1", "name": "Kế hoạch", "max": 60},
                      {"code": "2", "name": "Phân công", "max": 40}]},
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70}, {"name": "Yếu", "min": 0}],
    "rules": [{"zero_criterion_caps_band": "Khá"}],
}  # fmt: skip


def _with(base: dict, path: str, value: object) -> dict:
    """A deep copy of ``base`` with ``path`` (dotted, ints index lists) set; ``...`` deletes."""
    doc = copy.deepcopy(base)
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = doc
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return doc


def _load(path: Path) -> object:
    return load_document(path.name, path.read_bytes())


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("code", ..., "missing_field", "code"),
        ("name", "", "missing_field", "name"),
        ("groups", [], "missing_field", "groups"),
        ("groups", {"I": 1}, "not_a_list", "groups"),
        ("groups.0", "I", "not_a_mapping", "groups[0]"),
        ("groups.0.criteria", [], "missing_field", "groups[0].criteria"),
        ("groups.0.criteria.1.code", "1", "duplicate_code", "groups[0].criteria[1].code"),
        ("groups.0.criteria.1.code", 1, "duplicate_code", "groups[0].criteria[1].code"),
        ("groups.0.criteria.0.max", 0, "invalid_max", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.max", -5, "invalid_max", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.max", 10.1, "invalid_max", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.max", "10", "invalid_max", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.max", True, "invalid_max", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.max", ..., "missing_field", "groups[0].criteria[0].max"),
        ("groups.0.criteria.0.name", ..., "missing_field", "groups[0].criteria[0].name"),
        ("groups.0.criteria.0.weight", 2, "unknown_field", "groups[0].criteria[0].weight"),
        ("bonus_max", -1, "invalid_limit", "bonus_max"),
        ("penalty_max", "10", "invalid_limit", "penalty_max"),
        ("penalty_max", 0.3, "invalid_limit", "penalty_max"),
        ("bands", [], "missing_field", "bands"),
        ("bands.1.min", 95, "bands_order", "bands[1].min"),
        ("bands.1.min", 90, "bands_order", "bands[1].min"),
        ("bands.1.min", "70", "invalid_band", "bands[1].min"),
        ("bands.1.name", "Tốt", "duplicate_band", "bands[1].name"),
        ("bands.2.min", 10, "lowest_band_above_zero", "bands[2].min"),
        ("bands.0.min", 106, "band_unreachable", "bands[0].min"),
        ("rules.0", {"zero_criterion_caps_band": "Xuất sắc"}, "unknown_band",
         "rules[0].zero_criterion_caps_band"),
        ("rules.0", {"cap_total": 90}, "unknown_rule", "rules[0].cap_total"),
        ("rules", "Khá", "not_a_list", "rules"),
        ("extra", 1, "unknown_field", "extra"),
    ],
)  # fmt: skip
def test_criteria_rejects(path: str, value: object, code: str, field: str) -> None:
    rejects(lambda: parse_criteria(_with(CRITERIA, path, value), "criteria.yaml"), code, field)


def test_criteria_top_level_must_be_a_mapping() -> None:
    rejects(lambda: parse_criteria(["code"], "c.yaml"), "not_a_mapping", "")


def test_criteria_parsed_with_bands_and_cap() -> None:
    cs = parse_criteria(CRITERIA, "c.yaml")
    assert [c.code for c in cs.criteria] == ["1", "2"] and cs.max_total == 100
    assert cs.criteria[0].group == "I" and cs.zero_criterion_caps_band == "Khá"
    assert [b.name for b in cs.bands] == ["Tốt", "Khá", "Yếu"]


def test_rules_may_be_a_mapping_and_are_optional() -> None:
    assert parse_criteria(_with(CRITERIA, "rules", ...), "c").zero_criterion_caps_band is None
    doc = _with(CRITERIA, "rules", {"zero_criterion_caps_band": "Khá"})
    assert parse_criteria(doc, "c").zero_criterion_caps_band == "Khá"


@pytest.mark.parametrize(
    "path",
    [sample_dir() / "criteria.yaml", sample_dir() / "criteria-xa.yaml",
     *sorted(OTHER.glob("criteria*.yaml"))],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)  # fmt: skip
def test_bundled_criteria_parse_and_round_trip_through_json(path: Path) -> None:
    cs = parse_criteria(_load(path), path.name)
    assert 8 <= len(cs.criteria) <= 15 and cs.max_total == 100
    assert cs.bonus_max == 5 and cs.penalty_max == 10
    stored = json.loads(json.dumps(criteria_to_dict(cs), ensure_ascii=False))
    assert criteria_from_dict(stored) == cs


@given(
    maxes=st.lists(st.integers(1, 400).map(lambda n: n / 4), min_size=1, max_size=15),
    bonus=st.integers(0, 40).map(lambda n: n / 4),
)
def test_any_valid_set_round_trips(maxes: list[float], bonus: float) -> None:
    doc = _with(CRITERIA, "groups.0.criteria",
                [{"code": str(i), "name": f"Tiêu chí {i}", "max": m} for i, m in enumerate(maxes)])  # fmt: skip
    doc = _with(doc, "bonus_max", bonus)
    doc = _with(doc, "bands", [{"name": "Đạt", "min": 0}])
    doc = _with(doc, "rules", ...)
    cs = parse_criteria(doc, "c")
    assert criteria_from_dict(criteria_to_dict(cs)) == cs


# --- plans ------------------------------------------------------------------------------------

PLAN: dict[str, Any] = {
    "province": "QNG",
    "year": 2024,
    "title": "Kế hoạch thực hiện công tác dân vận chính quyền năm 2024",
    "reference": "Kế hoạch số 30/KH-UBND ngày 17/02/2024",
    "issued_on": date(2024, 2, 17),
    "criteria": "criteria.yaml",
    "deadlines": {"self_assessment": date(2024, 11, 10),
                  "district_compilation": date(2024, 11, 20),
                  "province_scoring": date(2024, 11, 29)},
    "reminders": {"before_days": [14, 7, 3, 1], "overdue_every_days": 2,
                  "escalate_after_days": 3, "send_at": "08:00", "working_days_only": True},
}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("province", ..., "missing_field", "province"),
        ("year", "2024", "invalid_year", "year"),
        ("year", 24, "invalid_year", "year"),
        ("year", ..., "missing_field", "year"),
        ("title", ..., "missing_field", "title"),
        ("issued_on", "17/02/2024", "invalid_date", "issued_on"),
        ("issued_on", "2024-02-30", "invalid_date", "issued_on"),
        ("issued_on", date(2022, 12, 1), "wrong_year", "issued_on"),
        ("issued_on", date(2024, 11, 10), "deadline_order", "deadlines.self_assessment"),
        ("criteria", ..., "missing_field", "criteria"),
        ("criteria", ["criteria.yaml"], "not_a_mapping", "criteria"),
        ("criteria", "criteria.docx", "invalid_path", "criteria"),
        ("criteria", "/etc/criteria.yaml", "invalid_path", "criteria"),
        ("criteria", "../other/criteria.yaml", "invalid_path", "criteria"),
        ("criteria", "https://x.vn/criteria.yaml", "invalid_path", "criteria"),
        ("criteria", {"commune": "criteria-xa.yaml"}, "criteria_default_missing", "criteria.default"),
        ("criteria", {"ward": "a.yaml", "default": "b.yaml"}, "unknown_kind", "criteria.ward"),
        ("criteria", {"default": 5}, "not_text", "criteria.default"),
        ("deadlines", ..., "missing_field", "deadlines"),
        ("deadlines.province_scoring", ..., "missing_field", "deadlines.province_scoring"),
        ("deadlines.final", date(2024, 12, 1), "unknown_field", "deadlines.final"),
        ("deadlines.district_compilation", date(2024, 11, 9), "deadline_order",
         "deadlines.district_compilation"),
        ("deadlines.province_scoring", date(2024, 11, 19), "deadline_order",
         "deadlines.province_scoring"),
        ("deadlines.province_scoring", date(2026, 1, 5), "wrong_year", "deadlines.province_scoring"),
        ("reminders", [14, 7], "not_a_mapping", "reminders"),
        ("reminders.before_days", [14, 0], "invalid_before_days", "reminders.before_days"),
        ("reminders.before_days", [7, 7], "invalid_before_days", "reminders.before_days"),
        ("reminders.before_days", [2.5], "invalid_before_days", "reminders.before_days"),
        ("reminders.before_days", 7, "not_a_list", "reminders.before_days"),
        ("reminders.overdue_every_days", 0, "invalid_days", "reminders.overdue_every_days"),
        ("reminders.overdue_every_days", True, "invalid_days", "reminders.overdue_every_days"),
        ("reminders.escalate_after_days", -1, "invalid_days", "reminders.escalate_after_days"),
        ("reminders.send_at", "8h", "invalid_time", "reminders.send_at"),
        ("reminders.send_at", "24:00", "invalid_time", "reminders.send_at"),
        ("reminders.working_days_only", "yes", "not_boolean", "reminders.working_days_only"),
        ("reminders.every", 2, "unknown_field", "reminders.every"),
        ("timezone", "Asia/Hanoi", "unknown_timezone", "timezone"),
        ("timezone", 7, "unknown_timezone", "timezone"),
        ("budget", 1, "unknown_field", "budget"),
    ],
)  # fmt: skip
def test_plan_rejects(path: str, value: object, code: str, field: str) -> None:
    rejects(lambda: parse_plan(_with(PLAN, path, value), "plan.yaml"), code, field)


def test_plan_defaults_and_spill_into_next_year() -> None:
    doc = _with(PLAN, "reminders", ...)
    doc = _with(doc, "deadlines.province_scoring", "2025-01-10")
    plan = parse_plan(_with(doc, "issued_on", "2023-12-20"), "plan.yaml")
    assert plan.reminders.before_days == (14, 7, 3, 1) and plan.reminders.send_at == time(8)
    assert plan.deadlines["province_scoring"] == date(2025, 1, 10)
    assert plan.timezone == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(("send_at", "expected"), [("07:30", time(7, 30)), (480, time(8))])
def test_send_at_quoted_or_read_by_yaml_as_base_60(send_at: object, expected: time) -> None:
    plan = parse_plan(_with(PLAN, "reminders.send_at", send_at), "plan.yaml")
    assert plan.reminders.send_at == expected


def test_unquoted_send_at_from_yaml_text() -> None:
    text = (sample_dir() / "plan.yaml").read_text().replace('"08:00"', "8:15")
    plan = parse_plan(load_document("plan.yaml", text.encode()), "plan.yaml")
    assert plan.reminders.send_at == time(8, 15)


def test_sample_plan_becomes_a_domain_plan() -> None:
    doc = parse_plan(_load(sample_dir() / "plan.yaml"), "plan.yaml")
    assert doc.year == 2024 and list(doc.deadlines) == list(MILESTONES)
    assert doc.deadlines["province_scoring"] == date(2024, 11, 29)
    codes = {p: parse_criteria(_load(sample_dir() / p), p).code for p in set(doc.criteria_paths().values())}  # fmt: skip
    plan = plan_from_doc(doc, codes)
    assert plan.criteria_for("commune") == "QNG-436-2019-XA"
    assert plan.criteria_for("district") == plan.criteria_for("department") == "QNG-436-2019"
    rejects(lambda: plan_from_doc(doc, {}), "criteria_not_loaded")


def test_other_province_plan_maps_criteria_per_kind() -> None:
    doc = parse_plan(_load(OTHER / "plan.yaml"), "plan.yaml")
    paths = doc.criteria_paths()
    assert "default" in paths and len(paths) >= 2
    for path in set(paths.values()):
        parse_criteria(_load(OTHER / path), path)
