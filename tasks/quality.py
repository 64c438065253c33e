"""Số liệu cần kiểm tra: the flags of a cycle's accepted figures and the compilers' marks on them.

Flags are computed from the latest accepted version of every unit whenever they are read (by
``status``, ``compile``, the portal, ``flag check``), never stored: a peer's new figures move
the medians a ``peer_outlier`` is judged by, so a stored flag would go stale. What is stored is
the compiler's mark (``flag_check``), which holds for the flag it was made on (the same unit,
field, kind and value). Every door reads flags through :func:`cycle_flags`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from danvan.config.settings import get_settings
from danvan.models import reads
from danvan.models import recorded as versions
from danvan.models.context import CycleContext
from danvan.models.reads import CycleRow
from danvan.models.recorded import MarkRow
from danvan.rules import timing
from danvan.rules.domain import frozen_value
from danvan.rules.errors import Problems, reject
from danvan.rules.org import is_below
from danvan.rules.quality import Flag, UnitFigures, flags_for, previous_for
from danvan.rules.quality_checks import Check, parse_checks
from danvan.tasks.readcache import ReadCache, cycle_fields, without_gc
from danvan.tasks.standings import province_latest

if TYPE_CHECKING:
    from danvan.models.reads import Reader
    from danvan.models.tables import Cycle


def _plan_checks(ctx: CycleContext) -> tuple[Check, ...]:
    p = Problems()
    checks = parse_checks(ctx.cycle.checks or None, "checks", p)
    return () if p else checks  # stored from a checked plan: a problem here is impossible


def unit_figures(
    ctx: CycleContext, session: Reader, at: datetime, prev_cycle: Cycle | CycleRow | None = None
) -> list[UnitFigures]:
    """What every submitting unit's flags are computed from: its latest figures by ``at``, last
    cycle's (``prev_cycle``'s; a merged unit: its predecessors' sum; ``None`` when none of them
    reported), and the checks of the plan and of its criteria set."""
    assert ctx.cycle.id is not None
    codes = ctx.org.codes_by_id
    latest = province_latest(ctx, session, at, scores=None)  # figures only
    previous = None
    if prev_cycle is not None and prev_cycle.id is not None:
        previous = {
            codes[u]: lt.figures or {}
            for u, lt in versions.latest_facts(
                session=session, cycle_id=prev_cycle.id, figures=True
            ).items()
            if u in codes
        }
    plan_checks = _plan_checks(ctx)
    checks_of: dict[int, tuple[Check, ...]] = {}  # per criteria set: a country has a few
    units, out = ctx.units, []
    stand_ins = ctx.stand_ins if previous is not None else {}
    for code, lt in sorted((codes.get(uid, ""), lt) for uid, lt in latest.items()):
        unit = units.get(code)
        if unit is None:
            continue
        before = None if previous is None else previous_for(code, previous, stand_ins)
        criteria = ctx.criteria_for(unit)
        checks = checks_of.get(id(criteria))
        if checks is None:
            checks = checks_of[id(criteria)] = plan_checks + criteria.checks
        out.append(frozen_value(UnitFigures, code, unit.kind, lt.figures or {}, before, checks))
    return out


#: The province's flags (before the compilers' marks) at the latest key read in this process.
_flags: ReadCache[list[Flag]] = ReadCache()


def _province_flags(session: Reader, ctx: CycleContext, at: datetime) -> list[Flag]:
    """Every flag of the province at ``at``, kept while the figures they come from (this
    cycle's and last cycle's versions), the checks and the thresholds are unchanged."""
    assert ctx.cycle.id is not None
    thresholds = get_settings().flag_thresholds()
    prev_cycle = reads.previous_cycle(
        session=session, province_id=ctx.cycle.province_id, year=ctx.cycle.year
    )

    def key() -> tuple:
        assert ctx.cycle.id is not None
        now = versions.standings_version(session=session, cycle_id=ctx.cycle.id, at=at)
        before = None
        if prev_cycle is not None and prev_cycle.id is not None:
            before = versions.standings_version(session=session, cycle_id=prev_cycle.id, at=None)
        return now, before, cycle_fields(ctx), repr(thresholds)

    def compute() -> list[Flag]:
        with without_gc():
            return flags_for(unit_figures(ctx, session, at, prev_cycle), thresholds)

    return _flags.get(session, ctx, key, compute)


def _marks(session: Reader, ctx: CycleContext, at: datetime) -> dict[tuple, MarkRow]:
    """(unit, field, kind, value) → the latest mark made by ``at``."""
    assert ctx.cycle.id is not None
    rows = versions.flag_marks(session=session, cycle_id=ctx.cycle.id, until=at)
    codes = ctx.org.codes_by_id
    return {(codes[r.unit_id], r.field, r.kind, _same(r.value)): r for r in rows}


def _same(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def cycle_flags(
    session: Reader, ctx: CycleContext, at: datetime, units: Iterable[str] | None = None
) -> list[dict]:
    """Every flag of the cycle at ``at`` (``units``: only these codes), each with ``checked``
    and, when checked, the mark's note, who made it and when (local time)."""
    flags = _province_flags(session, ctx, at)
    marks = _marks(session, ctx, at)
    wanted = set(units) if units is not None else None
    codes = ctx.org.codes_by_id
    out = []
    for flag in flags:
        if wanted is not None and flag.unit not in wanted:
            continue
        mark = marks.get((flag.unit, flag.field, flag.kind, _same(flag.value)))
        row = {**flag.to_dict(), "checked": mark is not None}
        if mark is not None:
            row["checked_note"] = mark.note
            row["checked_by"] = codes.get(mark.by_unit_id, "")
            row["checked_at"] = timing.iso_local(mark.at, ctx.tz)
        out.append(row)
    return out


