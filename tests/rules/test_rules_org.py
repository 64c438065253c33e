"""The org tree file, its checks, and the walks (compilers, subtrees) on big trees."""

from __future__ import annotations

import unicodedata

import pytest

from danvan.demo.sample import sample_dir
from danvan.rules.domain import OrgUnit
from danvan.rules.formats import load_document
from danvan.rules.org import (
    UnitSpec,
    check_tree,
    children_map,
    compilers_for,
    effective_unit,
    is_below,
    parse_org,
    subtree,
)
from tests.helpers import DATA
from tests.helpers.rules import rejects

ROOT = {"code": "QNG", "name": "Ủy ban nhân dân tỉnh", "kind": "province"}


def _units(*extra: dict) -> dict:
    return {"units": [ROOT, *extra]}


def _sample_specs() -> list[UnitSpec]:
    path = sample_dir() / "org.yaml"
    return parse_org(load_document(path.name, path.read_bytes()), path.name)


def test_sample_province_is_a_valid_tree() -> None:
    specs = _sample_specs()
    check_tree(specs, {})
    units = {s.code: effective_unit(s) for s in specs}
    assessed = [u for u in units.values() if u.assessed and u.active]
    assert len(assessed) >= 25
    assert [u.code for u in units.values() if not u.active] == ["QNG.BSN.X11"]
    assert {u.kind for u in units.values()} >= {"province", "department", "district", "commune"}
    compilers = compilers_for(units)
    assert compilers["QNG.BSN.X07"] == "QNG.BSN"
    assert compilers["QNG.P01"] == "QNG"  # two-tier: a commune straight under the province
    assert compilers["QNG"] is None
    # placeholders that never reach a real mail server (port 9 refuses at once)
    assert all(c.startswith("json://127.0.0.1:9/") for u in units.values() for c in u.contacts)
    assert not units["QNG.STH.X05"].contacts  # one unit without a contact, as in real trees


@pytest.mark.parametrize(
    ("kind", "assessed", "compiles"),
    [
        ("province", False, True),
        ("district", True, True),
        ("department", True, False),
        ("district_office", True, False),
        ("commune", True, False),
        ("agency", True, False),
    ],
)
def test_defaults_by_kind(kind: str, assessed: bool, compiles: bool) -> None:
    unit = effective_unit(UnitSpec(code="X", name="X", kind=kind))
    assert (unit.assessed, unit.compiles, unit.active) == (assessed, compiles, True)


def test_explicit_flags_override_defaults() -> None:
    spec = UnitSpec(code="X", name="X", kind="district", assessed=False, compiles=False)
    unit = effective_unit(spec)
    assert (unit.assessed, unit.compiles) == (False, False)


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        ([1, 2], "not_a_mapping", ""),
        ("units", "not_a_mapping", ""),
        ({"units": {"code": "QNG"}}, "not_a_list", "units"),
        ({"units": []}, "empty_org", "units"),
        ({"unit": []}, "unknown_field", "unit"),
        (_units(["QNG.SNV"]), "not_a_mapping", "units[1]"),
        (_units({"code": "A", "name": "A", "kind": "department", "parent": "QNG", "typ": 1}),
         "unknown_field", "units[1].typ"),
        (_units({"name": "Sở Nội vụ", "kind": "department", "parent": "QNG"}),
         "missing_field", "units[1].code"),
        (_units({"code": "A", "kind": "department", "parent": "QNG"}),
         "missing_field", "units[1].name"),
        (_units({"code": "A", "name": "  ", "kind": "department", "parent": "QNG"}),
         "missing_field", "units[1].name"),
        (_units({"code": "A", "name": "A", "kind": "ward", "parent": "QNG"}),
         "unknown_kind", "units[1].kind"),
        (_units({"code": "A", "name": "A", "parent": "QNG"}), "unknown_kind", "units[1].kind"),
        (_units({"code": ["A"], "name": "A", "kind": "commune", "parent": "QNG"}),
         "not_text", "units[1].code"),
        (_units({"code": "A", "name": 5, "kind": "commune", "parent": "QNG"}),
         "not_text", "units[1].name"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG", "assessed": "maybe"}),
         "not_boolean", "units[1].assessed"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG", "active": 2}),
         "not_boolean", "units[1].active"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG", "contacts": 5}),
         "not_a_list", "units[1].contacts"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG", "contacts": [5]}),
         "invalid_contact", "units[1].contacts[0]"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG",
                 "contacts": ["snv@example.gov.vn"]}),
         "invalid_contact", "units[1].contacts[0]"),
        (_units({"code": "A", "name": "A", "kind": "commune", "parent": "QNG",
                 "contacts": ["mailto://ok@x.vn", "mailto:// space"]}),
         "invalid_contact", "units[1].contacts[1]"),
    ],
)  # fmt: skip
def test_parse_rejects(doc: object, code: str, field: str) -> None:
    rejects(lambda: parse_org(doc, "org.yaml"), code, field)


