"""Cơ cấu tổ chức: load or update the org tree (SPEC §3.1).

Units are matched by ``code``: re-importing updates them and never deletes one (a unit missing
from the file simply stays; merged or abolished units are marked ``active: false`` and keep their
history). Every change is a dated record (``unit_version``): the tree of any date can be read
back, and a published cycle's tree is never written over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from danvan.db import get_engine, transaction
from danvan.models import store
from danvan.models.tables import Unit, UnitVersion
from danvan.rules.domain import OrgUnit
from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.org import UnitSpec, check_tree, effective_unit, parse_org
from danvan.rules.org_history import change_date, check_mergers, check_not_frozen
from danvan.tasks.files import read_input, xlsx_limits


@dataclass
class OrgImport:
    file: str
    created: list[str]
    updated: list[str]
    unchanged: int

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "created_codes": self.created,
            "updated_codes": self.updated,
        }


def import_org(
    path: str, at: datetime, actor: str = "cli", effective: date | None = None
) -> OrgImport:
    """Validate the whole file against the tree at its date, then write it in one transaction.

    ``effective`` (``--effective``): the date the file's changes take effect; without it an
    import corrects each unit's latest record, never reaching into a published cycle's tree
    (:func:`danvan.rules.org_history.change_date`).
    """
    name, data = read_input(path)
    specs = parse_org(load_document(name, data, xlsx_limits("org")), path)
    with transaction(get_engine()) as session:
        base = store.load_org(session=session, on=effective)
        try:
            check_tree(specs, base.units)
            state = dict(base.units) | {s.code: effective_unit(s) for s in specs}
            check_mergers([s.code for s in specs], state)
            result = _record(session, specs, at, effective, state)
        except Rejected as exc:
            raise exc.with_file(path) from None
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="org_import",
            entity="org",
            key=name,
            sha256=store.sha256(data),
            effective=effective.isoformat() if effective else None,
            created=result.created,
            updated=result.updated,
        )
    result.file = path
    return result


def _record(
    session: Session,
    specs: list[UnitSpec],
    at: datetime,
    effective: date | None,
    state: dict[str, OrgUnit],
) -> OrgImport:
    """Write a dated record for every unit that changed; contacts are current-only."""
    rows = {r.code: r for r in session.exec(select(Unit)).all()}
    prior = store.unit_records(session=session, on=effective)
    latest_from = (
        {r.unit_id: r.valid_from for r in prior.values()}
        if effective is None
        else store.latest_record_dates(session=session)
    )
    frozen = store.published_cut_offs(session=session)
    created = [s.code for s in specs if s.code not in rows]
    for spec in specs:
        if spec.code not in rows:
            rows[spec.code] = Unit(code=spec.code, name=spec.name, kind=spec.kind, updated_at=at)
            session.add(rows[spec.code])
    session.flush()  # every unit has its id: parents can now be linked
    ids = {code: row.id for code, row in rows.items()}
    changes, updated = [], []
    for i, spec in enumerate(specs):
        row = rows[spec.code]
        assert row.id is not None
        record = _values(spec, ids)
        old = prior.get(row.id)
        fz = frozen.get(_root(spec.code, state))
        on = change_date(
            asked=effective,
            current_from=latest_from.get(row.id),
            frozen_until=fz.cut_off if fz else None,
        )
        if old is None or _values_of(old) != record:
            changes.append((i, spec.code, on, fz, row, old, record))
        if row.contacts != list(spec.contacts) and spec.code not in created:
            updated.append(spec.code)
        row.contacts = list(spec.contacts)
    check_not_frozen((i, code, on, fz) for i, code, on, fz, *_ in changes)
    new_records = []
    for _, code, on, _, row, old, record in changes:
        if old is not None and old.valid_from == on:  # the same date again: amend that record
            for k, v in record.items():
                setattr(old, k, v)
            old.recorded_at = at
        else:
            new_records.append({"unit_id": row.id, "valid_from": on, "recorded_at": at} | record)
        if on >= latest_from.get(row.id, on):  # the newest record: the unit row mirrors it
            for k in _MIRROR:
                setattr(row, k, record[k])
            row.updated_at = at
        if code not in created and code not in updated:
            updated.append(code)
    session.flush()
    store.bulk_insert(session=session, model=UnitVersion, rows=new_records)
    unchanged = len(specs) - len(created) - len(updated)
    return OrgImport(file="", created=created, updated=updated, unchanged=unchanged)


#: What a dated record holds (contacts are not history: a message goes to today's address).
_RECORD = ("name", "kind", "assessed", "compiles", "active", "parent_id", "merged_into_id")
_MIRROR = ("name", "kind", "assessed", "compiles", "active", "parent_id")


def _values(spec: UnitSpec, ids: dict[str, int | None]) -> dict:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "assessed": spec.assessed,
        "compiles": spec.compiles,
        "active": spec.active,
        "parent_id": ids[spec.parent] if spec.parent else None,
        "merged_into_id": ids[spec.merged_into] if spec.merged_into else None,
        "predecessors": list(spec.predecessors),
    }


def _values_of(row: UnitVersion) -> dict:
    return {k: getattr(row, k) for k in (*_RECORD, "predecessors")}


def _root(code: str, state: dict[str, OrgUnit]) -> str:
    """The top of ``code``'s tree (its province), walking parents at the file's date."""
    seen = {code}
    while (parent := state[code].parent) is not None and parent in state and parent not in seen:
        seen.add(parent)
        code = parent
    return code
