"""What every step of a cycle needs loaded at once: the cycle, the tree, compilers, criteria sets.

The tree is the one valid at the cycle's ``self_assessment`` deadline (SPEC §3.1): status,
reminders, compilation and ranking of 2023 see the three-tier tree even after the 2025 merger.

Loaded in a handful of queries and held in memory: a province is ≤ 1,000 units, the country
≈ 25,000, both far below what is worth paging.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from sqlalchemy import func
from sqlmodel import Session, select

from danvan.models import store
from danvan.models.tables import CriteriaSetRow, Cycle, Unit
from danvan.rules.criteria import criteria_from_dict
from danvan.rules.domain import CriteriaSet, OrgUnit
from danvan.rules.errors import reject
from danvan.rules.org import compilers_for, subtree
from danvan.rules.org_history import counted_elsewhere, stand_ins


@dataclass
class CycleContext:
    cycle: Cycle
    org: store.Org
    criteria_sets: dict[str, CriteriaSet]

    @property
    def units(self) -> dict[str, OrgUnit]:
        return self.org.units

    @property
    def tz(self) -> str:
        return self.cycle.timezone

    @property
    def province(self) -> str:
        return self.org.codes_by_id[self.cycle.province_id]

    @cached_property
    def compilers(self) -> dict[str, str | None]:
        return compilers_for(self.org.units)

    @cached_property
    def province_units(self) -> list[str]:
        """Every unit of the cycle's province (the province included)."""
        return subtree(self.org.units, self.province)

    @cached_property
    def stand_ins(self) -> dict[str, list[str]]:
        """Unit code → the codes whose previous-year figures count for it (itself first)."""
        return stand_ins(self.org.units, self.province_units)

    @cached_property
    def merged_units(self) -> set[str]:
        """Units counted through their successor (``merged_into``), never on their own."""
        return counted_elsewhere(self.org.units)

    def criteria_for(self, unit: OrgUnit) -> CriteriaSet:
        mapping = self.cycle.criteria_by_kind
        return self.criteria_sets[mapping.get(unit.kind) or mapping["default"]]

    def deadline(self, milestone: str) -> date:
        return getattr(self.cycle, f"{milestone}_deadline")

    @property
    def published(self) -> bool:
        return self.cycle.published_at is not None


def load_context(
    *, session: Session, year: int, province: str | None = None, field: str = "--cycle"
) -> CycleContext:
    """The cycle of ``year``; a clear rejection when no plan was issued for it.

    ``field`` names where the year came from: the ``--cycle`` option, or a file's ``year``.
    """
    try:
        cycle = store.find_cycle(session=session, year=year, province=province)
    except LookupError as exc:
        raise reject("ambiguous_cycle", field, f"Có nhiều tỉnh cùng kỳ {year}: {exc}") from exc
    if cycle is None:
        if field == "year":
            raise reject(
                "wrong_year",
                field,
                f"Không có kỳ đánh giá năm {year}: kiểm tra lại năm ghi trong tệp.",
            )
        raise reject(
            "unknown_cycle",
            field,
            f"Chưa ban hành kế hoạch năm {year} (chạy 'danvan plan issue' trước).",
        )
    codes = set(cycle.criteria_by_kind.values())
    rows = session.exec(select(CriteriaSetRow).where(CriteriaSetRow.code.in_(codes))).all()
    sets = {r.code: criteria_from_dict(r.definition) for r in rows}
    org = store.load_org(session=session, on=cycle.self_assessment_deadline)
    return CycleContext(cycle=cycle, org=org, criteria_sets=sets)


_lock = threading.Lock()
_cache: dict[tuple, CycleContext] = {}


def cached_context(session: Session, year: int) -> CycleContext:
    """``load_context(year)``, from the cache while the tree is unchanged (the portal's pages and
    uploads: loading 1,000 units on every request is most of a request's time, and the tree
    changes only with ``org import``). The cache is keyed by a fingerprint read in one small
    query, the newest ``updated_at`` and the number of units; the cycle row is always read fresh
    (its publication matters at once)."""
    newest, count = session.exec(select(func.max(Unit.updated_at), func.count(Unit.id))).one()
    key = (str(session.get_bind().engine.url), year, str(newest), count)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = load_context(session=session, year=year)
        _ = cached.compilers, cached.province_units  # computed once, shared by every copy
        with _lock:
            _cache.clear()  # one tree at a time: an import makes the old one useless
            _cache[key] = cached
    cycle = session.get(Cycle, cached.cycle.id)
    assert cycle is not None
    session.expunge(cycle)
    fresh = replace(cached, cycle=cycle)
    fresh.__dict__.update(
        {k: cached.__dict__[k] for k in ("compilers", "province_units") if k in cached.__dict__}
    )
    return fresh
