"""Who owes what (SPEC §4.1) and the publish ranking, as plain functions on small literal trees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from danvan.rules.domain import OrgUnit, UnitResult
from danvan.rules.org import compilers_for, subtree
from danvan.rules.ranking import rank_within_compilers
from danvan.rules.recipients import owing
from danvan.rules.reminders import Progress

U = {
    u.code: u
    for u in (
        OrgUnit("P", "Tỉnh", "province", None, assessed=False, compiles=True),
        OrgUnit("P.S", "Sở", "department", "P"),
        OrgUnit("P.D", "Huyện", "district", "P", compiles=True),
        OrgUnit("P.D.X1", "Xã 1", "commune", "P.D"),
        OrgUnit("P.D.X2", "Xã 2 (đã sáp nhập)", "commune", "P.D", active=False),
        OrgUnit("P.E", "Huyện cũ", "district", "P", compiles=True, active=False),
        OrgUnit("P.X3", "Xã 3", "commune", "P"),
    )
}
TREE = subtree(U, "P")
COMPILERS = compilers_for(U)


def who(
    submitted: set[str] = frozenset(), compiled: set[str] = frozenset(), published: bool = False
) -> dict:  # type: ignore[assignment]
    o = owing(
        U,
        TREE,
        "P",
        COMPILERS,
        submitted=set(submitted),
        compiled=set(compiled),
        published=published,
    )
    return {m: [u.code for u in us] for m, us in o.units.items()}


@pytest.mark.parametrize(
    ("submitted", "compiled", "published", "expected"),
    [
        (set(), set(), False, {
            "self_assessment": ["P.D", "P.D.X1", "P.S", "P.X3"],
            "district_compilation": ["P.D"],
            "province_scoring": ["P"],
        }),
        ({"P.S", "P.D.X1"}, {"P.D"}, False, {
            "self_assessment": ["P.D", "P.X3"],
            "district_compilation": [],
            "province_scoring": ["P"],
        }),
        ({"P.S"}, set(), True, {
            "self_assessment": [], "district_compilation": [], "province_scoring": [],
        }),
    ],
)  # fmt: skip
def test_who_owes(submitted, compiled, published, expected) -> None:  # type: ignore[no-untyped-def]
    assert who(submitted, compiled, published) == expected


def test_progress_counts_each_compilers_own_units() -> None:
    o = owing(U, TREE, "P", COMPILERS, submitted={"P.S", "P.D.X1"}, compiled=set(), published=False)
    assert o.progress["self_assessment"] == {
        "P": Progress(expected=3, submitted=1),  # P.D, P.S, P.X3
        "P.D": Progress(expected=1, submitted=1),  # the merged commune is not expected
    }
    assert o.progress["district_compilation"] == {"P": Progress(expected=1, submitted=0)}


def at(hour: int) -> datetime:
    return datetime(2024, 11, 8, hour, tzinfo=UTC)


def result(
    code: str, compiler: str, total: float | None, zeros: int = 0, hour: int = 1
) -> UnitResult:
    if total is None:
        return UnitResult(code, code, "commune", compiler, "missing")
    return UnitResult(
        code,
        code,
        "commune",
        compiler,
        "on_time",
        1,
        at(hour),
        at(hour),
        0,
        total,
        total,
        "Tốt",
        zeros,
    )


def test_publish_ranks_within_each_compiler_with_the_tie_order() -> None:
    ranks = rank_within_compilers(
        [
            result("A", "P", 90),
            result("B", "P", 95),
            result("C", "P", 90, zeros=1),  # same total, a criterion at 0: after A
            result("D", "P", None),  # missing: no rank
            result("E", "P.D", 80, hour=3),
            result("F", "P.D", 80, hour=2),  # same total, earlier submission: first
        ]
    )
    assert ranks == {"B": 1, "A": 2, "C": 3, "F": 1, "E": 2}
