"""Cơ cấu tổ chức: load or update the org tree (SPEC §3.1).

Units are matched by ``code``: re-importing updates them and never deletes one (a unit missing
from the file simply stays; merged or abolished units are marked ``active: false`` and keep their
history). Every change is a dated record (``unit_version``): the tree of any date can be read
back, and a published cycle's tree is never written over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from danvan.models import org_scope, store
from danvan.models.db import get_engine, transaction
from danvan.models.tables import Unit, UnitVersion
from danvan.rules.domain import OrgUnit
from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.org import UnitSpec, check_tree, effective_unit, parse_org
from danvan.rules.org_history import change_date, check_mergers, check_not_frozen
from danvan.tasks.files import limits, read_input, xlsx_limits
from danvan.tasks.guard import guarded


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
    return guarded(path, lambda: _import_org(path, at, actor, effective))


def _import_org(path: str, at: datetime, actor: str, effective: date | None) -> OrgImport:
    name, data = read_input(path)
    bounds = limits()
    doc = load_document(name, data, xlsx_limits("org"), limits=bounds, rows=bounds.max_org_rows)
    specs = parse_org(doc, path)
    with transaction(get_engine()) as session:
        # Two imports at once: the second waits here, then reads what the first recorded.
        store.lock_provinces(session=session, codes=_reached(session, specs)[1])
        found, roots = _reached(session, specs)  # again, after the lock: what the first recorded
        base = org_scope.provinces_org(session=session, roots=roots, found=found, on=effective)
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


def _reached(session: Session, specs: list[UnitSpec]) -> tuple[org_scope.Reach, set[str]]:
    """The file's units and those it names (parents, successors, predecessors) as they stand,
    and the provinces all of them stand in, now and after the file: the import locks those and
    checks the file against their trees only (a province's import never reads the others')."""
    named = {c for s in specs for c in (s.parent, s.merged_into, *s.predecessors) if c}
    found = org_scope.reach(session=session, codes={s.code for s in specs} | named)
    after = found.parent | {s.code: s.parent for s in specs}
    codes = [s.code for s in specs] + sorted(named)
    roots = {found.top(c, tree) for c in codes for tree in (found.parent, after) if c in tree}
    return found, roots


def _record(
    session: Session,
    specs: list[UnitSpec],
    at: datetime,
    effective: date | None,
    state: dict[str, OrgUnit],
) -> OrgImport:
    """Write a dated record for every unit that changed; contacts are current-only.

    Set-based: new units and new records in bulk inserts, amended ones in bulk updates.
    """
    contacts_now = org_scope.contacts_of(session=session, codes=[s.code for s in specs])
    created = [s.code for s in specs if s.code not in contacts_now]
    is_new = set(created)  # membership per unit: a list here made the import quadratic
    store.bulk_insert(
        session=session,
        model=Unit,
        rows=[{"code": s.code, "updated_at": at, "contacts": list(s.contacts)} | _mirror(s, None)
              for s in specs if s.code in is_new],
    )  # fmt: skip
    named = {c for s in specs for c in (s.code, s.parent, s.merged_into) if c}
    ids = org_scope.unit_ids(session=session, codes=named)
    mine = [ids[s.code] for s in specs]
    prior = org_scope.unit_records(session=session, ids=mine, on=effective)
    latest_from = (
        {uid: r["valid_from"] for uid, r in prior.items()}
        if effective is None
        else org_scope.latest_record_dates(session=session, ids=mine)
    )
    frozen = store.published_cut_offs(session=session)
    changes, touched = [], {}
    for i, spec in enumerate(specs):
        uid = ids[spec.code]
        record = _values(spec, ids)
        old = prior.get(uid)
        fz = frozen.get(_root(spec.code, state))
        on = change_date(
            asked=effective,
            current_from=latest_from.get(uid),
            frozen_until=fz.cut_off if fz else None,
        )
        if old is None or any(old[k] != v for k, v in record.items()):
            changes.append((i, spec.code, on, fz, old, record))
        if spec.code not in is_new and contacts_now[spec.code] != list(spec.contacts):
            touched[uid] = {"id": uid, "contacts": list(spec.contacts), "updated_at": at}
    check_not_frozen((i, code, on, fz) for i, code, on, fz, *_ in changes)
    new, amended = [], []
    for _, code, on, _, old, record in changes:
        uid = ids[code]
        if old is not None and old["valid_from"] == on:  # the same date again: amend it
            amended.append({"id": old["id"], "recorded_at": at} | record)
        else:
            new.append({"unit_id": uid, "valid_from": on, "recorded_at": at} | record)
        if on >= latest_from.get(uid, on):  # the newest record: the unit row mirrors it
            mirror = {k: record[k] for k in _MIRROR}
            touched[uid] = touched.get(uid, {"id": uid}) | mirror | {"updated_at": at}
    store.bulk_insert(session=session, model=UnitVersion, rows=new)
    store.bulk_update(session=session, model=UnitVersion, rows=amended)
    store.bulk_update(session=session, model=Unit, rows=touched.values())
    changed = {code for _, code, *_ in changes} | {c for c, uid in ids.items() if uid in touched}
    updated = [s.code for s in specs if s.code not in is_new and s.code in changed]
    unchanged = len(specs) - len(created) - len(updated)
    return OrgImport(file="", created=created, updated=updated, unchanged=unchanged)


#: The unit row's copy of its latest record (contacts are not history: today's address counts).
_MIRROR = ("name", "kind", "assessed", "compiles", "active", "parent_id")


def _mirror(spec: UnitSpec, parent_id: int | None) -> dict:
    return {k: getattr(spec, k) for k in _MIRROR if k != "parent_id"} | {"parent_id": parent_id}


def _values(spec: UnitSpec, ids: dict[str, int]) -> dict:
    """What a dated record holds."""
    return {
        "name": spec.name,
        "kind": spec.kind,
        "parent_id": ids[spec.parent] if spec.parent else None,
        "assessed": spec.assessed,
        "compiles": spec.compiles,
        "active": spec.active,
        "merged_into_id": ids[spec.merged_into] if spec.merged_into else None,
        "predecessors": list(spec.predecessors),
    }


def _root(code: str, state: dict[str, OrgUnit]) -> str:
    """The top of ``code``'s tree (its province), walking parents at the file's date."""
    seen = {code}
    while (parent := state[code].parent) is not None and parent in state and parent not in seen:
        seen.add(parent)
        code = parent
    return code
