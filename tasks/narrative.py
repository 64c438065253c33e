"""Lời của đơn vị: the passages of each version's narrative report, kept on intake, and the
draft a compilation makes of them (SPEC §3.9).

Reading a report never refuses a submission: a file that cannot be read keeps why
(``report_passage.problem``) and the compiled report keeps its placeholders for that unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session

from danvan.config.settings import get_settings
from danvan.models import versions
from danvan.models.context import CycleContext
from danvan.reports.report_text import TextLimits, read_report_text
from danvan.rules.narrative import SECTIONS, find_passages, has_passages
from danvan.tasks.guard import PASS_THROUGH

Passages = dict[str, list[str]]


def read_passages(name: str, data: bytes) -> tuple[Passages, str | None]:
    """The passages of one report file under the seeds' headings, and why not when unreadable."""
    limits = TextLimits(max_uncompressed_bytes=get_settings().max_uncompressed_bytes)
    try:
        text = read_report_text(name, data, limits)
    except PASS_THROUGH:
        raise
    except Exception:  # a reader's bug on a hostile file: the submission still stands
        return {s: [] for s in SECTIONS}, f"Không đọc được nội dung tệp báo cáo “{name}”."
    passages = find_passages(text.lines)
    problem = text.problem
    if problem is None and not has_passages(passages) and text.lines:
        problem = "Không thấy các mục Ưu điểm, Hạn chế, Nguyên nhân, Phương hướng, Kiến nghị."
    return passages, problem


def unit_passages(
    session: Session, ctx: CycleContext, at: datetime, units: Iterable[str]
) -> dict[str, dict]:
    """Unit code → ``{"passages": …, "problem": …, "version": N}`` of its latest version by
    ``at`` (only units whose latest version came with a report file)."""
    assert ctx.cycle.id is not None
    wanted = set(units)
    # the whole province (a compile): no list of ids to send, the few with passages filtered here
    whole = wanted >= set(ctx.province_units)
    ids = None if whole else [ctx.org.ids[c] for c in wanted if c in ctx.org.ids]
    rows = versions.latest_passages(session=session, cycle_id=ctx.cycle.id, until=at, unit_ids=ids)
    codes = ctx.org.codes_by_id
    out = {}
    for unit_id, version, passages, problem in rows:
        code = codes.get(unit_id)
        if code in wanted:
            out[code] = {"passages": passages, "problem": problem, "version": version}
    return out


def narrative_summary(
    passages: Mapping[str, Mapping], order: Iterable[str]
) -> dict[str, list[dict]]:
    """``summary.json`` ``narrative``: each section's points ``{text, units}``, merged (the same
    proposal from several units once, the most common first); ``order``: the units' order."""
    from danvan.rules.narrative_merge import draft  # rapidfuzz: loaded by compile only

    chosen = {c: passages[c]["passages"] for c in order if c in passages}
    return {section: [p.to_dict() for p in points] for section, points in draft(chosen).items()}
