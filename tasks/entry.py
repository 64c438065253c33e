"""Nhập trên trang: a unit's scores, N/A marks, bonus, penalty and figures typed in the portal
(SPEC §4.5): the form as the page shows it, the draft saved on the server, and the file a send
hands to the intake.

A send is not a second intake: :func:`entry_file` turns the form into the JSON submission the
rules already read (``rules.entry.document``), and the door hands that file to the very
``submit`` a workbook goes through, so the checks, the messages, the versions, the receipt and
*đã nhận trước đó* are the workbook's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from danvan.models import store
from danvan.models.context import CycleContext
from danvan.models.db import get_engine, transaction
from danvan.models.tables import EntryDraft, Submission
from danvan.rules import entry
from danvan.rules.domain import CriteriaGroup
from danvan.rules.errors import reject
from danvan.rules.timing import to_local


@dataclass
class EntryForm:
    """The entry page: the unit's own criteria (its set and kind), the figures, and the values
    to show (the draft while newer than the latest version, else the latest version: at the
    same instant the version wins)."""

    year: int
    code: str
    name: str
    groups: list[CriteriaGroup]  # only the criteria that apply to the unit's kind
    bonus_max: float
    penalty_max: float
    figures: list[tuple[str, str, list[tuple[str, str]]]]
    names: list[str] = field(default_factory=list)  # every input, by the rules' field paths
    values: dict[str, str] = field(default_factory=dict)
    source: str = "empty"  # empty | draft | version
    saved_text: str = ""  # when the draft was saved, local
    version: int | None = None  # the latest version, if any


def entry_form(session: Session, ctx: CycleContext, code: str) -> EntryForm:
    """Two reads: the draft and the latest version of ``code``."""
    unit = ctx.units[code]
    criteria = ctx.criteria_for(unit)
    groups = []
    for g in criteria.groups:
        mine = tuple(c for c in g.criteria if c.applies_to(unit.kind))
        if mine:
            groups.append(CriteriaGroup(g.code, g.name, mine))
    form = EntryForm(
        year=ctx.cycle.year,
        code=code,
        name=unit.name,
        groups=groups,
        bonus_max=criteria.bonus_max,
        penalty_max=criteria.penalty_max,
        figures=entry.figure_fields(),
        names=entry.field_names(criteria, unit.kind),
    )
    assert ctx.cycle.id is not None
    uid = ctx.org.ids[code]
    draft = session.exec(
        select(EntryDraft).where(EntryDraft.cycle_id == ctx.cycle.id, EntryDraft.unit_id == uid)
    ).first()
    latest = session.exec(
        select(Submission)
        .where(Submission.cycle_id == ctx.cycle.id, Submission.unit_id == uid)
        .order_by(col(Submission.version).desc())
    ).first()
    form.version = latest.version if latest else None
    if draft is not None and (latest is None or draft.saved_at > latest.submitted_at):
        form.values, form.source = dict(draft.values), "draft"
        form.saved_text = to_local(draft.saved_at, ctx.tz).strftime("%d/%m/%Y %H:%M")
    elif latest is not None:
        form.source = "version"
        form.values = entry.from_version(
            submitted_by=latest.submitted_by,
            scores=latest.scores,
            not_applicable=latest.not_applicable,
            bonus=latest.bonus,
            penalty=latest.penalty,
            figures=latest.figures,
        )
    return form


def save_draft(
    ctx: CycleContext, code: str, values: Mapping[str, object], at: datetime, actor: str
) -> int:
    """Keep what the unit typed (one transaction, audited); returns how many fields it kept. A
    published cycle takes no draft: nothing could be sent from it."""
    unit = ctx.units[code]
    names = entry.field_names(ctx.criteria_for(unit), unit.kind)
    kept = entry.kept(values, names)
    assert ctx.cycle.id is not None
    uid = ctx.org.ids[code]
    with transaction(get_engine()) as session:
        cycle = store.lock_cycle(session=session, cycle_id=ctx.cycle.id)
        if cycle is None or cycle.published_at is not None:
            raise reject("published", "", "Kỳ đánh giá đã công bố kết quả; không lưu nháp được.")
        store.lock_unit(session=session, unit_id=uid)
        draft = session.exec(
            select(EntryDraft).where(EntryDraft.cycle_id == ctx.cycle.id, EntryDraft.unit_id == uid)
        ).first()
        if draft is None:
            draft = EntryDraft(
                cycle_id=ctx.cycle.id, unit_id=uid, values={}, saved_at=at, saved_by=""
            )
        draft.values, draft.saved_at, draft.saved_by = kept, at, actor[:64]
        session.add(draft)
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="save_draft",
            entity="entry_draft",
            key=f"{ctx.cycle.year}/{code}",
            fields=len(kept),
        )
    return len(kept)


def entry_file(ctx: CycleContext, code: str, values: Mapping[str, object]) -> tuple[str, bytes]:
    """The JSON submission a send hands to the intake (name, bytes). The same values give the
    same bytes, so sending the same form twice is answered *đã nhận trước đó*."""
    unit = ctx.units[code]
    criteria = ctx.criteria_for(unit)
    typed = entry.kept(values, entry.field_names(criteria, unit.kind))
    doc = entry.document(typed, unit=code, year=ctx.cycle.year, criteria=criteria, kind=unit.kind)
    data = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    return f"nhap-tren-trang-{code}.json", data
