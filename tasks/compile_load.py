"""Tổng hợp, the loading half: read a cycle once, then compute one compiler at a time.

Loading is set-based (the whole province in a handful of column queries, no ORM objects: at
25,000 units the ``Submission`` objects were most of a compile's memory and a fifth of its
CPU); each compiler's compilation is then a pure computation over the units of its subtree
(``danvan.rules.compilation``), made only when it is about to be written, so a compile never
holds more than the compilations being written (issue 20: 301 of them at a country's scale).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from danvan.config.settings import get_settings
from danvan.models import store, versions
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading
from danvan.rules import timing
from danvan.rules.compilation import UnitInput, assess_unit, compile_cycle
from danvan.rules.domain import CriteriaSet, Figures
from danvan.rules.errors import reject
from danvan.rules.formats import load_document
from danvan.rules.letterhead import NO_CONFIG, LetterheadConfig, parse_letterhead
from danvan.rules.org import children_map, subtree
from danvan.rules.report import district_places
from danvan.rules.revision import revision_standing
from danvan.tasks.assistant import Assistant, add_to_summary, load_assistant
from danvan.tasks.compile_write import Compiled
from danvan.tasks.revision import load_returns
from danvan.tasks.standings import province_latest


@dataclass(frozen=True)
class Loaded:
    """What every compilation of one compile is computed from, read once."""

    ctx: CycleContext
    year: int
    at: datetime
    inputs: dict[str, UnitInput]
    previous: dict[str, Figures] | None
    previous_year: int | None
    assistant: Assistant
    letterheads: LetterheadConfig
    children: dict[str, list[str]]

    def subtree(self, code: str) -> list[str]:
        """``code`` and every unit under it."""
        return subtree(self.ctx.units, code, self.children)

    def size(self, code: str) -> int:
        """How many assessed units ``code`` compiles (the pool writes the largest first)."""
        return sum(1 for c in self.subtree(code) if c in self.inputs)


def load(year: int, at: datetime, known: Callable[[CycleContext], None] | None = None) -> Loaded:
    """Read the cycle once (one read transaction): the units' inputs, last cycle's figures, the
    flags and passages, and the letterhead settings. ``known`` is told the cycle's context as
    soon as it is read, before the rest: a compile starts its worker processes then, so their
    start-up overlaps the loading instead of following it (issue 20)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        if known is not None:
            known(ctx)
        inputs = _unit_inputs(ctx, session, at)
        previous, previous_year = _previous_figures(ctx, session)
        assistant = load_assistant(ctx, session, at)
    letterheads = load_letterhead_config()
    return Loaded(ctx, year, at, inputs, previous, previous_year, assistant, letterheads,
                  children_map(ctx.units))  # fmt: skip


def compile_one(loaded: Loaded, code: str) -> Compiled:
    """``code``'s compilation (a pure computation over what :func:`load` read)."""
    ctx, at = loaded.ctx, loaded.at
    on = timing.local_date(at, ctx.tz)
    deadline = ctx.deadline("self_assessment")
    kinds_sets: Mapping[str, CriteriaSet] = {
        kind: ctx.criteria_sets[c] for kind, c in ctx.cycle.criteria_by_kind.items()
    }
    tree = loaded.subtree(code)
    direct = {c for c in tree if ctx.compilers.get(c) == code}
    data = compile_cycle(
        compiler=ctx.units[code],
        cycle_year=loaded.year,
        units=[loaded.inputs[c] for c in tree if c in loaded.inputs],
        direct=direct,
        previous=loaded.previous,
        stand_ins=ctx.stand_ins,
        criteria_by_kind=kinds_sets,
        places=district_places(ctx.units, code, tree),
        previous_cycle_year=loaded.previous_year,
    )
    add_to_summary(data.summary, loaded.assistant, tree, direct)
    parent = ctx.units.get(ctx.units[code].parent or "")
    lh = loaded.letterheads.letterhead_for(ctx.units[code], parent)
    provisional = deadline if on <= deadline else None
    return Compiled(data, on, ctx.tz, parent, ctx.cycle.reference, ctx.cycle.request,
                    provisional, lh, at)  # fmt: skip


