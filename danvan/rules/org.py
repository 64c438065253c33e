"""Cơ cấu tổ chức: the org tree file (SPEC §3.1) and the walks every other rule needs.

The tree is data — three tiers before July 2025, two after, any mix — so nothing here assumes a
depth. :class:`UnitSpec` keeps what the file *said* (``assessed``/``compiles`` left ``None`` mean
"the default for the kind"), so a re-import can tell an explicit override from a default;
:func:`effective_unit` turns it into the :class:`OrgUnit` the rules use. The walks
(:func:`compilers_for`, :func:`subtree`) are iterative with memo: a province has ~25,000 units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from danvan.rules import fields as f
from danvan.rules.domain import UNIT_KINDS, OrgUnit, frozen_value
from danvan.rules.errors import Problems

_CONTACT = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_SPLIT = re.compile(r"[\n,;]+")
_FIELDS = (
    "code",
    "name",
    "kind",
    "parent",
    "contacts",
    "assessed",
    "compiles",
    "active",
    "merged_into",
    "predecessors",
)
#: Spreadsheet headers officials may write in Vietnamese.
_ALIASES = {
    "mã": "code",
    "tên": "name",
    "loại": "kind",
    "cấp trên": "parent",
    "liên hệ": "contacts",
    "sáp nhập vào": "merged_into",
    "tiền thân": "predecessors",
}


@dataclass(frozen=True)
class UnitSpec:
    """One unit as the org file states it; ``None`` flags mean "default for the kind"."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    contacts: tuple[str, ...] = ()
    assessed: bool | None = None
    compiles: bool | None = None
    active: bool = True
    merged_into: str | None = None
    predecessors: tuple[str, ...] = ()


class _Node(Protocol):
    @property
    def parent(self) -> str | None: ...


def effective_unit(spec: UnitSpec) -> OrgUnit:
    """Apply the defaults: every kind but ``province`` is assessed; provinces and districts compile."""
    return unit_with_defaults(
        spec.code, spec.name, spec.kind, spec.parent, spec.contacts, spec.assessed,
        spec.compiles, spec.active, spec.merged_into, spec.predecessors,
    )  # fmt: skip


def unit_with_defaults(
    code: str,
    name: str,
    kind: str,
    parent: str | None,
    contacts: tuple[str, ...],
    assessed: bool | None,
    compiles: bool | None,
    active: bool,
    merged_into: str | None,
    predecessors: tuple[str, ...],
) -> OrgUnit:
    """:func:`effective_unit` from the fields themselves: a country's tree (25,000 units) is
    loaded on every ``status``, and a ``UnitSpec`` per unit only to be read back was a tenth of
    the load (the unit built by :func:`frozen_value`, for the same reason)."""
    return frozen_value(
        OrgUnit, code, name, kind, parent,
        kind != "province" if assessed is None else assessed,
        kind in ("province", "district") if compiles is None else compiles,
        active, contacts, merged_into, predecessors,
    )  # fmt: skip


# --- parsing ----------------------------------------------------------------------------------


def parse_org(doc: object, file: str) -> list[UnitSpec]:
    """``{units: [...]}`` from YAML/JSON, or the rows of an XLSX sheet with the same columns."""
    p = Problems()
    if isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
        rows, strict = [{_ALIASES.get(k, k): v for k, v in r.items()} for r in doc], False
    else:
        top = f.mapping(doc, "", p)
        p.raise_if_any(file)
        assert top is not None
        f.unknown_keys(top, ("units",), "", p)
        rows, strict = f.sequence(top.get("units"), "units", p) or [], True
    specs = [s for i, row in enumerate(rows) if (s := _parse_unit(row, f"units[{i}]", strict, p))]
    if not rows and not p:
        p.add("empty_org", "units", "Danh sách đơn vị rỗng.")
    for i, spec in enumerate(specs):
        _check_spec(spec, f"units[{i}]", p)
    p.raise_if_any(file)
    return specs


