"""Issue 20: ``status`` keeps the province's tree per process (``cached_context``), and a kept
tree is never stale: every ``org import`` is seen by the next read, even one dated before the
tree's newest change (``--at`` in the past leaves the newest ``updated_at`` as it was).
"""

from __future__ import annotations

import copy
from pathlib import Path

from danvan.models.context import cached_context
from danvan.models.db import get_engine, reading
from danvan.rules.timing import parse_instant
from danvan.tasks.views import cycle_status
from tests.helpers.cycle import write
from tests.helpers.hgi import ORG, setup_province

NOW = parse_instant("2024-11-20T08:00", "Asia/Ho_Chi_Minh")


def names() -> dict[str, str]:
    with reading(get_engine()) as s:
        doc = cycle_status(s, year=2024, at=NOW)
    return {u["code"]: u["name"] for u in doc["units"]}


def kept_tree() -> object:
    with reading(get_engine()) as s:
        return cached_context(s, 2024).org


def test_a_kept_tree_follows_every_org_import(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)  # the tree imported at the wall clock's now
    first = names()
    assert names() == first and kept_tree() is kept_tree()  # kept between reads

    renamed = copy.deepcopy(ORG)
    for unit in renamed["units"]:
        if unit["code"] == "HGI.VT":
            unit["name"] = "Ủy ban nhân dân thành phố Vị Thanh (mới)"
    write(tmp_path / "org-2.yaml", renamed)
    r = cli("org", "import", tmp_path / "org-2.yaml", "--at", "2024-12-01T08:00")
    assert r.exit_code == 0, r.stdout + r.stderr
    after = names()
    assert after["HGI.VT"] == "Ủy ban nhân dân thành phố Vị Thanh (mới)"
    assert {c: n for c, n in after.items() if c != "HGI.VT"} == {
        c: n for c, n in first.items() if c != "HGI.VT"
    }
