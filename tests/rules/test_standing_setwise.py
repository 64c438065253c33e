"""``standing.standings`` (set-wise, what ``status`` runs) decides what ``standing`` decides unit by
unit: every mix of lateness, returns, adjustments, N/A criteria, zero scores, penalties and both
N/A methods, under one set with every band rule."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from danvan.rules import standing
from danvan.rules.domain import OrgUnit, UnitResult, frozen_value
from danvan.rules.revision import ReturnFacts
from tests.helpers.rules import criteria

DEADLINE = date(2024, 11, 10)
BEFORE = datetime(2024, 11, 8, 3, 0, tzinfo=UTC)
LATE = datetime(2024, 11, 25, 3, 0, tzinfo=UTC)  # 15 days: past late_caps_band's 10
ALMOST = datetime(2024, 11, 10, 16, 30, tzinfo=UTC)  # 23:30 local: on time


def _cases() -> list[tuple[OrgUnit, standing.SubmissionFacts | None, dict[str, float]]]:
    out: list[tuple[OrgUnit, standing.SubmissionFacts | None, dict[str, float]]] = []
    scores = ({"1": 40, "2": 30, "3": 30}, {"1": 38.5, "2": 0, "3": 29.75}, {"1": 20, "2": 10})
    returned = ReturnFacts(1, "Thiếu", "P", BEFORE + timedelta(days=1), date(2024, 11, 14))
    revised = ReturnFacts(1, "Thiếu", "P", BEFORE + timedelta(days=1), date(2024, 11, 14),
                          LATE)  # fmt: skip
    combos = itertools.product(
        ("commune", "department"),
        (BEFORE, ALMOST, LATE),
        scores,
        ({}, {"2": "Không phát sinh"}),
        (0.0, 6.0),
        ((), (returned,), (revised,)),
        ({}, {"1": 0.0}, {"2": 25.0, "bonus": 5.0}, {"penalty": 0.0}),
    )
    for i, (kind, first, sc, na, penalty, returns, adjusted) in enumerate(combos):
        unit = OrgUnit(f"U{i:04d}", f"Đơn vị {i}", kind, "P")
        version = 2 if returns == (revised,) else 1
        facts = standing.SubmissionFacts(
            version=version if returns != (returned,) else 1,
            submitted_at=first + timedelta(hours=version),
            first_submitted_at=first,
            scores=sc,
            bonus=2.0,
            penalty=penalty,
            self_total=0.0,
            not_applicable=na,
            warnings=({"message": "Chú ý"},) if i % 5 == 0 else (),
            returns=returns,
        )
        out.append((unit, facts, adjusted))
    out.append((OrgUnit("U9999", "Chưa nộp", "commune", "P"), None, {}))
    return out


@pytest.mark.parametrize("method", ["full_marks", "rescale"])
def test_standings_decide_what_standing_decides(method: str) -> None:
    cs = criteria(not_applicable=method)
    cases = _cases()
    units = {u.code: u for u, _, _ in cases}
    tz = "Asia/Ho_Chi_Minh"
    expected: list[UnitResult] = [
        standing.standing(
            u, compiler="P", facts=f, adjustments=a, criteria=cs, deadline=DEADLINE, tz=tz
        )
        for u, f, a in cases
    ]
    got = standing.standings(
        units,
        list(units),
        compilers=dict.fromkeys(units, "P"),
        facts={u.code: f for u, f, _ in cases if f is not None},
        adjustments={u.code: adj for u, _, adj in cases if adj},
        criteria_for=lambda _: cs,
        deadline=DEADLINE,
        tz="Asia/Ho_Chi_Minh",
        returns={u.code: f.returns for u, f, _ in cases if f is not None and f.returns},
    )
    assert got == expected
    assert [repr(r) for r in got] == [repr(r) for r in expected]
    assert {r.status for r in got} == {"on_time", "late", "returned", "missing"}
    assert {r.band for r in got} >= {"Tốt", "Khá", "Trung bình"}
    assert any(r.rules for r in got)


def test_frozen_value_is_the_dataclass_built_as_usual() -> None:
    usual = OrgUnit("A", "Xã A", "commune", "P", True, False, True, ("mailto://a",), None, ("B",))
    fast = frozen_value(
        OrgUnit, "A", "Xã A", "commune", "P", True, False, True, ("mailto://a",), None, ("B",)
    )
    assert fast == usual and hash(fast) == hash(usual) and repr(fast) == repr(usual)
    assert type(fast) is OrgUnit and vars(fast) == vars(usual)
    with pytest.raises(AttributeError):
        fast.name = "B"  # type: ignore[misc]
    with pytest.raises(ValueError):
        frozen_value(OrgUnit, "A", "Xã A")  # every field, or none