def _unit_inputs(ctx: CycleContext, session: Session, at: datetime) -> dict[str, UnitInput]:
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    codes = ctx.org.codes_by_id
    # the read the flags reuse in this transaction (``province_latest``): 25,000 units' figures
    # decoded once, not twice
    latest = {codes[u]: lt for u, lt in province_latest(ctx, session, at).items()}
    adjustments = versions.latest_adjustments(session=session, cycle_id=cycle_id, until=at)
    adj = {
        codes[u]: {t: (a.value, a.reason) for t, a in by.items()} for u, by in adjustments.items()
    }
    deadline = ctx.deadline("self_assessment")
    returns = load_returns(ctx, session, until=at)
    inputs = {}
    for code in ctx.in_province:
        unit = ctx.units[code]
        if not (unit.active and unit.assessed):
            continue
        lt = latest.get(code)
        rev = None
        if lt is not None:
            rev = revision_standing(
                timing.timeliness(lt.first_submitted_at, deadline, ctx.tz),
                timing.days_late(lt.first_submitted_at, deadline, ctx.tz),
                returns.get(code, ()),
                lt.version,
                ctx.tz,
            )
        inputs[code] = assess_unit(
            unit=unit,
            criteria=ctx.criteria_for(unit),
            status=rev.timeliness if rev else "missing",
            submitted_at=lt.submitted_at if lt else None,
            days_late=rev.days_late if rev else None,
            scores=lt.scores if lt else None,
            bonus=lt.bonus if lt else 0,
            penalty=lt.penalty if lt else 0,
            figures=lt.figures if lt else None,
            adjustments=adj.get(code),
            not_applicable=lt.not_applicable if lt else None,
            revise_by=rev.open.revise_by if rev and rev.open else None,
            return_reason=rev.open.reason if rev and rev.open else None,
            warnings=lt.warnings if lt else (),
        )
    return inputs


def _previous_figures(
    ctx: CycleContext, session: Session
) -> tuple[dict[str, Figures] | None, int | None]:
    """The previous cycle's figures per unit code (each unit's latest version) and its year;
    (None, None) without a previous cycle."""
    prev = store.previous_cycle(session=session, cycle=ctx.cycle)
    if prev is None or prev.id is None:
        return None, None
    codes = ctx.org.codes_by_id
    figures = {
        codes[u]: lt.figures or {}
        for u, lt in versions.latest_facts(
            session=session, cycle_id=prev.id, figures=True, scores=False
        ).items()
    }
    return figures, prev.year


def load_letterhead_config() -> LetterheadConfig:
    """``letterhead.yaml`` from the ``DANVAN_LETTERHEAD`` setting; today's wording when unset."""
    path = get_settings().letterhead
    if path is None:
        return NO_CONFIG
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise reject(
            "letterhead_unreadable", "DANVAN_LETTERHEAD",
            f"Không đọc được tệp mẫu tiêu đề “{path}” ({exc.strerror}).",
        ) from None  # fmt: skip
    return parse_letterhead(load_document(str(path), data), str(path))


def compilers_to_compile(ctx: CycleContext, unit: str | None) -> list[str]:
    """The compilers to compile, deepest first (bottom-up): ``unit`` alone, or the province and
    every active compiler under it."""
    if unit is not None:
        if unit not in ctx.in_province or not ctx.units[unit].compiles:
            raise reject(
                "not_a_compiler", "--unit", f"'{unit}' không phải đơn vị tổng hợp của kỳ này."
            )
        return [unit]
    order = ctx.province_units  # parents before children
    chosen = [c for c in order if ctx.units[c].compiles and ctx.units[c].active]
    return list(reversed(chosen))
