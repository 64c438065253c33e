"""Cơ cấu tổ chức: load or update the org tree (SPEC §3.1).

Units are matched by ``code``: re-importing updates them and never deletes one (a unit missing
from the file simply stays; merged or abolished units are marked ``active: false`` and keep their
history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from danvan.db import get_engine, transaction
from danvan.models import store
from danvan.models.tables import Unit
from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.org import UnitSpec, check_tree, parse_org
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


def import_org(path: str, at: datetime, actor: str = "cli") -> OrgImport:
    """Validate the whole file against the tree as it stands, then write it in one transaction."""
    return guarded(path, lambda: _import_org(path, at, actor))


def _import_org(path: str, at: datetime, actor: str) -> OrgImport:
    name, data = read_input(path)
    bounds = limits()
    doc = load_document(name, data, xlsx_limits("org"), limits=bounds, rows=bounds.max_org_rows)
    specs = parse_org(doc, path)
    with transaction(get_engine()) as session:
        existing = store.load_org(session=session)
        try:
            check_tree(specs, existing.units)
        except Rejected as exc:
            raise exc.with_file(path) from None
        result = _upsert(session, specs, at)
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="org_import",
            entity="org",
            key=name,
            sha256=store.sha256(data),
            created=result.created,
            updated=result.updated,
        )
    result.file = path
    return result


_FIELDS = ("name", "kind", "assessed", "compiles", "active")


def _upsert(session: Session, specs: list[UnitSpec], at: datetime) -> OrgImport:
    rows = {r.code: r for r in session.exec(select(Unit)).all()}
    created: list[str] = []
    updated: list[str] = []
    for spec in specs:
        row = rows.get(spec.code)
        values = {f: getattr(spec, f) for f in _FIELDS} | {"contacts": list(spec.contacts)}
        if row is None:
            row = Unit(code=spec.code, updated_at=at, **values)
            session.add(row)
            rows[spec.code] = row
            created.append(spec.code)
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = at
            updated.append(spec.code)
    session.flush()  # every unit has its id: parents can now be linked
    for spec in specs:
        row = rows[spec.code]
        parent_id = rows[spec.parent].id if spec.parent else None
        if row.parent_id != parent_id:
            row.parent_id = parent_id
            row.updated_at = at
            if spec.code not in created and spec.code not in updated:
                updated.append(spec.code)
    unchanged = len(specs) - len(created) - len(updated)
    return OrgImport(file="", created=created, updated=updated, unchanged=unchanged)
