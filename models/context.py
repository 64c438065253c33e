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
from typing import TYPE_CHECKING

from danvan.config.settings import get_settings
from danvan.models import reads
from danvan.models.reads import CycleRow, Org, Reader
from danvan.models.sqltext import run
from danvan.rules.criteria_store import criteria_from_dict
from danvan.rules.domain import CriteriaSet, OrgUnit
from danvan.rules.errors import reject
from danvan.rules.org import compilers_for, subtree
from danvan.rules.org_history import counted_elsewhere, stand_ins

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from danvan.models.tables import Cycle


@dataclass
class CycleContext:
    """``cycle`` is the table row where the context was loaded to write (:func:`load_context`),
    its plain values where it was loaded to read (:func:`cached_context`: ``status``, the
    portal's pages; no table class imported, issue 20)."""

    cycle: Cycle | CycleRow
    org: Org
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
    def in_province(self) -> frozenset[str]:
        """:attr:`province_units` as a set, for asking whether a unit is one: ``in`` on the
        list walks it, and intake asks once per file (a 25,000-unit batch: 25,000 walks of
        25,000 codes, a fifth of each file's time)."""
        return frozenset(self.province_units)

    @cached_property
    def stand_ins(self) -> dict[str, list[str]]:
        """Unit code → the codes whose previous-year figures count for it (itself first)."""
        return stand_ins(self.org.units, self.province_units)

    @cached_property
    def merged_units(self) -> set[str]:
        """Units counted through their successor (``merged_into``), never on their own."""
        return counted_elsewhere(self.org.units)

    def criteria_for(self, unit: OrgUnit) -> CriteriaSet:
        by_kind = self.__dict__.setdefault("_criteria_by_kind", {})  # asked once per unit
        if unit.kind not in by_kind:
            mapping = self.cycle.criteria_by_kind
            by_kind[unit.kind] = self.criteria_sets[mapping.get(unit.kind) or mapping["default"]]
        return by_kind[unit.kind]

    def deadline(self, milestone: str) -> date:
        return getattr(self.cycle, f"{milestone}_deadline")

    @property
    def published(self) -> bool:
        """Published *now*, whenever that was: what a write asks (nothing is accepted into a
        published cycle). A view as at an instant asks ``rules.publication.published_by``."""
        return self.cycle.published_at is not None


def load_context(
    *,
    session: Session,
    year: int,
    province: str | None = None,
    field: str = "--cycle",
    unit: str | None = None,
) -> CycleContext:
    """The cycle of ``year``; a clear rejection when no plan was issued for it.

    ``field`` names where the year came from: the ``--cycle`` option, or a file's ``year``.
    Several provinces in one database (SPEC §4): see :func:`find_context_cycle`. Only the
    cycle's province's units are loaded (``danvan.models.sqltext.PROVINCE_SCOPE``).
    """
    cycle = find_context_cycle(session, year, province=province, field=field, unit=unit)
    return _context_of(session, cycle)


def find_context_cycle(
    session: Session,
    year: int,
    *,
    province: str | None = None,
    field: str = "--cycle",
    unit: str | None = None,
) -> Cycle:
    """The cycle of ``year`` as its table row (a writer changes it): the one :func:`cycle_row`
    finds, read by its key."""
    from danvan.models.tables import Cycle  # lazy: the readers (status) import no table class

    row = cycle_row(session, year, province=province, field=field, unit=unit)
    cycle = session.get(Cycle, row.id)
    assert cycle is not None  # found in this transaction a moment ago; cycles are never deleted
    return cycle


def cycle_row(
    session: Reader,
    year: int,
    *,
    province: str | None = None,
    field: str = "--cycle",
    unit: str | None = None,
) -> CycleRow:
    """The cycle of ``year``: ``province``'s, else the ``DANVAN_PROVINCE`` setting's (what
    ``--province`` sets), else the only one of that year, else that of the province ``unit`` (a
    file's or a page's unit) belongs to; still several: ``[ambiguous_cycle]``, naming
    ``--province`` (the CLI answers it as a usage error)."""
    province = province or get_settings().province
    try:
        cycle = reads.find_cycle(session=session, year=year, province=province, unit=unit)
    except LookupError:
        raise reject(
            "ambiguous_cycle",
            "--province",
            f"Có nhiều tỉnh cùng có kỳ đánh giá năm {year}: chọn một tỉnh bằng --province MÃ.",
        ) from None
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
            f"Chưa ban hành kế hoạch năm {year}"
            + (f" của tỉnh {province}" if province else "")
            + " (chạy 'danvan plan issue' trước).",
        )
    return cycle


def _context_of(session: Reader, cycle: Cycle | CycleRow) -> CycleContext:
    codes = set(cycle.criteria_by_kind.values())
    sets = {
        code: criteria_from_dict(definition)
        for code, definition in reads.criteria_definitions(session=session, codes=codes).items()
    }
    on = cycle.self_assessment_deadline
    org = reads.load_org(session=session, on=on, province_id=cycle.province_id)
    return CycleContext(cycle=cycle, org=org, criteria_sets=sets)


def _loaded_for(cycle: Cycle | CycleRow) -> tuple:
    """What of the cycle :func:`_context_of` reads: the tree's date and the criteria sets."""
    return cycle.self_assessment_deadline, sorted(cycle.criteria_by_kind.items())


_lock = threading.Lock()
#: The tree's fingerprint.
_FINGERPRINT = reads.TREE_FINGERPRINT
#: (database, cycle id) → (the tree's fingerprint, its context): one entry per province's cycle.
_cache: dict[tuple, tuple[tuple, CycleContext]] = {}


def cached_context(session: Reader, year: int, unit: str | None = None) -> CycleContext:
    """``load_context(year)``, from the cache while the tree is unchanged (the portal's pages and
    uploads: loading 1,000 units on every request is most of a request's time, and the tree
    changes only with ``org import``). The cache is keyed by a fingerprint read in one small
    query: the newest ``updated_at``, the number of units and the last ``org import`` (its audit
    entry, written in the import's transaction: an import at an earlier ``--at`` leaves the newest
    ``updated_at`` as it was), and what of the cycle the context was loaded for (a plan
    amendment may move the deadline the tree is cut at, or name other criteria sets); the cycle
    row is always read fresh (its publication matters at once). ``unit``: the page's or file's unit, which names the
    province when several share the database (each province's cycle has its own entry)."""
    ((newest, count, last_import),) = run(session, _FINGERPRINT)
    cycle = cycle_row(session, year, unit=unit)
    key = (str(session.get_bind().engine.url), cycle.id)
    fingerprint = (str(newest), count, last_import)
    with _lock:
        hit = _cache.get(key)
    if (
        hit is not None
        and hit[0] == fingerprint
        and _loaded_for(hit[1].cycle) == _loaded_for(cycle)
    ):
        cached = hit[1]
    else:
        cached = _context_of(session, cycle)
        _ = cached.compilers, cached.province_units  # computed once, shared by every copy
        with _lock:
            for k in [k for k, (f, _) in _cache.items() if f != fingerprint]:
                del _cache[k]  # an import makes the old trees useless
            _cache[key] = (fingerprint, cached)
    fresh = replace(cached, cycle=cycle)
    fresh.__dict__.update(
        {
            k: cached.__dict__[k]
            for k in ("compilers", "province_units", "in_province")
            if k in cached.__dict__
        }
    )
    return fresh
