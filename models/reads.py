"""The reads a cycle's standing is made of, as SQL text: no table class, no SQLAlchemy.

Why: ``danvan status`` is a read, and importing SQLModel's 24 table classes (pydantic builds a
model per table) was a fifth of the command's time, SQLAlchemy itself a third (issue 20: the
command ≤ 0.5 s). The statements are written once in :mod:`danvan.models.sqltext`, which runs
them through a SQLAlchemy session or the DB-API alike (values come back as the tables' column
types gave them: dates, instants in UTC, JSON); ``tests/storage/test_sqltext.py`` compares both. Every door reads the tree, the cycle, the versions that
count, the adjustments, the returns, the flags' marks and the outbox through here, as before
through ``models.store`` and ``models.versions`` (which re-export what moved).

Like :mod:`danvan.models.store`, every function is *given* a session and never opens one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol

from danvan.models import jsontext, sqltext
from danvan.models.sqltext import run
from danvan.rules.domain import OrgUnit
from danvan.rules.org import unit_with_defaults


class Reader(Protocol):
    """What the reads take: a session (SQLModel's, the portal's), the command's
    :class:`danvan.models.db.RowReader` (one connection, no ``sqlalchemy.orm`` imported) or
    :class:`danvan.models.dbapi.LightReader` (the DB-API, no SQLAlchemy at all): the
    connection to run statements on (:func:`danvan.models.sqltext.run`), a dictionary kept for
    the transaction, the transaction (what a kept read belongs to) and the engine (what a
    process's caches are keyed by)."""

    @property
    def info(self) -> dict[Any, Any]: ...

    def connection(self) -> Any: ...

    def get_transaction(self) -> Any: ...

    def get_bind(self) -> Any: ...


@dataclass
class CycleRow:
    """A cycle's row as plain values (the columns of ``models.tables.Cycle``, same names): what
    the reads of a cycle take, without the table class."""

    id: int | None
    province_id: int
    year: int
    title: str
    reference: str
    request: str
    issued_on: date
    issued_at: datetime
    timezone: str
    self_assessment_deadline: date
    district_compilation_deadline: date
    province_scoring_deadline: date
    reminders: dict[str, Any]
    criteria_by_kind: dict[str, str]
    plan_sha256: str
    published_at: datetime | None
    revision_days: int
    checks: list[dict[str, str]]


def find_cycle(
    *, session: Reader, year: int, province: str | None = None, unit: str | None = None
) -> CycleRow | None:
    """The cycle of ``year``: of ``province`` when given; else the only one of that year; else
    (several provinces share the database) the one whose tree ``unit`` is in, when a file names
    its unit. LookupError when it stays ambiguous."""
    if province:
        rows = run(session, sqltext.PROVINCE_CYCLE, {"year": year, "province": province})
    else:
        rows = run(session, sqltext.YEAR_CYCLES, {"year": year})
    cycles = [CycleRow(*r) for r in rows]
    if len(cycles) > 1 and unit:
        above = ancestors(session=session, code=unit)
        cycles = [c for c in cycles if c.province_id in above]
    if len(cycles) > 1:
        raise LookupError(f"several provinces have a {year} cycle: name one with --province")
    return cycles[0] if cycles else None


def previous_cycle(*, session: Reader, province_id: int, year: int) -> CycleRow | None:
    """The province's latest cycle before ``year``."""
    rows = run(session, sqltext.PREVIOUS_CYCLE, {"province_id": province_id, "year": year})
    return CycleRow(*rows[0]) if rows else None


def ancestors(*, session: Reader, code: str) -> set[int]:
    """The ids of ``code`` and of every unit ever above it (any dated record): a few index
    lookups up a tree of depth 2–4, whatever the size of the database."""
    return {i for (i,) in run(session, sqltext.ANCESTORS, {"code": code})}


def criteria_definitions(*, session: Reader, codes: Iterable[str]) -> dict[str, dict]:
    """Criteria set code → its stored definition."""
    stmt, params = sqltext.criteria_definitions(sorted(set(codes)))
    return {code: definition for code, definition in run(session, stmt, params)}


#: The tree's fingerprint (``models.context``).
TREE_FINGERPRINT = sqltext.TREE_FINGERPRINT


# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    """The tree at one date in memory: units by code, and the database ids of every unit.

    ``units`` holds the units that existed at that date (as they stood then); ``ids`` every unit
    ever recorded, so that a submission or message of any unit can be named.
    """

    units: dict[str, OrgUnit]
    ids: dict[str, int]

    @cached_property
    def codes_by_id(self) -> dict[int, str]:
        """Unit id → code, built once per tree (callers ask for it per row; read-only)."""
        return {i: c for c, i in self.ids.items()}


def load_org(*, session: Reader, on: date | None = None, province_id: int | None = None) -> Org:
    """The org tree valid on ``on`` (a local date; None: each unit's latest record); with
    ``province_id``, only that province's units (``sqltext.PROVINCE_SCOPE``: every unit ever,
    at any date, in its tree, walked down the parent of every dated record, so a unit moved to
    another province is in the scope of both; each step an index lookup, so a province's load
    costs what its own units cost, however many provinces share the database, SPEC §4).

    Two set-based queries whatever the size: every unit's id, code and contacts, and for each
    unit the record with the latest ``valid_from`` on or before ``on``.
    """
    scoped = province_id is not None
    params: dict[str, Any] = {"province_id": province_id} if scoped else {}
    identity = run(session, sqltext.org_identity(scoped), params)
    code_of = {uid: code for uid, code, _ in identity}
    contacts = {uid: _list(c) for uid, _, c in identity}
    if on is not None:
        params["on"] = on
    rows = run(session, sqltext.org_records(on is not None, scoped), params)
    units = {}
    for uid, name, kind, parent_id, assessed, compiles, active, merged_into_id, preds in rows:
        if parent_id is not None and parent_id not in code_of:
            continue  # in another province's tree on that date (moved there later or before)
        code = code_of[uid]
        units[code] = unit_with_defaults(
            code, name, kind, code_of.get(parent_id), contacts[uid], assessed, compiles, active,
            code_of.get(merged_into_id), _list(preds),
        )  # fmt: skip
    return Org(units=units, ids={code: uid for uid, code in code_of.items()})


def _list(value: Any) -> tuple:
    """A JSON list column's value as a tuple (text from SQLite, already a list from psycopg)."""
    if not value or value == "[]":
        return ()
    return tuple(jsontext.loads(value) if isinstance(value, str) else value)
