"""The statements a cycle's standing is read with, written once as SQL text, and how they run.

Why text: ``danvan status`` is a read, and importing SQLAlchemy was a third of the command
(issue 20: the command ≤ 0.5 s). Each statement below is the one definition of its read: a
session of the other commands and the portal runs it through SQLAlchemy's ``text()``, the
status command through the DB-API (:mod:`danvan.models.dbapi`: ``sqlite3``, ``psycopg``). Both
hand the driver the same parameters (:func:`encode`) and decode the same raw values by the
columns' kinds (:func:`decode`), as the tables' column types did: instants in UTC, dates, JSON,
booleans. ``tests/storage/test_sqltext.py`` runs every read both ways on SQLite and
PostgreSQL and compares the rows. The SQL is the common part of both databases.

Kinds: ``i`` int, ``s`` text, ``f`` float, ``r`` raw (a JSON column read as the driver gives
it: SQLite's text, psycopg's value), ``t`` an instant (UTC), ``d`` a date, ``b`` a boolean,
``j`` JSON decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from danvan.models import jsontext

if TYPE_CHECKING:
    from danvan.models.reads import Reader


@dataclass(frozen=True)
class Statement:
    """One read: its SQL (``:name`` parameters) and the kind of each column it returns."""

    sql: str
    kinds: str


# --- the reads -------------------------------------------------------------------------------

CYCLE_COLUMNS = (
    "id", "province_id", "year", "title", "reference", "request", "issued_on", "issued_at",
    "timezone", "self_assessment_deadline", "district_compilation_deadline",
    "province_scoring_deadline", "reminders", "criteria_by_kind", "plan_sha256", "published_at",
    "revision_days", "checks",
)  # fmt: skip
_CYCLE_KINDS = "iiisssdtsdddjjstij"
_CYCLE_SELECT = "SELECT " + ", ".join(f"cycle.{c}" for c in CYCLE_COLUMNS) + " FROM cycle"

YEAR_CYCLES = Statement(f"{_CYCLE_SELECT} WHERE cycle.year = :year", _CYCLE_KINDS)
PROVINCE_CYCLE = Statement(
    f"{_CYCLE_SELECT} JOIN unit ON unit.id = cycle.province_id"
    " WHERE cycle.year = :year AND unit.code = :province",
    _CYCLE_KINDS,
)
PREVIOUS_CYCLE = Statement(
    f"{_CYCLE_SELECT} WHERE cycle.province_id = :province_id AND cycle.year < :year"
    " ORDER BY cycle.year DESC LIMIT 1",
    _CYCLE_KINDS,
)
ANCESTORS = Statement(
    "WITH RECURSIVE up(id) AS (SELECT unit.id FROM unit WHERE unit.code = :code"
    " UNION SELECT unit_version.parent_id FROM unit_version JOIN up"
    " ON unit_version.unit_id = up.id WHERE unit_version.parent_id IS NOT NULL)"
    " SELECT up.id FROM up",
    "i",
)
#: The tree's fingerprint (``models.context``): newest change, units, last ``org import``.
TREE_FINGERPRINT = Statement(
    "SELECT max(unit.updated_at), count(unit.id), (SELECT max(audit_log.id) FROM audit_log"
    " WHERE audit_log.action = 'org_import') FROM unit",
    "tii",
)
#: The ids of every unit ever in ``:province_id``'s tree, at any date (``reads.load_org``).
PROVINCE_SCOPE = (
    "WITH RECURSIVE scope(id) AS (SELECT unit.id FROM unit WHERE unit.id = :province_id"
    " UNION SELECT unit_version.unit_id FROM unit_version JOIN scope"
    " ON unit_version.parent_id = scope.id)"
)
LEVELS = Statement("SELECT unit.id, unit.parent_id FROM unit", "ii")
DELIVERY_PROBLEMS = Statement(
    "SELECT delivery.unit_id, delivery.milestone, delivery.kind, delivery.day,"
    " delivery.url_redacted, delivery.attempts, delivery.status, delivery.last_error"
    " FROM delivery WHERE delivery.cycle_id = :cycle_id"
    " AND delivery.status IN ('failed', 'unknown') ORDER BY delivery.day, delivery.id",
    "issdsiss",
)
DELIVERY_COUNTS = Statement(
    "SELECT delivery.status, count(*) FROM delivery WHERE delivery.cycle_id = :cycle_id"
    " GROUP BY delivery.status",
    "si",
)


def criteria_definitions(codes: Sequence[str]) -> tuple[Statement, dict[str, str]]:
    """Criteria set code → its definition, for ``codes``."""
    names = {f"code_{i}": c for i, c in enumerate(codes)}
    where = _in_names(names)
    sql = f"SELECT criteria_set.code, criteria_set.definition FROM criteria_set WHERE criteria_set.code IN ({where})"
    return Statement(sql, "sj"), names


def org_identity(scoped: bool) -> Statement:
    """Every unit's id, code and contacts (of the province's scope when ``scoped``)."""
    sql = "SELECT unit.id, unit.code, unit.contacts FROM unit"
    if scoped:
        sql = f"{PROVINCE_SCOPE} {sql} WHERE unit.id IN (SELECT scope.id FROM scope)"
    return Statement(sql, "isr")


def org_records(on: bool, scoped: bool) -> Statement:
    """Each unit's record valid on ``:on`` (else its latest), in the records' order."""
    cond = [c for c, wanted in (("unit_version.valid_from <= :on", on),
            ("unit_version.unit_id IN (SELECT scope.id FROM scope)", scoped)) if wanted]  # fmt: skip
    where = f" WHERE {' AND '.join(cond)}" if cond else ""
    newest = ("SELECT unit_version.unit_id AS unit_id, max(unit_version.valid_from) AS valid_from"
              f" FROM unit_version{where} GROUP BY unit_version.unit_id")  # fmt: skip
    sql = (
        "SELECT v.unit_id, v.name, v.kind, v.parent_id, v.assessed, v.compiles, v.active,"
        f" v.merged_into_id, v.predecessors FROM unit_version AS v JOIN ({newest}) AS newest"
        " ON v.unit_id = newest.unit_id AND v.valid_from = newest.valid_from ORDER BY v.id"
    )
    return Statement(f"{PROVINCE_SCOPE} {sql}" if scoped else sql, "issibbbir")


def latest_facts(
    until: bool, unit_ids: Iterable[int] | None, figures: bool, scores: bool
) -> Statement:
    """Every unit's version that counts (by ``:until``), with when it first submitted."""
    where = _cycle_rows("submission", "submitted_at", until, unit_ids)
    agg = ("SELECT submission.unit_id AS unit_id, min(submission.submitted_at) AS first_at,"
           f" max(submission.version) AS v FROM submission WHERE {where}"
           " GROUP BY submission.unit_id")  # fmt: skip
    heavy = ["s.scores", "s.not_applicable", "s.warnings"] if scores else ["'{}'", "'{}'", "'[]'"]
    columns = ["s.unit_id", "s.version", "s.submitted_at", "agg.first_at", heavy[0], "s.bonus",
               "s.penalty", "s.self_total", *heavy[1:]]  # fmt: skip
    if figures:
        columns.append("s.figures")
    sql = (f"SELECT {', '.join(columns)} FROM submission AS s JOIN ({agg}) AS agg"
           " ON s.unit_id = agg.unit_id AND s.version = agg.v WHERE s.cycle_id = :cycle_id")  # fmt: skip
    # the two instants raw (``instant`` decodes them): a province's versions share few instants,
    # so the reader decodes each distinct one once rather than once a row
    return Statement(sql, "iirrrfffrr" + ("r" if figures else ""))