def test_parse_rejection_names_the_file() -> None:
    with pytest.raises(Exception) as info:
        parse_org({"units": "x"}, "org.yaml")
    assert "org.yaml" in str(info.value)


def test_spreadsheet_rows_with_vietnamese_headers_and_split_contacts() -> None:
    rows = [
        {"mã": "QNG", "tên": "UBND tỉnh", "loại": "province", "stt": 1},
        {"code": " QNG.X1 ", "name": "UBND xã", "kind": "commune", "cấp trên": "QNG",
         "liên hệ": "mailto://a@x.vn;\nmailto://b@x.vn, json://127.0.0.1:8000",
         "assessed": "x", "compiles": "không", "active": None},
    ]  # fmt: skip
    root, commune = parse_org(rows, "org.xlsx")
    assert root.parent is None and root.assessed is None
    assert commune.code == "QNG.X1" and commune.parent == "QNG"
    assert commune.contacts == ("mailto://a@x.vn", "mailto://b@x.vn", "json://127.0.0.1:8000")
    assert (commune.assessed, commune.compiles, commune.active) == (True, False, True)


def _spec(code: str, parent: str | None, kind: str = "commune", **kw: object) -> UnitSpec:
    return UnitSpec(code=code, name=f"Đơn vị {code}", kind=kind, parent=parent, **kw)  # type: ignore[arg-type]


PROVINCE = _spec("QNG", None, "province")


@pytest.mark.parametrize(
    ("specs", "existing", "code", "field"),
    [
        ([PROVINCE, _spec("A", "QNG"), _spec("A", "QNG")], {}, "duplicate_code", "units[2].code"),
        ([PROVINCE, _spec("A", "QNX")], {}, "unknown_parent", "units[1].parent"),
        ([PROVINCE, _spec("A", "B"), _spec("B", "A")], {}, "cycle", "units[1].parent"),
        ([PROVINCE, _spec("A", "A")], {}, "cycle", "units[1].parent"),
        ([_spec("QNG", "HGI", "province")], {"HGI": PROVINCE}, "province_has_parent",
         "units[0].parent"),
        ([PROVINCE, _spec("A", None, "department")], {}, "parent_required", "units[1].parent"),
        ([PROVINCE, _spec("A", "QNG", "hamlet")], {}, "unknown_kind", "units[1].kind"),
        ([PROVINCE, UnitSpec(code="", name="", kind="commune", parent="QNG")], {},
         "missing_field", "units[1].name"),
        ([PROVINCE, _spec("A", "QNG", contacts=("tel:123",))], {}, "invalid_contact",
         "units[1].contacts[0]"),
        # re-import: moving a stored unit under its own descendant closes a loop
        ([_spec("D", "C", "district")], {"QNG": PROVINCE, "D": _spec("D", "QNG", "district"),
                                         "C": _spec("C", "D")}, "cycle", "units[0].parent"),
    ],
)  # fmt: skip
def test_check_tree_rejects(specs: list, existing: dict, code: str, field: str) -> None:
    rejects(lambda: check_tree(specs, existing), code, field)