def flags_by_unit(flags: Iterable[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in flags:
        out.setdefault(f["unit"], []).append(f)
    return out


def with_flags(units: list[dict], session: Reader, ctx: CycleContext, at: datetime) -> list[dict]:
    """``status``'s units, each with its ``flags`` (SPEC §3.8: JSON ``units[].flags``), added to
    the dicts given (``status`` builds them for this; copying 25,000 of them cost more)."""
    by_unit = flags_by_unit(cycle_flags(session, ctx, at, [u["code"] for u in units]))
    for u in units:
        u["flags"] = by_unit.get(u["code"], [])
    return units


def check_flag(
    *,
    year: int,
    unit: str,
    field: str,
    by: str,
    note: str,
    at: datetime,
    actor: str = "cli",
    province: str | None = None,
) -> dict:
    """Đã kiểm tra: ``by`` (a compiler above ``unit``) marks the unit's flags on ``field``
    checked, with a note. The same mark again records nothing (``already``)."""
    # lazy: the writers' modules (the table classes); reading flags (``status``) needs none
    from danvan.models import store
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, transaction
    from danvan.models.tables import FlagCheck

    note = _note(note)
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year, province=province)
        _may_check(ctx, unit, by)
        store.lock_unit(session=session, unit_id=ctx.org.ids[unit])
        flags = [f for f in cycle_flags(session, ctx, at, [unit]) if f["field"] == field]
        if not flags:
            shown = sorted({f["field"] for f in cycle_flags(session, ctx, at, [unit])})
            listed = ", ".join(shown) if shown else "không có mục nào"
            raise reject(
                "no_flag", "--field",
                f"Đơn vị {unit} không có số liệu cần kiểm tra ở mục “{field}” (các mục đang có"
                f" cảnh báo: {listed}).",
            )  # fmt: skip
        new = [f for f in flags if not f["checked"]]
        assert ctx.cycle.id is not None
        for f in new:
            session.add(
                FlagCheck(
                    cycle_id=ctx.cycle.id, unit_id=ctx.org.ids[unit], field=field,
                    kind=f["kind"], value=f["value"], by_unit_id=ctx.org.ids[by], note=note,
                    at=at, actor=actor,
                )
            )  # fmt: skip
        if new:
            store.audit(
                session=session, at=at, actor=actor, action="flag_check", entity="flag",
                key=f"{year}/{unit}/{field}", by=by, note=note, kinds=[f["kind"] for f in new],
            )  # fmt: skip
    return {"cycle": year, "unit": unit, "field": field, "by": by, "checked": len(new),
            "already": len(flags) - len(new), "kinds": [f["kind"] for f in flags]}  # fmt: skip


def _note(note: str) -> str:
    from danvan.rules.formats import bounded  # the file formats: not for every read of flags

    cleaned = bounded("--note", {"--note": note}, get_settings().limits(), 1)
    assert isinstance(cleaned, dict)
    text = str(cleaned["--note"]).strip()
    if not text:
        raise reject("missing_note", "--note", "Cần ghi chú đã kiểm tra thế nào.")
    return text


def _may_check(ctx: CycleContext, unit: str, by: str) -> None:
    if unit not in ctx.in_province:
        raise reject("unknown_unit", "--unit", f"Không có đơn vị mã “{unit}” trong kỳ này.")
    checker = ctx.units.get(by)
    if checker is None or by not in ctx.in_province:
        raise reject("unknown_unit", "--by", f"Không có đơn vị mã “{by}”.")
    if not (checker.compiles and checker.active and is_below(ctx.units, unit, by)):
        raise reject(
            "outside_scope", "--by",
            f"“{checker.name}” không phải đơn vị tổng hợp của {ctx.units[unit].name}.",
        )  # fmt: skip