def standings_version(at: bool) -> Statement:
    """Per table feeding the standings: the cycle's rows, and (``at``) those by ``:at``."""
    counts = []
    for table, when in (("submission", "submitted_at"), ("adjustment", "recorded_at"),
                        ("submission_return", "returned_at")):  # fmt: skip
        mine = f"SELECT count(*) FROM {table} WHERE {table}.cycle_id = :cycle_id"
        counts.append(f"({mine})")
        if at:
            counts.append(f"({mine} AND {table}.{when} <= :at)")
    return Statement("SELECT " + ", ".join(counts), "i" * len(counts))


def adjustments(until: bool, unit_ids: Iterable[int] | None) -> Statement:
    """The cycle's adjustments (by ``:until``; of ``unit_ids``), in the order recorded."""
    where = _cycle_rows("adjustment", "recorded_at", until, unit_ids)
    sql = ("SELECT adjustment.id, adjustment.unit_id, adjustment.by_unit_id, adjustment.target,"
           " adjustment.value, adjustment.reason, adjustment.recorded_at FROM adjustment"
           f" WHERE {where} ORDER BY adjustment.id")  # fmt: skip
    return Statement(sql, "iiisfst")


def returns(until: bool, unit: bool) -> Statement:
    """The cycle's returns (of ``:unit_id``; by ``:until``), oldest first."""
    r = "submission_return"
    cond = [f"{r}.cycle_id = :cycle_id"]
    if unit:
        cond.append(f"{r}.unit_id = :unit_id")
    if until:
        cond.append(f"{r}.returned_at <= :until")
    sql = (f"SELECT {r}.id, {r}.unit_id, {r}.by_unit_id, {r}.version, {r}.reason,"
           f" {r}.returned_at, {r}.revise_by FROM {r} WHERE {' AND '.join(cond)}"
           f" ORDER BY {r}.returned_at, {r}.id")  # fmt: skip
    return Statement(sql, "iiiistd")


