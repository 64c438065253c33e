"""Shared by the rule tests: a rejection names the code, the field, in Vietnamese; a criteria set
with every band rule, changed at will."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from danvan.rules.criteria import parse_criteria
from danvan.rules.errors import Problem, Rejected

_VIETNAMESE = set("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


def is_vietnamese(message: str) -> bool:
    return any(ch in _VIETNAMESE for ch in message.lower())


def rejects(call: Callable[[], object], code: str, field: str | None = None) -> Problem:
    """Run ``call``; it must raise Rejected with a problem of ``code`` (at ``field``)."""
    with pytest.raises(Rejected) as info:
        call()
    found = [p for p in info.value.problems if p.code == code and field in (None, p.field)]
    assert found, f"expected {code} at {field!r}, got:\n{info.value.render()}"
    assert is_vietnamese(found[0].message), found[0].message
    return found[0]


BAND_RULES_CRITERIA: dict[str, Any] = {
    "code": "R-1",
    "name": "Tiêu chí thử",
    "groups": [
        {"code": "I", "name": "Một", "criteria": [
            {"code": "1", "name": "Kế hoạch", "max": 40},
            {"code": "2", "name": "Khiếu nại", "max": 30, "not_applicable_allowed": True},
            {"code": "3", "name": "Hòa giải ở cơ sở", "max": 30, "kinds": ["commune"]},
        ]},
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70},
              {"name": "Trung bình", "min": 50}, {"name": "Yếu", "min": 0}],
    "rules": [
        {"zero_criterion_caps_band": "Khá"},
        {"penalty_caps_band": {"min_penalty": 5, "band": "Trung bình"}},
        {"late_caps_band": {"days": 10, "band": "Khá"}},
        {"missing_band": "Yếu"},
        {"top_band_quota": 0.2},
    ],
}  # fmt: skip


def criteria(**changes: Any):  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(BAND_RULES_CRITERIA)
    doc.update(changes)
    return parse_criteria(doc, "criteria.yaml")
