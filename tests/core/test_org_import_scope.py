"""Issue 20: ``org import`` reads only what its file reaches (its units, the units they name, the
provinces those stand in), and still answers as it did when it read the whole country: a code
used in another province is that unit, a parent or successor in another province is found, an
unknown one is refused, and the same file again changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from danvan.models.db import get_engine, reading
from danvan.models.store import load_org
from danvan.rules.errors import Rejected
from danvan.rules.timing import parse_instant
from danvan.tasks.org import import_org

AT = parse_instant("2024-02-17T09:00", "Asia/Ho_Chi_Minh")


def province(code: str, districts: int = 2) -> list[dict]:
    units = [{"code": code, "name": f"Tỉnh {code}", "kind": "province"}]
    for d in range(1, districts + 1):
        units.append({"code": f"{code}.H{d}", "name": f"Huyện {d} tỉnh {code}",
                      "kind": "district", "parent": code})  # fmt: skip
        for x in range(1, 3):
            units.append({"code": f"{code}.H{d}.X{x}", "name": f"Xã {x} huyện {d} tỉnh {code}",
                          "kind": "commune", "parent": f"{code}.H{d}"})  # fmt: skip
    return units


def imported(tmp: Path, name: str, units: list[dict], at: datetime = AT) -> dict:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps({"units": units}, ensure_ascii=False), "utf-8")
    return import_org(str(path), at).to_dict()


def parent_of(code: str) -> str | None:
    with reading(get_engine()) as s:
        return load_org(session=s).units[code].parent


def test_an_import_reaches_other_provinces_only_through_its_codes(
    db_url: str, tmp_path: Path
) -> None:
    assert imported(tmp_path, "a", province("AAA"))["created"] == 7
    assert imported(tmp_path, "b", province("BBB"))["created"] == 7
    # the same file again: nothing changes, whatever else the database holds
    again = imported(tmp_path, "b2", province("BBB"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 7)

    # a code of another province is that unit (moved here), never a second one
    moved = {"code": "AAA.H1.X1", "name": "Xã 1 huyện 1 tỉnh AAA", "kind": "commune",
             "parent": "BBB.H1"}  # fmt: skip
    r = imported(tmp_path, "move", [moved])
    assert (r["created"], r["updated_codes"]) == (0, ["AAA.H1.X1"])
    assert parent_of("AAA.H1.X1") == "BBB.H1"

    # a parent in another province is found; a parent nowhere is refused
    new = {"code": "BBB.H1.X9", "name": "Xã mới", "kind": "commune", "parent": "AAA.H2"}
    assert imported(tmp_path, "cross", [new])["created_codes"] == ["BBB.H1.X9"]
    with pytest.raises(Rejected) as caught:
        imported(tmp_path, "bad", [new | {"code": "BBB.H1.X8", "parent": "CCC.H1"}])
    assert [p.code for p in caught.value.problems] == ["unknown_parent"]

    # a merger into a unit of another province holds together as before
    merged = {"code": "BBB.H2.X2", "name": "Xã 2 huyện 2 tỉnh BBB", "kind": "commune",
              "parent": "BBB.H2", "active": False, "merged_into": "AAA.H2.X1"}  # fmt: skip
    successor = {"code": "AAA.H2.X1", "name": "Xã 1 huyện 2 tỉnh AAA", "kind": "commune",
                 "parent": "AAA.H2", "predecessors": ["BBB.H2.X2"]}  # fmt: skip
    r = imported(tmp_path, "merge", [merged, successor])
    assert sorted(r["updated_codes"]) == ["AAA.H2.X1", "BBB.H2.X2"]
    # …and a successor that does not exist is refused
    with pytest.raises(Rejected):
        imported(tmp_path, "merge-bad", [merged | {"code": "BBB.H1.X2", "merged_into": "ZZZ"}])
