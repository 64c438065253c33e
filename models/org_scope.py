"""The part of the country an ``org import`` touches, read by code and id, never the whole tree.

Why: an import checked its file against every unit of the country (codes, contacts, dated
records), so one province's import cost grew with the others' (0.36 s alone, 3.59 s beside 24
other provinces of 1,000 units). Here every read is keyed by the file's own codes, the units
they name (parents, successors, predecessors) and the provinces those stand in: a province's
import costs what its own units cost (SPEC §4). Codes stay unique across the country: the unit
table's unique key says so, and a code already used anywhere is found by its code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from danvan.models.store import Org, load_org
from danvan.models.tables import Unit, UnitVersion

#: Ids or codes per ``IN (…)``: well under SQLite's and PostgreSQL's limits on parameters.
CHUNK = 5000


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


@dataclass
class Reach:
    """The units an import's file reaches, as the unit rows stand now (the current tree)."""

    ids: dict[str, int]  # code → id, for every code found and every ancestor of one
    parent: dict[str, str | None]  # code → its parent's code, now

    def top(self, code: str, parent_of: Mapping[str, str | None]) -> str:
        seen = {code}
        while (up := parent_of.get(code)) is not None and up not in seen:
            seen.add(up)
            code = up
        return code


def reach(*, session: Session, codes: Iterable[str]) -> Reach:
    """``codes`` and every ancestor of those that exist: one query per level of the tree."""
    ids: dict[str, int] = {}
    parent_id: dict[str, int | None] = {}
    code_of: dict[int, str] = {}
    wanted_codes: set[str] = set(codes)
    wanted_ids: set[int] = set()
    while wanted_codes or wanted_ids:
        rows: list[Any] = []
        for part in chunks(wanted_codes):
            rows += session.execute(
                sa_select(Unit.id, Unit.code, Unit.parent_id).where(col(Unit.code).in_(part))
            ).all()
        for part in chunks(wanted_ids):
            rows += session.execute(
                sa_select(Unit.id, Unit.code, Unit.parent_id).where(col(Unit.id).in_(part))
            ).all()
        for uid, code, up in rows:
            ids[code], parent_id[code], code_of[uid] = uid, up, code
        wanted_codes = set()
        wanted_ids = {up for up in parent_id.values() if up is not None and up not in code_of}
    parent = {code: code_of.get(up) if up is not None else None for code, up in parent_id.items()}
    return Reach(ids=ids, parent=parent)


def provinces_org(*, session: Session, roots: Iterable[str], found: Reach, on: date | None) -> Org:
    """The tree on ``on`` of the provinces ``roots`` (those that exist), as one :class:`Org`."""
    units: dict = {}
    ids: dict[str, int] = {}
    for root in sorted(roots):
        if root in found.ids:
            org = load_org(session=session, on=on, province_id=found.ids[root])
            units |= org.units
            ids |= org.ids
    return Org(units=units, ids=ids)


def unit_ids(*, session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Code → id of those of ``codes`` that exist."""
    out: dict[str, int] = {}
    for part in chunks(set(codes)):
        out |= dict(
            session.execute(sa_select(Unit.code, Unit.id).where(col(Unit.code).in_(part)))
            .tuples()
            .all()
        )
    return out


def contacts_of(*, session: Session, codes: Iterable[str]) -> dict[str, list]:
    """Code → today's contacts, for those of ``codes`` that exist."""
    out: dict[str, list] = {}
    for part in chunks(set(codes)):
        stmt = sa_select(Unit.code, Unit.contacts).where(col(Unit.code).in_(part))
        out |= {c: list(k or []) for c, k in session.execute(stmt)}
    return out


def _records_on(on: date | None, ids: list[int]) -> Any:
    """Each of ``ids``' record valid on ``on`` (None: its latest): (unit_id, valid_from)."""
    newest = sa_select(UnitVersion.unit_id, func.max(UnitVersion.valid_from).label("valid_from"))
    newest = newest.where(col(UnitVersion.unit_id).in_(ids))
    if on is not None:
        newest = newest.where(col(UnitVersion.valid_from) <= on)
    return newest.group_by(UnitVersion.unit_id).subquery()


_RECORD_COLUMNS = (
    "id", "unit_id", "valid_from", "name", "kind", "parent_id", "assessed", "compiles", "active",
    "merged_into_id", "predecessors",
)  # fmt: skip


def unit_records(
    *, session: Session, ids: Iterable[int], on: date | None = None
) -> dict[int, dict[str, Any]]:
    """Unit id → its record valid on ``on`` (None: its latest) as plain values (with its ``id``
    and ``valid_from``), for an import to compare and amend in bulk; ``ids``' units only."""
    v, out = UnitVersion, dict[int, dict[str, Any]]()
    for part in chunks(set(ids)):
        sub = _records_on(on, part)
        stmt = sa_select(*(getattr(v, c) for c in _RECORD_COLUMNS)).join(
            sub, (v.unit_id == sub.c.unit_id) & (v.valid_from == sub.c.valid_from)
        )
        out |= {row.unit_id: dict(row._mapping) for row in session.execute(stmt)}
    return out


def latest_record_dates(*, session: Session, ids: Iterable[int]) -> dict[int, date]:
    """Unit id → the date of its latest record, for ``ids``' units."""
    out: dict[int, date] = {}
    for part in chunks(set(ids)):
        sub = _records_on(None, part)
        out |= dict(session.execute(sa_select(sub.c.unit_id, sub.c.valid_from)).tuples().all())
    return out
