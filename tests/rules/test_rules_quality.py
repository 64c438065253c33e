"""Data-quality flags (SPEC §3.8) on literal figures: each kind, thresholds at their edges."""

from __future__ import annotations

import pytest

from danvan.rules.errors import Problems
from danvan.rules.quality import (
    Thresholds,
    UnitFigures,
    flags_for,
    modified_z_scores,
    peer_outliers,
    previous_for,
    rule_flags,
    same_as_last_year,
    yoy_jumps,
)
from danvan.rules.quality_checks import parse_checks

T = Thresholds()


def admin(received: int, online: int = 0, resolved: int = 0, on_time: int = 0) -> dict:
    return {
        "admin_procedures": {
            "received": received, "online": online, "resolved": resolved,
            "on_time": on_time, "overdue": 0,
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("now", "before", "flagged"),
    [
        (36970, 3697, True),  # the typo of 10×
        (150, 50, True),  # exactly 3×, the larger exactly 50
        (149, 50, False),  # just under 3×
        (50, 150, True),  # exactly ⅓
        (51, 150, False),
        (147, 49, True),  # 147 = 3 × 49, the larger above 50
        (48, 16, False),  # 3×, but the larger below 50
        (49, 0, False),  # the larger below 50: small counts jump naturally
        (50, 0, True),  # from nothing to 50
        (3697, 3697, False),
    ],
)
def test_yoy_jump_at_its_edges(now: int, before: int, flagged: bool) -> None:
    flags = yoy_jumps("X", admin(now), admin(before), T)
    assert bool(flags) is flagged
    if flagged:
        (flag,) = flags
        assert (flag.field, flag.kind, flag.value, flag.reference) == (
            "admin_procedures.received", "yoy_jump", now, before,
        )  # fmt: skip


def test_yoy_jump_names_every_field_that_jumped() -> None:
    flags = yoy_jumps("X", admin(3697, online=3018), admin(369, online=3018), T)
    assert [f.field for f in flags] == ["admin_procedures.received"]
    assert "3.697" in flags[0].note and "369" in flags[0].note


def test_yoy_jump_never_compares_with_a_group_not_reported() -> None:
    """Issue 17: a group left out (``figures: {}``) is not 0; 3.697 against it is no jump."""
    assert yoy_jumps("X", admin(3697), {}, T) == []
    assert yoy_jumps("X", {}, admin(3697), T) == []


@pytest.mark.parametrize(
    ("now", "before", "flagged"),
    [
        (admin(120, 80), admin(120, 80), True),
        (admin(120, 80), admin(120, 81), False),
        (admin(0), admin(0), False),  # nothing to report both years: not a copied file
        ({}, admin(0), False),
    ],
)
def test_same_as_last_year(now: dict, before: dict, flagged: bool) -> None:
    assert (same_as_last_year("X", now, before) is not None) is flagged


def test_modified_z_scores() -> None:
    # median 0.9, deviations 0.02 0.01 0 0 0.01 0.02 0.5 → MAD 0.01
    z = modified_z_scores([0.88, 0.89, 0.9, 0.9, 0.91, 0.92, 0.4])
    assert z is not None and z[-1] == pytest.approx(0.6745 * -0.5 / 0.01, rel=1e-6)
    assert modified_z_scores([0.5] * 9) is None
    # MAD 0 but not all alike: mean absolute deviation stands for it
    z = modified_z_scores([0.9] * 8 + [0.1])
    assert z is not None and abs(z[-1]) > 3.5


def _peers(rates: list[tuple[int, int]], kind: str = "commune") -> dict:
    return {f"X{i:02d}": (kind, admin(r, online=o)) for i, (o, r) in enumerate(rates)}


def test_peer_outlier_needs_eight_units_with_denominators_of_twenty() -> None:
    typical = [(70, 100), (72, 100), (69, 100), (71, 100), (70, 100), (73, 100), (68, 100)]
    eight = _peers([*typical, (5, 100)])
    (flag,) = peer_outliers(eight, T)
    assert (flag.unit, flag.field, flag.kind, flag.value) == (
        "X07",
        "admin_online",
        "peer_outlier",
        0.05,
    )
    assert flag.reference == 0.7
    assert "5,00%" in flag.note and "70,00%" in flag.note  # truncated, two decimals
    assert peer_outliers(_peers([*typical[:6], (5, 100)]), T) == []  # seven units
    # the eighth's denominator is 19: it does not count, so there are seven again
    assert peer_outliers(_peers([*typical, (1, 19)]), T) == []
    # 20 counts
    assert [f.unit for f in peer_outliers(_peers([*typical, (1, 20)]), T)] == ["X07"]


def test_peer_outlier_compares_a_kind_with_its_own() -> None:
    communes = _peers([(70, 100)] * 4 + [(71, 100)] * 4)
    departments = {f"D{i}": ("department", admin(100, online=5)) for i in range(8)}
    assert peer_outliers({**communes, **departments}, T) == []


@pytest.mark.parametrize(("online", "flagged"), [(1500, False), (1499, True), (3000, False)])
def test_a_check_with_a_product_at_its_edge(online: int, flagged: bool) -> None:
    p = Problems()
    checks = parse_checks(
        [{"left": "admin_procedures.online", "op": ">=",
          "right": "0.5 * admin_procedures.received", "message": "Trực tuyến dưới 50%"}],
        "checks", p,
    )  # fmt: skip
    assert not p
    flags = rule_flags("X", admin(3000, online=online), checks)
    assert bool(flags) is flagged
    if flagged:
        assert (flags[0].field, flags[0].value, flags[0].reference) == (
            "admin_procedures.online", 1499, 1500,
        )  # fmt: skip
        assert flags[0].note == "Trực tuyến dưới 50%"


@pytest.mark.parametrize(("resolved", "on_time", "flagged"), [(100, 90, False), (100, 99, True)])
def test_a_check_with_a_sum(resolved: int, on_time: int, flagged: bool) -> None:
    p = Problems()
    figures = admin(200, resolved=resolved, on_time=on_time)
    figures["admin_procedures"]["overdue"] = 10
    checks = parse_checks(
        [{"left": "admin_procedures.on_time + admin_procedures.overdue", "op": "<=",
          "right": "admin_procedures.resolved"}],
        "checks", p,
    )  # fmt: skip
    flags = rule_flags("X", figures, checks)
    assert bool(flags) is flagged
    if flagged:
        assert flags[0].field == "admin_procedures.on_time + admin_procedures.overdue"
        assert flags[0].value == 109 and flags[0].reference == 100
        assert flags[0].note == (
            "Thủ tục hành chính: giải quyết trước và đúng hạn + quá hạn là 109, không thỏa"
            " điều kiện phải nhỏ hơn hoặc bằng số hồ sơ đã giải quyết (100)."
        )


@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"left": "admin.online", "op": ">=", "right": 1}, "checks[0].left"),
        ({"left": "admin_procedures.online", "op": "=>", "right": 1}, "checks[0].op"),
        ({"left": "2 * 3 * x", "op": "<", "right": 1}, "checks[0].left"),
        ({"left": "a.b * c.d", "op": "<", "right": 1}, "checks[0].left"),
        ({"left": "admin_procedures.online", "op": "<", "right": [1]}, "checks[0].right"),
        ({"left": "admin_procedures.online", "op": "<", "right": 1, "msg": "x"}, "checks[0].msg"),
    ],
)
def test_bad_checks_are_named(check: dict, field: str) -> None:
    p = Problems()
    parse_checks([check], "checks", p)
    assert field in [x.field for x in p.items]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("M", 100), ("X", 70), ("NEW", None)],  # merged: A + B; itself; nobody reported last year
)
def test_last_cycle_of_a_merged_unit_is_its_predecessors_sum(
    code: str, expected: int | None
) -> None:
    last = {"A": admin(40), "B": admin(60), "X": admin(70)}
    stand_ins = {"M": ["M", "A", "B"], "NEW": ["NEW", "GONE"]}
    before = previous_for(code, last, stand_ins)
    assert (before["admin_procedures"]["received"] if before else None) == expected


def test_flags_for_a_merged_unit_compare_with_its_predecessors_sum() -> None:
    """A merged unit is compared with its predecessors' sum: 40 + 60 → 100; 310 ≥ 3 × 100."""
    merged = UnitFigures(
        "M",
        "commune",
        admin(310),
        previous_for("M", {"A": admin(40), "B": admin(60)}, {"M": ["A", "B"]}),
    )
    (flag,) = flags_for([merged])
    assert (flag.unit, flag.kind, flag.reference) == ("M", "yoy_jump", 100)
    assert flags_for([UnitFigures("M", "commune", admin(290), admin(100))]) == []


def test_flags_for_orders_and_copied_files_say_it_once() -> None:
    copied = UnitFigures("B", "commune", admin(120, 80), admin(120, 80))
    new = UnitFigures("A", "commune", admin(500), None)
    assert [(f.unit, f.kind) for f in flags_for([copied, new])] == [("B", "same_as_last_year")]
