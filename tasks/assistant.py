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