def _parse_unit(row: object, at: str, strict: bool, p: Problems) -> UnitSpec | None:
    m = f.mapping(row, at, p)
    if m is None:
        return None
    if strict:
        f.unknown_keys(m, _FIELDS, at, p)
    flags = {k: _flag(m.get(k), f"{at}.{k}", p) for k in ("assessed", "compiles", "active")}
    return UnitSpec(
        code=f.code_field(m, "code", f"{at}.code", p, required=False) or "",
        name=f.text(m, "name", f"{at}.name", p, required=False) or "",
        kind=f.text(m, "kind", f"{at}.kind", p, required=False) or "",
        parent=f.code_field(m, "parent", f"{at}.parent", p, required=False),
        contacts=_contacts(m.get("contacts"), f"{at}.contacts", p),
        assessed=flags["assessed"],
        compiles=flags["compiles"],
        active=True if flags["active"] is None else flags["active"],
        merged_into=f.code_field(m, "merged_into", f"{at}.merged_into", p, required=False),
        predecessors=_codes(m.get("predecessors"), f"{at}.predecessors", p),
    )


def _flag(value: object, field: str, p: Problems) -> bool | None:
    if value is None:
        return None
    result = f.boolean(value)
    if result is None:
        p.add("not_boolean", field, f"Cần true hoặc false, không phải {value!r}.")
    return result


