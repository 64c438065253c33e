"""Lịch sử cơ cấu tổ chức: mergers, re-parenting and the date each change takes effect (SPEC §3.1).

The 2025 reform merged communes and abolished districts. A unit formed by a merger lists its
``predecessors``; each old unit says ``merged_into`` and is inactive. Every change of a unit's
parent, name, kind, flags or merger is kept with the date it takes effect, and a cycle uses the
tree valid at its ``self_assessment`` deadline — so 2023 is compiled under the three-tier tree and
2025 under the merged one, and a published cycle's tree never moves.

This module holds the pure decisions: when a change takes effect (:func:`change_date`), which
changes a published cycle forbids (:func:`check_not_frozen`), whether the mergers of a file hold
together (:func:`check_mergers`), and who stands for whom in last year's figures
(:func:`stand_ins`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from danvan.rules.errors import Problems

#: The date of a unit's first record when no ``--effective`` date was given and no cycle of its
#: province is published: the unit is taken to have always been as the file says.
SINCE_ALWAYS = date(1, 1, 1)


class _Merged(Protocol):
    @property
    def parent(self) -> str | None: ...
    @property
    def active(self) -> bool: ...
    @property
    def merged_into(self) -> str | None: ...
    @property
    def predecessors(self) -> tuple[str, ...]: ...


def change_date(
    *, asked: date | None, current_from: date | None, frozen_until: date | None
) -> date:
    """The date from which one unit's change is recorded.

    ``asked``: ``--effective``; ``current_from``: the date of the unit's latest record (None for a
    new unit); ``frozen_until``: the ``self_assessment`` deadline of the province's latest
    published cycle. Without ``--effective`` an import *corrects* the unit's latest record, but
    never reaches back into a published cycle: then it takes effect the day after its cut-off.
    """
    if asked is not None:
        return asked
    floor = SINCE_ALWAYS if frozen_until is None else frozen_until + timedelta(days=1)
    return floor if current_from is None else max(current_from, floor)


@dataclass(frozen=True)
class Frozen:
    """The latest published cycle of a province: its year and its cut-off (the tree's date)."""

    year: int
    cut_off: date


def check_not_frozen(changes: Iterable[tuple[int, str, date, Frozen | None]]) -> None:
    """Reject changes dated on or before a published cycle's cut-off: its tree never changes.

    ``changes``: (index in the file, code, date the change would take effect, the province's
    latest published cycle).
    """
    p = Problems()
    for i, code, on, frozen in changes:
        if frozen is not None and on <= frozen.cut_off:
            p.add(
                "published_tree",
                f"units[{i}]",
                f"Kỳ {frozen.year} đã công bố kết quả: cơ cấu tổ chức ngày "
                f"{frozen.cut_off.isoformat()} đã chốt, không thể thay đổi đơn vị “{code}” từ "
                f"ngày {on.isoformat()} (dùng --effective sau ngày đó).",
            )
    p.raise_if_any()


def check_mergers(file_codes: Sequence[str], state: Mapping[str, _Merged]) -> None:
    """Mergers hold together in ``state`` (the tree with the file applied, at its date).

    Problems are reported on the file's units (``file_codes[i]`` is ``units[i]``): a merged unit
    names an existing successor and is inactive; a predecessor exists, says it merged into the
    unit that lists it and is listed by no other unit; merges never loop; an active unit never
    sits under an inactive one (an abolished district's communes are re-parented with it).
    """
    p = Problems()
    listers: dict[str, list[str]] = {}
    for code, unit in state.items():
        for pred in unit.predecessors:
            listers.setdefault(pred, []).append(code)
    for i, code in enumerate(file_codes):
        for j, pred in enumerate(state[code].predecessors):
            others = sorted(c for c in listers[pred] if c != code)
            if others:
                p.add(
                    "predecessor_twice",
                    f"units[{i}].predecessors[{j}]",
                    f"“{pred}” cũng là tiền thân của “{others[0]}”; một đơn vị chỉ sáp nhập vào "
                    "một đơn vị.",
                )
    children: dict[str, list[str]] = {}
    for code, unit in state.items():
        if unit.parent is not None and unit.active:
            children.setdefault(unit.parent, []).append(code)
    for i, code in enumerate(file_codes):
        unit = state[code]
        _check_merged_into(code, unit, state, f"units[{i}]", p)
        _check_predecessors(code, unit, state, f"units[{i}].predecessors", p)
        parent = state.get(unit.parent) if unit.parent else None
        if unit.active and parent is not None and not parent.active:
            p.add(
                "parent_inactive",
                f"units[{i}].parent",
                f"Đơn vị cấp trên “{unit.parent}” đã ngừng hoạt động; chuyển “{code}” sang đơn vị "
                "cấp trên mới.",
            )
        elif not unit.active and children.get(code):
            p.add(
                "active_children",
                f"units[{i}].active",
                f"“{code}” ngừng hoạt động nhưng còn đơn vị trực thuộc đang hoạt động: "
                + ", ".join(sorted(children[code]))
                + " (chuyển chúng sang đơn vị cấp trên mới).",
            )
    p.raise_if_any()


def _check_merged_into(
    code: str, unit: _Merged, state: Mapping[str, _Merged], at: str, p: Problems
) -> None:
    target = unit.merged_into
    if target is None:
        return
    if target == code or target not in state:
        why = "chính nó" if target == code else "đơn vị không có trong danh sách"
        p.add("unknown_successor", f"{at}.merged_into", f"“{code}” sáp nhập vào {why} “{target}”.")
        return
    if unit.active:
        p.add(
            "merged_unit_active",
            f"{at}.active",
            f"“{code}” đã sáp nhập vào “{target}” nên phải ghi active: false.",
        )
    if code not in state[target].predecessors:
        p.add(
            "merge_mismatch",
            f"{at}.merged_into",
            f"“{target}” chưa ghi “{code}” trong predecessors (tiền thân).",
        )
    seen, cur = {code}, state[target].merged_into
    while cur is not None and cur in state:
        if cur in seen:
            p.add("merge_cycle", f"{at}.merged_into", f"Sáp nhập vòng lặp qua “{cur}”.")
            return
        seen.add(cur)
        cur = state[cur].merged_into


def _check_predecessors(
    code: str, unit: _Merged, state: Mapping[str, _Merged], at: str, p: Problems
) -> None:
    for j, pred in enumerate(unit.predecessors):
        old = state.get(pred)
        if pred == code or old is None:
            why = "chính nó" if pred == code else "đơn vị không có trong danh sách"
            p.add("unknown_predecessor", f"{at}[{j}]", f"Tiền thân “{pred}” là {why}.")
        elif old.merged_into != code:
            p.add(
                "merge_mismatch",
                f"{at}[{j}]",
                f"Tiền thân “{pred}” phải ghi merged_into: {code} và active: false.",
            )


def stand_ins(units: Mapping[str, _Merged], codes: Iterable[str]) -> dict[str, list[str]]:
    """Who stands for whom in last year's figures: each code, then its predecessors, transitively.

    A commune formed in 2025 from three compares with the three's 2023 figures; one merged again
    later compares with all of them. Edges come from both sides (``predecessors`` and
    ``merged_into``), so a chain survives a later file that no longer restates the old units.
    Only units that reported last year contribute, and a unit inactive at a cut-off cannot report,
    so a unit and its predecessor are never both counted.
    """
    preds: dict[str, set[str]] = {}
    for code, unit in units.items():
        preds.setdefault(code, set()).update(unit.predecessors)
        if unit.merged_into is not None:
            preds.setdefault(unit.merged_into, set()).add(code)
    out: dict[str, list[str]] = {}
    for code in codes:
        chain, seen, stack = [], set(), [code]
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            chain.append(cur)
            stack.extend(sorted(preds.get(cur, ()), reverse=True))
        out[code] = chain
    return out


def counted_elsewhere(units: Mapping[str, _Merged]) -> set[str]:
    """Units whose figures count through their successor (merged units), not on their own."""
    return {code for code, unit in units.items() if unit.merged_into is not None}