def version_times(until: bool, unit_ids: Iterable[int]) -> Statement:
    """unit id, version, submitted_at of ``unit_ids``' versions (by ``:until``)."""
    where = _cycle_rows("submission", "submitted_at", until, unit_ids)
    sql = ("SELECT submission.unit_id, submission.version, submission.submitted_at"
           f" FROM submission WHERE {where}")  # fmt: skip
    return Statement(sql, "iit")


FLAG_MARKS = Statement(
    "SELECT flag_check.id, flag_check.unit_id, flag_check.field, flag_check.kind,"
    " flag_check.value, flag_check.by_unit_id, flag_check.note, flag_check.at FROM flag_check"
    " WHERE flag_check.cycle_id = :cycle_id AND flag_check.at <= :until"
    " ORDER BY flag_check.at, flag_check.id",
    "iissfist",
)


def unit_versions(until: bool) -> Statement:
    """One unit's versions of a cycle (by ``:until``), in order."""
    sql = ("SELECT submission.id, submission.version, submission.submitted_at,"
           " submission.submitted_by, submission.file_name, submission.file_sha256"
           " FROM submission WHERE submission.cycle_id = :cycle_id"
           " AND submission.unit_id = :unit_id"
           + (" AND submission.submitted_at <= :until" if until else "")
           + " ORDER BY submission.version")  # fmt: skip
    return Statement(sql, "iitsss")


def version_files(submission_ids: Iterable[int]) -> Statement:
    """The files kept with these versions (report, evidence), in the order kept."""
    sql = ("SELECT submission_file.submission_id, submission_file.role,"
           " submission_file.criterion, submission_file.file_name, submission_file.sha256,"
           " submission_file.size FROM submission_file"
           f" WHERE submission_file.submission_id IN ({_in_ints(submission_ids)})"
           " ORDER BY submission_file.id")  # fmt: skip
    return Statement(sql, "issssi")


def unit_codes(unit_ids: Iterable[int]) -> Statement:
    """Unit id → code of ``unit_ids``."""
    return Statement(f"SELECT unit.id, unit.code FROM unit WHERE unit.id IN ({_in_ints(unit_ids)})",
                     "is")  # fmt: skip


def _cycle_rows(table: str, when: str, until: bool, unit_ids: Iterable[int] | None) -> str:
    """The WHERE of a cycle's rows of ``table``: recorded by ``:until`` (its column ``when``)
    when ``until``, of ``unit_ids`` when given."""
    cond = [f"{table}.cycle_id = :cycle_id"]
    if until:
        cond.append(f"{table}.{when} <= :until")
    if unit_ids is not None:
        cond.append(f"{table}.unit_id IN ({_in_ints(unit_ids)})")
    return " AND ".join(cond)