def _contacts(value: object, field: str, p: Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    items = _SPLIT.split(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        p.add("not_a_list", field, f"Cần danh sách địa chỉ liên hệ, không phải {f.kind_of(value)}.")
        return ()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            p.add("invalid_contact", f"{field}[{i}]", "Địa chỉ liên hệ phải là chuỗi chữ.")
        elif item.strip():
            out.append(item.strip())
    return tuple(out)


def _codes(value: object, field: str, p: Problems) -> tuple[str, ...]:
    """A list of unit codes (a spreadsheet cell may hold them comma-separated)."""
    if value is None or value == "":
        return ()
    items = _SPLIT.split(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        p.add("not_a_list", field, f"Cần danh sách mã đơn vị, không phải {f.kind_of(value)}.")
        return ()
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str) and not item.strip():
            continue
        code = f.code(item.strip() if isinstance(item, str) else item)
        if code is None:
            p.add(
                "not_text", f"{field}[{i}]", f"Mã phải là chuỗi chữ, không phải {f.kind_of(item)}."
            )
        else:
            out.append(code)
    return tuple(out)


def _check_spec(spec: UnitSpec, at: str, p: Problems) -> None:
    """What one unit must satisfy on its own, whatever the rest of the tree."""
    if not spec.code and not any(x.field == f"{at}.code" for x in p.items):
        p.add("missing_field", f"{at}.code", "Thiếu mã đơn vị.")
    if not spec.name:
        p.add("missing_field", f"{at}.name", "Thiếu tên đơn vị.")
    if spec.kind not in UNIT_KINDS:
        p.add(
            "unknown_kind",
            f"{at}.kind",
            f"Loại đơn vị “{spec.kind}” không có; chỉ nhận: " + ", ".join(UNIT_KINDS) + ".",
        )
    for i, contact in enumerate(spec.contacts):
        if not _CONTACT.match(contact):
            p.add(
                "invalid_contact",
                f"{at}.contacts[{i}]",
                f"Địa chỉ liên hệ thứ {i + 1} không đúng dạng giao thức://… (vd. mailto://…); "
                "địa chỉ không được in lại vì có thể chứa mật khẩu.",
            )


# --- the tree ---------------------------------------------------------------------------------


def check_tree(specs: Iterable[UnitSpec], existing: Mapping[str, _Node]) -> None:
    """Reject a file whose units cannot form a tree together with the units already stored."""
    specs = list(specs)
    p = Problems()
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        at = f"units[{i}]"
        _check_spec(spec, at, p)
        if spec.code in seen:
            p.add(
                "duplicate_code",
                f"{at}.code",
                f"Mã “{spec.code}” trùng với units[{seen[spec.code]}].",
            )
        seen.setdefault(spec.code, i)
    parents: dict[str, str | None] = {c: u.parent for c, u in existing.items()}
    parents.update({s.code: s.parent for s in specs})
    for i, spec in enumerate(specs):
        _check_parent(spec, f"units[{i}].parent", parents, p)
    _check_cycles(specs, parents, p)
    p.raise_if_any()


def _check_parent(spec: UnitSpec, at: str, parents: Mapping[str, str | None], p: Problems) -> None:
    if spec.kind == "province" and spec.parent is not None:
        p.add("province_has_parent", at, "Đơn vị cấp tỉnh không có đơn vị cấp trên.")
    elif spec.kind != "province" and spec.parent is None and spec.kind in UNIT_KINDS:
        p.add("parent_required", at, "Thiếu đơn vị cấp trên (chỉ đơn vị cấp tỉnh mới không có).")
    elif spec.parent is not None and spec.parent not in parents:
        p.add("unknown_parent", at, f"Đơn vị cấp trên “{spec.parent}” không có trong danh sách.")


def _check_cycles(specs: list[UnitSpec], parents: Mapping[str, str | None], p: Problems) -> None:
    done: set[str] = set()
    for i, spec in enumerate(specs):
        path: list[str] = []
        on_path: set[str] = set()
        cur: str | None = spec.code
        while cur is not None and cur not in done and cur in parents:
            if cur in on_path:
                loop = path[path.index(cur) :]
                p.add(
                    "cycle",
                    f"units[{i}].parent",
                    "Cây đơn vị bị vòng lặp: " + " → ".join([*loop, cur]) + ".",
                )
                break
            path.append(cur)
            on_path.add(cur)
            cur = parents[cur]
        done.update(path)


def compilers_for(units: Mapping[str, OrgUnit]) -> dict[str, str | None]:
    """Each unit's compiler: its nearest *strict* ancestor with ``compiles``; ``None`` at the top."""
    memo: dict[str, str | None] = {}
    return {code: _nearest_compiler(u.parent, units, memo) for code, u in units.items()}


def _nearest_compiler(
    code: str | None, units: Mapping[str, Any], memo: dict[str, str | None]
) -> str | None:
    """The nearest unit at or above ``code`` that compiles (memoised along the walked path)."""
    path: list[str] = []
    found: str | None = None
    cur = code
    while cur is not None:
        if cur in memo:
            found = memo[cur]
            break
        unit = units.get(cur)
        if unit is None or cur in path:  # dangling parent or a loop: no compiler
            break
        if unit.compiles:
            found = cur
            break
        path.append(cur)
        cur = unit.parent
    for c in path:
        memo[c] = found
    if found is not None:
        memo[found] = found
    return found


def children_map(units: Mapping[str, _Node]) -> dict[str, list[str]]:
    """Parent code → its children's codes, sorted."""
    children: dict[str, list[str]] = {}
    for code, unit in units.items():
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(code)
    return {k: sorted(v) for k, v in children.items()}


def subtree(
    units: Mapping[str, _Node], root: str, children: Mapping[str, list[str]] | None = None
) -> list[str]:
    """``root`` and every unit below it, parents before children. Pass ``children`` to reuse it."""
    children = children_map(units) if children is None else children
    out: list[str] = []
    stack, seen = [root], set()
    while stack:
        code = stack.pop()
        if code in seen:
            continue
        seen.add(code)
        out.append(code)
        stack.extend(reversed(children.get(code, [])))
    return out


def is_below(units: Mapping[str, _Node], code: str, ancestor: str) -> bool:
    """Is ``code`` strictly below ``ancestor``? (walks up, O(depth))."""
    seen: set[str] = set()
    unit = units.get(code)
    while unit is not None and unit.parent is not None and unit.parent not in seen:
        if unit.parent == ancestor:
            return True
        seen.add(unit.parent)
        unit = units.get(unit.parent)
    return False
