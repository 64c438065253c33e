"""Org history rules: when a change takes effect, what a published year forbids, whether mergers
hold together, and who stands for whom in last year's figures."""

from __future__ import annotations

from datetime import date

import pytest

from danvan.rules.org import UnitSpec, effective_unit, parse_org
from danvan.rules.org_history import (
    SINCE_ALWAYS,
    Frozen,
    change_date,
    check_mergers,
    check_not_frozen,
    counted_elsewhere,
    stand_ins,
)
from tests.helpers.rules import rejects

D = date.fromisoformat


@pytest.mark.parametrize(
    ("asked", "current_from", "frozen_until", "expected"),
    [
        # --effective wins (whether it is allowed is check_not_frozen's question)
        ("2025-07-01", None, None, "2025-07-01"),
        ("2025-07-01", "2023-01-01", "2024-11-15", "2025-07-01"),
        # no date, nothing published: a new unit has always been; a change corrects the record
        (None, None, None, SINCE_ALWAYS.isoformat()),
        (None, "0001-01-01", None, "0001-01-01"),
        (None, "2025-07-01", None, "2025-07-01"),
        # no date, a published cycle: never on or before its cut-off
        (None, None, "2023-11-15", "2023-11-16"),
        (None, "0001-01-01", "2023-11-15", "2023-11-16"),
        (None, "2025-07-01", "2023-11-15", "2025-07-01"),
    ],
)
def test_change_date(
    asked: str | None, current_from: str | None, frozen_until: str | None, expected: str
) -> None:
    got = change_date(
        asked=D(asked) if asked else None,
        current_from=D(current_from) if current_from else None,
        frozen_until=D(frozen_until) if frozen_until else None,
    )
    assert got == D(expected)


def test_a_published_cut_off_refuses_changes_on_or_before_it() -> None:
    frozen = Frozen(year=2023, cut_off=D("2023-11-15"))
    check_not_frozen([(0, "A", D("2023-11-16"), frozen), (1, "B", D("2020-01-01"), None)])
    problem = rejects(
        lambda: check_not_frozen([(3, "TSN.X1", D("2023-11-15"), frozen)]),
        "published_tree",
        "units[3]",
    )
    assert "Kỳ 2023 đã công bố" in problem.message and "2023-11-15" in problem.message


# --- mergers ---------------------------------------------------------------------------------


def tree(*specs: UnitSpec) -> dict:
    base = [
        UnitSpec("P", "Tỉnh", "province"),
        UnitSpec("P.H", "Huyện", "district", "P"),
    ]
    return {s.code: effective_unit(s) for s in (*base, *specs)}


def commune(code: str, parent: str = "P.H", **kw: object) -> UnitSpec:
    return UnitSpec(code, f"Xã {code}", "commune", parent, **kw)  # type: ignore[arg-type]


MERGED = (
    commune("A", active=False, merged_into="N"),
    commune("B", active=False, merged_into="N"),
    commune("N", predecessors=("A", "B")),
)


def test_a_consistent_merger_passes() -> None:
    check_mergers(["A", "B", "N"], tree(*MERGED))


def test_an_abolished_district_with_its_communes_moved_passes() -> None:
    state = tree(commune("X", "P"))
    state["P.H"] = effective_unit(UnitSpec("P.H", "Huyện", "district", "P", active=False))
    check_mergers(["P.H", "X"], state)


@pytest.mark.parametrize(
    ("specs", "code", "field"),
    [
        # the old unit must be inactive
        (
            (commune("A", merged_into="N"), commune("N", predecessors=("A",))),
            "merged_unit_active",
            "units[0].active",
        ),
        # both sides must say it
        (
            (commune("A", active=False, merged_into="N"), commune("N")),
            "merge_mismatch",
            "units[0].merged_into",
        ),
        (
            (commune("A", active=False), commune("N", predecessors=("A",))),
            "merge_mismatch",
            "units[1].predecessors[0]",
        ),
        # codes that exist, not itself
        (
            (commune("A", active=False, merged_into="Z"),),
            "unknown_successor",
            "units[0].merged_into",
        ),
        ((commune("N", predecessors=("N",)),), "unknown_predecessor", "units[0].predecessors[0]"),
        ((commune("N", predecessors=("Q",)),), "unknown_predecessor", "units[0].predecessors[0]"),
        # one unit merges into one unit
        (
            (
                commune("A", active=False, merged_into="N"),
                commune("N", predecessors=("A",)),
                commune("M", predecessors=("A",)),
            ),
            "predecessor_twice",
            "units[2].predecessors[0]",
        ),
        # no loops
        (
            (
                commune("A", active=False, merged_into="B", predecessors=("B",)),
                commune("B", active=False, merged_into="A", predecessors=("A",)),
            ),
            "merge_cycle",
            "units[0].merged_into",
        ),
        # an active unit under an abolished one, and the other way round
        (
            (
                UnitSpec("P.H", "Huyện", "district", "P", active=False),
                commune("X", "P.H"),
            ),
            "active_children",
            "units[0].active",
        ),
        (
            (
                UnitSpec("P.H", "Huyện", "district", "P", active=False),
                commune("X", "P.H"),
            ),
            "parent_inactive",
            "units[1].parent",
        ),
    ],
)
def test_broken_mergers_are_rejected(specs: tuple[UnitSpec, ...], code: str, field: str) -> None:
    rejects(lambda: check_mergers([s.code for s in specs], tree(*specs)), code, field)


def test_merger_fields_are_read_from_yaml_and_from_spreadsheet_cells() -> None:
    doc = {
        "units": [
            {"code": "P", "name": "Tỉnh", "kind": "province"},
            {"code": "N", "name": "Xã Mới", "kind": "commune", "parent": "P",
             "predecessors": ["A", "B"]},
            {"code": "A", "name": "Xã A", "kind": "commune", "parent": "P", "active": False,
             "merged_into": "N"},
        ]
    }  # fmt: skip
    specs = {s.code: s for s in parse_org(doc, "org.yaml")}
    assert specs["N"].predecessors == ("A", "B") and specs["A"].merged_into == "N"
    rows = [{"mã": "N", "tên": "Xã Mới", "loại": "commune", "cấp trên": "P", "tiền thân": "A, B"}]
    assert parse_org(rows, "org.xlsx")[0].predecessors == ("A", "B")
    rejects(
        lambda: parse_org({"units": [doc["units"][0] | {"predecessors": 7}]}, "org.yaml"),
        "not_a_list",
        "units[0].predecessors",
    )


# --- who stands for whom -----------------------------------------------------------------------


def test_stand_ins_follow_mergers_transitively() -> None:
    # 2025: A and B form N; 2027: N and C form M (the file of 2027 no longer restates A and B's
    # merger on N, but A and B still say merged_into N)
    units = tree(
        commune("A", active=False, merged_into="N"),
        commune("B", active=False, merged_into="N"),
        commune("C", active=False, merged_into="M"),
        commune("N", active=False, merged_into="M"),
        commune("M", predecessors=("N", "C")),
        commune("K"),
    )
    got = stand_ins(units, ["M", "K", "N"])
    assert got == {"M": ["M", "C", "N", "A", "B"], "K": ["K"], "N": ["N", "A", "B"]}
    assert counted_elsewhere(units) == {"A", "B", "C", "N"}
