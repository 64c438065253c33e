"""The reads a cycle's standing is made of, on light SQLAlchemy Core clauses: no table class.

Why: ``danvan status`` is a read, and importing SQLModel's 24 table classes (pydantic builds a
model per table) was a fifth of the command's time (issue 20: the command ≤ 0.5 s). The
clauses below name only the columns these reads use, with the types the tables give them (so
values come back alike: dates, instants, JSON); ``tests/doors/test_status_imports.py`` checks
them against :mod:`danvan.models.tables`. Every door reads the tree, the cycle, the versions that
count, the adjustments, the returns, the flags' marks and the outbox through here, as before
through ``models.store`` and ``models.versions`` (which re-export what moved).

Like :mod:`danvan.models.store`, every function is *given* a session and never opens one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    bindparam,
    column,
    func,
    select,
    table,
    type_coerce,
    types,
)
from sqlalchemy.engine import Connection

from danvan.models import jsontext
from danvan.rules.domain import OrgUnit
from danvan.rules.org import unit_with_defaults


class Reader(Protocol):
    """What the reads take: a session (SQLModel's, the portal's) or the command's
    :class:`danvan.models.db.RowReader` (one connection, no ``sqlalchemy.orm`` imported): the
    connection to run statements on, a dictionary kept for the transaction, the transaction
    (what a kept read belongs to) and the engine (what a process's caches are keyed by)."""

    @property
    def info(self) -> dict[Any, Any]: ...

    def connection(self) -> Connection: ...

    def get_transaction(self) -> Any: ...

    def get_bind(self) -> Any: ...


class UTCDateTime(types.TypeDecorator[datetime]):
    """The instants' column type of the tables (SQLModel's ``UTCDateTime``, whose module cannot
    be imported without SQLModel's whole package): aware instants in, UTC instants out (SQLite
    keeps them without an offset)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return types.Interval() if isinstance(value, timedelta) else self

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("Datetime values must have timezone information.")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_I, _S, _D, _J, _B, _F = Integer, String, Date, JSON, Boolean, Float
_T = UTCDateTime

UNIT = table("unit", column("id", _I), column("code", _S), column("parent_id", _I),
             column("contacts", _J), column("updated_at", _T))  # fmt: skip
UNIT_VERSION = table(
    "unit_version", column("id", _I), column("unit_id", _I), column("valid_from", _D),
    column("name", _S), column("kind", _S), column("parent_id", _I), column("assessed", _B),
    column("compiles", _B), column("active", _B), column("merged_into_id", _I),
    column("predecessors", _J),
)  # fmt: skip
AUDIT = table("audit_log", column("id", _I), column("action", _S))
CRITERIA_SET = table("criteria_set", column("code", _S), column("definition", _J))
CYCLE = table(
    "cycle", column("id", _I), column("province_id", _I), column("year", _I),
    column("title", _S), column("reference", _S), column("request", _S),
    column("issued_on", _D), column("issued_at", _T), column("timezone", _S),
    column("self_assessment_deadline", _D), column("district_compilation_deadline", _D),
    column("province_scoring_deadline", _D), column("reminders", _J),
    column("criteria_by_kind", _J), column("plan_sha256", _S), column("published_at", _T),
    column("revision_days", _I), column("checks", _J),
)  # fmt: skip
SUBMISSION = table(
    "submission", column("id", _I), column("cycle_id", _I), column("unit_id", _I),
    column("version", _I), column("submitted_at", _T), column("scores", _J),
    column("bonus", _F), column("penalty", _F), column("self_total", _F),
    column("figures", _J), column("not_applicable", _J), column("warnings", _J),
)  # fmt: skip
ADJUSTMENT = table(
    "adjustment", column("id", _I), column("cycle_id", _I), column("unit_id", _I),
    column("by_unit_id", _I), column("target", _S), column("value", _F), column("reason", _S),
    column("recorded_at", _T),
)  # fmt: skip
RETURN = table(
    "submission_return", column("id", _I), column("cycle_id", _I), column("unit_id", _I),
    column("by_unit_id", _I), column("version", _I), column("reason", _S),
    column("returned_at", _T), column("revise_by", _D),
)  # fmt: skip
FLAG_CHECK = table(
    "flag_check", column("id", _I), column("cycle_id", _I), column("unit_id", _I),
    column("field", _S), column("kind", _S), column("value", _F), column("by_unit_id", _I),
    column("note", _S), column("at", _T),
)  # fmt: skip
DELIVERY = table(
    "delivery", column("id", _I), column("cycle_id", _I), column("unit_id", _I),
    column("milestone", _S), column("kind", _S), column("day", _D), column("url_redacted", _S),
    column("attempts", _I), column("status", _S), column("last_error", _S),
)  # fmt: skip
#: Every clause, for the test that holds them to the tables.
CLAUSES = (UNIT, UNIT_VERSION, AUDIT, CRITERIA_SET, CYCLE, SUBMISSION, ADJUSTMENT, RETURN,
           FLAG_CHECK, DELIVERY)  # fmt: skip


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


_CYCLE_COLUMNS = [CYCLE.c[f.name] for f in fields(CycleRow)]
#: Built once: every portal request reads its cycle (building the statement cost more).
_YEAR_CYCLES = select(*_CYCLE_COLUMNS).where(CYCLE.c.year == bindparam("year"))
_PROVINCE_CYCLE = _YEAR_CYCLES.join(UNIT, UNIT.c.id == CYCLE.c.province_id).where(
    UNIT.c.code == bindparam("province")
)


def find_cycle(
    *, session: Reader, year: int, province: str | None = None, unit: str | None = None
) -> CycleRow | None:
    """The cycle of ``year``: of ``province`` when given; else the only one of that year; else
    (several provinces share the database) the one whose tree ``unit`` is in, when a file names
    its unit. LookupError when it stays ambiguous."""
    conn = session.connection()
    if province:
        rows = conn.execute(_PROVINCE_CYCLE, {"year": year, "province": province}).all()
    else:
        rows = conn.execute(_YEAR_CYCLES, {"year": year}).all()
    cycles = [CycleRow(*r) for r in rows]
    if len(cycles) > 1 and unit:
        above = ancestors(session=session, code=unit)
        cycles = [c for c in cycles if c.province_id in above]
    if len(cycles) > 1:
        raise LookupError(f"several provinces have a {year} cycle: name one with --province")
    return cycles[0] if cycles else None


def previous_cycle(*, session: Reader, province_id: int, year: int) -> CycleRow | None:
    """The province's latest cycle before ``year``."""
    stmt = (
        select(*_CYCLE_COLUMNS)
        .where(CYCLE.c.province_id == province_id, CYCLE.c.year < year)
        .order_by(CYCLE.c.year.desc())
        .limit(1)
    )
    row = session.connection().execute(stmt).first()
    return CycleRow(*row) if row is not None else None


def ancestors(*, session: Reader, code: str) -> set[int]:
    """The ids of ``code`` and of every unit ever above it (any dated record): a few index
    lookups up a tree of depth 2–4, whatever the size of the database."""
    up = select(UNIT.c.id.label("id")).where(UNIT.c.code == code).cte("up", recursive=True)
    v = UNIT_VERSION.c
    parents = select(v.parent_id).join(up, v.unit_id == up.c.id)
    up = up.union(parents.where(v.parent_id.is_not(None)))
    return {i for (i,) in session.connection().execute(select(up.c.id))}


def criteria_definitions(*, session: Reader, codes: Iterable[str]) -> dict[str, dict]:
    """Criteria set code → its stored definition."""
    stmt = select(CRITERIA_SET.c.code, CRITERIA_SET.c.definition).where(
        CRITERIA_SET.c.code.in_(sorted(set(codes)))
    )
    return {code: definition for code, definition in session.connection().execute(stmt)}


#: The tree's fingerprint (``models.context``), built once.
TREE_FINGERPRINT = select(
    func.max(UNIT.c.updated_at),
    func.count(UNIT.c.id),
    select(func.max(AUDIT.c.id)).where(AUDIT.c.action == "org_import").scalar_subquery(),
)


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


def _records_on(on: date | None, within: Any = None) -> Any:
    """Each unit's record valid on ``on`` (None: its latest): (unit_id, valid_from) subquery;
    ``within``: only the units of this id subquery (a province's, :func:`province_scope`)."""
    v = UNIT_VERSION.c
    newest = select(v.unit_id, func.max(v.valid_from).label("valid_from"))
    if on is not None:
        newest = newest.where(v.valid_from <= on)
    if within is not None:
        newest = newest.where(v.unit_id.in_(select(within.c.id)))
    return newest.group_by(v.unit_id).subquery()


def province_scope(province_id: int) -> Any:
    """The ids of every unit that was ever, at any date, in ``province_id``'s tree (a CTE).

    Walked down the parent of every dated record, so a unit moved to another province (the
    2025 mergers) is in the scope of both, and a cycle of either still finds it at its own
    date; the exact tree of a date is then cut from these units in memory (``subtree``). Each
    step is an index lookup (``unit_version.parent_id``): a province's load costs what its own
    units cost, however many other provinces share the database (SPEC §4).
    """
    scope = select(UNIT.c.id.label("id")).where(UNIT.c.id == province_id)
    scope_cte = scope.cte("scope", recursive=True)
    v = UNIT_VERSION.c
    children = select(v.unit_id).join(scope_cte, v.parent_id == scope_cte.c.id)
    return scope_cte.union(children)


def load_org(*, session: Reader, on: date | None = None, province_id: int | None = None) -> Org:
    """The org tree valid on ``on`` (a local date; None: each unit's latest record); with
    ``province_id``, only that province's units (:func:`province_scope`).

    Two set-based queries whatever the size: every unit's id, code and contacts, and for each
    unit the record with the latest ``valid_from`` on or before ``on``.
    """
    within = province_scope(province_id) if province_id is not None else None
    who = select(UNIT.c.id, UNIT.c.code, _text(UNIT.c.contacts))
    if within is not None:
        who = who.where(UNIT.c.id.in_(select(within.c.id)))
    identity = session.connection().execute(who).all()
    code_of = {uid: code for uid, code, _ in identity}
    contacts = {uid: _list(c) for uid, _, c in identity}
    v, sub = UNIT_VERSION.c, _records_on(on, within)
    rows = session.connection().execute(
        select(
            v.unit_id, v.name, v.kind, v.parent_id, v.assessed, v.compiles, v.active,
            v.merged_into_id, _text(v.predecessors),
        ).join(sub, (v.unit_id == sub.c.unit_id) & (v.valid_from == sub.c.valid_from))
        .order_by(v.id)  # the records' order, whatever the plan: the reports list units in it
    ).all()  # fmt: skip
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


def _text(column: Any) -> Any:
    """A JSON column read as the database gives it (SQLite: its text), so that the usual
    empty list or object costs no JSON decoding: 50,000 decodes were a third of a 25,000-unit
    status."""
    return type_coerce(column, String)


def _list(value: Any) -> tuple:
    """A JSON list column's value as a tuple (text from SQLite, already a list from psycopg)."""
    if not value or value == "[]":
        return ()
    return tuple(jsontext.loads(value) if isinstance(value, str) else value)