def test_check_tree_accepts_parents_already_stored() -> None:
    existing = {"QNG": effective_unit(PROVINCE)}
    check_tree([_spec("QNG.X1", "QNG"), _spec("QNG.X1.T1", "QNG.X1", "agency")], existing)


def test_check_tree_lists_every_problem_at_once() -> None:
    specs = [PROVINCE, _spec("A", "Z"), _spec("A", "QNG", "hamlet")]
    with pytest.raises(Exception) as info:
        check_tree(specs, {})
    codes = {p.code for p in info.value.problems}  # type: ignore[attr-defined]
    assert codes == {"unknown_parent", "duplicate_code", "unknown_kind"}


def _unit(code: str, parent: str | None, compiles: bool = False) -> OrgUnit:
    return OrgUnit(code=code, name=code, kind="commune", parent=parent, compiles=compiles)


def test_compiler_is_the_nearest_strict_ancestor_that_compiles() -> None:
    units = {
        "P": _unit("P", None, compiles=True),
        "D": _unit("D", "P", compiles=True),
        "O": _unit("O", "D"),
        "O.1": _unit("O.1", "O"),
        "N": _unit("N", "P"),  # a district that does not compile: its units go to the province
        "N.1": _unit("N.1", "N"),
        "G": _unit("G", "ghost"),
    }
    assert compilers_for(units) == {
        "P": None, "D": "P", "O": "D", "O.1": "D", "N": "P", "N.1": "P", "G": None,
    }  # fmt: skip


def test_walks_scale_to_25000_units() -> None:
    units = {"P": _unit("P", None, compiles=True)}
    for d in range(250):
        units[f"D{d}"] = _unit(f"D{d}", "P", compiles=True)
        for c in range(99):
            units[f"D{d}.{c}"] = _unit(f"D{d}.{c}", f"D{d}")
    chain = {f"C{i}": _unit(f"C{i}", f"C{i - 1}" if i else "P") for i in range(5000)}
    units |= chain  # a 5,000-deep chain: nothing may recurse
    compilers = compilers_for(units)  # would overflow the stack if it recursed
    everything = subtree(units, "P")
    assert compilers["D7.42"] == "D7" and compilers["C4999"] == "P"
    assert len(everything) == len(units) and everything[0] == "P"


def test_subtree_children_and_is_below() -> None:
    units = {"P": _unit("P", None), "A": _unit("A", "P"), "B": _unit("B", "P"),
             "A1": _unit("A1", "A"), "A2": _unit("A2", "A")}  # fmt: skip
    assert children_map(units) == {"P": ["A", "B"], "A": ["A1", "A2"]}
    assert subtree(units, "A") == ["A", "A1", "A2"]
    assert subtree(units, "P") == ["P", "A", "A1", "A2", "B"]
    assert is_below(units, "A2", "P") and is_below(units, "A2", "A")
    assert not is_below(units, "A", "A") and not is_below(units, "B", "A")
    assert not is_below(units, "nowhere", "P")


def test_other_province_names_arrive_normalised() -> None:
    path = DATA / "other-province" / "org.yaml"
    raw = path.read_text(encoding="utf-8")
    assert "\u01a3" in raw and unicodedata.normalize("NFC", raw) != raw  # the file is awkward
    specs = parse_org(load_document(path.name, path.read_bytes()), path.name)
    check_tree(specs, {})
    names = {s.code: s.name for s in specs}
    assert names["HGI.PHH.X03"] == "Ủy ban nhân dân xã Phương Bình"
    assert all(unicodedata.is_normalized("NFC", n) and "\u01a3" not in n for n in names.values())
    units = {s.code: effective_unit(s) for s in specs}
    assert compilers_for(units)["HGI.SNV.TDKT"] == "HGI"  # below a department: the province
    assert not units["HGI.PHH.X04"].active