def _in_ints(ids: Iterable[int]) -> str:
    """An id list written into the statement (ints only: nothing of a user's text)."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _in_names(names: dict[str, str]) -> str:
    return ", ".join(f":{n}" for n in names) or "NULL"


# --- running them ----------------------------------------------------------------------------


def run(session: Reader, stmt: Statement, params: dict[str, Any] | None = None) -> list[tuple]:
    """``stmt``'s rows, decoded, on whatever ``session`` reads through."""
    conn = session.connection()
    light = getattr(conn, "run_text", None)
    if light is not None:  # danvan.models.dbapi: the DB-API itself
        dialect = conn.dialect_name
        raw = light(stmt.sql, encode(params or {}, dialect))
    else:  # a SQLAlchemy connection (sessions, the portal): already imported
        dialect = conn.dialect.name
        raw = conn.execute(_text(stmt.sql), encode(params or {}, dialect)).all()
    steps = _steps(stmt.kinds)
    if not steps:
        return [tuple(row) for row in raw]
    return [_decoded(row, steps) for row in raw]


_texts: dict[str, Any] = {}


def _text(sql: str) -> Any:
    """SQLAlchemy's ``text()`` of ``sql``, built once per statement."""
    found = _texts.get(sql)
    if found is None:
        from sqlalchemy import text  # lazy: only a SQLAlchemy session calls it (loaded already)

        if len(_texts) >= 512:  # statements with ids written in vary: a long-lived portal
            _texts.clear()  # process must not keep every one it ever ran
        found = _texts[sql] = text(sql)
    return found


def encode(params: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Parameters as the tables' column types bound them: instants in UTC (SQLite: the text
    SQLAlchemy stores, ``2024-11-08 03:00:00.000000``), dates as ISO text on SQLite."""
    out = {}
    for k, v in params.items():
        if isinstance(v, datetime):
            if v.utcoffset() is None:
                raise ValueError("Datetime values must have timezone information.")
            v = v.astimezone(UTC)
            if dialect == "sqlite":
                v = v.strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(v, date) and dialect == "sqlite":
            v = v.isoformat()
        out[k] = v
    return out


_SQLITE_INSTANT = re.compile(r"(\d+)-(\d+)-(\d+)(?: (\d+):(\d+):(\d+)(?:\.(\d{1,6}))?)?")


def instant(value: Any) -> datetime:
    """An instant column's value as the tables' ``UTCDateTime`` gives it (aware, UTC)."""
    if isinstance(value, str):  # SQLite's text, parsed as SQLAlchemy's SQLite DATETIME does
        if len(value) == 26 and value[10] == " ":  # as stored: 2024-11-08 03:00:00.000000
            value = datetime.fromisoformat(value)
        else:
            m = _SQLITE_INSTANT.match(value)
            if m is None:
                raise ValueError(f"Couldn't parse datetime string: {value!r}")
            y, mo, d, h, mi, s, us = m.groups()
            value = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                             int((us or "0").ljust(6, "0")))  # fmt: skip
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def _date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _json(value: Any) -> Any:
    return jsontext.loads(value) if isinstance(value, str) else value


#: The kinds that are decoded (the others are as the driver gives them).
_DECODE: dict[str, Callable[[Any], Any]] = {"t": instant, "d": _date, "b": bool, "j": _json}
_step_cache: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}


def _steps(kinds: str) -> list[tuple[int, Callable[[Any], Any]]]:
    """Which columns of a statement's rows are decoded, and how (built once per kinds)."""
    found = _step_cache.get(kinds)
    if found is None:
        found = _step_cache[kinds] = [(i, _DECODE[k]) for i, k in enumerate(kinds) if k in _DECODE]
    return found


def _decoded(row: Sequence[Any], steps: list[tuple[int, Callable[[Any], Any]]]) -> tuple:
    out = list(row)
    for i, decode in steps:
        value = out[i]
        if value is not None:  # NULL is None whatever the column's type
            out[i] = decode(value)
    return tuple(out)


def decode(row: Sequence[Any], kinds: str) -> tuple:
    """A row's raw values as the tables' column types gave them."""
    if len(row) != len(kinds):
        raise ValueError(f"{len(row)} columns, {len(kinds)} kinds")
    return _decoded(row, _steps(kinds))
