"""The compiler's assistant in a compilation: its subtree's flags and its units' drafted words.

Loaded once per compile for the whole province (flags compare peers across it), then cut per
compiler into ``summary.json``'s ``flags``, ``checked`` and ``narrative`` (SPEC §3.8, §3.9),
which the report's drafted sections and its appendix *Số liệu cần kiểm tra* are built from.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from danvan.models.context import CycleContext
from danvan.tasks.narrative import narrative_summary, unit_passages
from danvan.tasks.quality import cycle_flags


@dataclass(frozen=True)
class Assistant:
    flags: list[dict]
    passages: dict[str, dict]


def load_assistant(ctx: CycleContext, session: Session, at: datetime) -> Assistant:
    return Assistant(
        cycle_flags(session, ctx, at), unit_passages(session, ctx, at, ctx.province_units)
    )


def add_to_summary(
    summary: dict[str, Any], a: Assistant, tree: Sequence[str], direct: Collection[str]
) -> None:
    """``flags`` over the compiler's subtree (every figure in its sums), ``checked`` how many of
    them are marked, ``narrative`` from the units it compiles directly (a district's own report
    already speaks for its communes)."""
    within = set(tree)
    flags = [f for f in a.flags if f["unit"] in within]
    summary["flags"] = flags
    summary["checked"] = sum(1 for f in flags if f["checked"])
    summary["narrative"] = narrative_summary(a.passages, [c for c in tree if c in direct])


def unit_assistant(session: Session, *, year: int, code: str, at: datetime) -> dict[str, Any]:
    """One unit as its compiler's page shows it beside the scores: its flags (checked or not)
    and what its latest report says under each heading (``problem``: why it could not be read)."""
    from danvan.models.context import cached_context

    ctx = cached_context(session, year)
    flags = cycle_flags(session, ctx, at, [code])
    words = unit_passages(session, ctx, at, [code]).get(code)
    return {
        "flags": flags,
        "open_fields": sorted({f["field"] for f in flags if not f["checked"]}),
        "passages": words["passages"] if words else None,
        "problem": words["problem"] if words else None,
        "labels": SECTION_LABELS,
    }


def flagged_units(session: Session, *, year: int, within: Collection[str], at: datetime) -> list:
    """The compiler's list page: (unit code, name, flags not yet checked), units below it only."""
    from danvan.models.context import cached_context

    ctx = cached_context(session, year)
    open_flags = [f for f in cycle_flags(session, ctx, at, within) if not f["checked"]]
    by_unit: dict[str, list[dict]] = {}
    for f in open_flags:
        by_unit.setdefault(f["unit"], []).append(f)
    return [(c, ctx.units[c].name, fs) for c, fs in by_unit.items()]


#: How each passage kind is headed on the compiler's page (the seeds' words).
SECTION_LABELS = {
    "strengths": "Ưu điểm",
    "limitations": "Hạn chế",
    "causes": "Nguyên nhân",
    "directions": "Phương hướng, nhiệm vụ",
    "proposals": "Kiến nghị, đề xuất",
}
