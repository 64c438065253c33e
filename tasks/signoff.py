"""Phê duyệt kết quả: the province signs off the final ranking before it is published (SPEC §4).

The decision lives in danvan's own table (``sign_off``), not in Prefect: ``danvan approve`` works
with no Prefect at all, a sign-off can take days (Prefect's pause times out after an hour), and the
portal calls :func:`record_sign_off` the same way. The publication run (``xep-loai``) reads it; the
Prefect UI's input form, when answered, records through this same function. Every decision is kept
and audited; the latest counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session

from danvan.models import store, versions
from danvan.models.context import load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.tables import SignOff
from danvan.rules import timing
from danvan.rules.errors import reject
from danvan.runtime.api import PrefectRest
from danvan.tasks.nudge import Notice, release_publications, resume_publication

DECISIONS = ("approved", "returned")


@dataclass(frozen=True)
class Decision:
    """The latest sign-off of a cycle, as the CLI, the portal and the publication run read it."""

    cycle: int
    by: str
    decision: str  # approved | returned
    note: str
    at: str  # local ISO
    actor: str

    @property
    def approved(self) -> bool:
        return self.decision == "approved"

    def to_dict(self) -> dict:
        return asdict(self)


def record_sign_off(
    year: int, by: str, at: datetime, decision: str = "approved", note: str = "", actor: str = "cli"
) -> Decision:
    """Record the province's decision (one transaction, audited). Only the province signs off,
    only before publication; returning the ranking needs a note saying why."""
    if decision not in DECISIONS:
        raise reject(
            "invalid_decision", "decision", f"Quyết định phải là {' hoặc '.join(DECISIONS)}."
        )
    note = note.strip()
    if decision == "returned" and not note:
        raise reject("note_required", "--note", "Trả lại kết quả cần ghi rõ lý do.")
    with transaction(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        if by != ctx.province:
            raise reject(
                "not_province",
                "--by",
                f"Chỉ tỉnh ({ctx.province}) phê duyệt kết quả xếp loại; '{by}' không phải là tỉnh.",
            )
        assert ctx.cycle.id is not None
        # shared, like intake: a publication under way is waited for, then seen
        cycle = store.lock_cycle(session=session, cycle_id=ctx.cycle.id)
        if cycle is None or cycle.published_at is not None:
            raise reject(
                "cycle_published", "--cycle", f"Kỳ {year} đã công bố; không phê duyệt lại."
            )
        session.add(
            SignOff(
                cycle_id=ctx.cycle.id,
                by_unit_id=ctx.org.ids[by],
                decision=decision,
                note=note,
                at=at,
                actor=actor,
            )
        )
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action=f"sign_off_{decision}",
            entity="cycle",
            key=f"{ctx.province}/{year}",
            note=note,
        )
    return Decision(year, by, decision, note, timing.iso_local(at, ctx.tz) or "", actor)


@dataclass(frozen=True)
class SignedOff:
    """A decision taken at a door, and whether it released a waiting publication run."""

    decision: Decision
    resumed: bool  # a publication run waiting on Prefect was answered
    notices: list[Notice]  # what Prefect said, for the door to show or log


def decide(
    year: int, by: str, at: datetime, decision: str = "approved", note: str = "", actor: str = "cli"
) -> SignedOff:
    """The province decides, through any door (``danvan approve``, the portal): the decision is
    recorded, then the publication run waiting for it, if any, is released. (The Prefect form's
    answer is recorded by the waiting run itself: :func:`record_answer`.)"""
    recorded = record_sign_off(year, by, at, decision, note, actor)
    resumed, notices = resume_publication(year, recorded.approved, recorded.note)
    return SignedOff(recorded, resumed, notices)


def is_approved(session: Session, cycle_id: int) -> bool:
    """The one answer to "may the ranking be published?", asked by every door (the CLI's
    ``publish``, the portal's button, the publication run): the latest decision approves it."""
    row = versions.latest_sign_off(session=session, cycle_id=cycle_id)
    return row is not None and row.decision == "approved"


def record_answer(year: int, approve: bool, note: str, at: datetime, actor: str) -> Decision:
    """Record an answer of the Prefect UI's form once: a re-run of the flow reads the same answer
    again, and the CLI that resumed the run has already recorded it."""
    note = note.strip()
    latest = latest_sign_off(year)
    if latest is not None and latest.approved == approve and latest.note == note:
        return latest
    with reading(get_engine()) as session:
        province = load_context(session=session, year=year).province
    return record_sign_off(year, province, at, "approved" if approve else "returned", note, actor)


def latest_sign_off(year: int) -> Decision | None:
    """The decision that counts (the latest), or None while the province has not decided."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
        assert ctx.cycle.id is not None
        row = versions.latest_sign_off(session=session, cycle_id=ctx.cycle.id)
    if row is None:
        return None
    codes = ctx.org.codes_by_id
    return Decision(
        year,
        codes[row.by_unit_id],
        row.decision,
        row.note,
        timing.iso_local(row.at, ctx.tz) or "",
        row.actor,
    )


def release_if_approved(rest: PrefectRest, year: int) -> int:
    """Release the publication runs still waiting although the province has approved: the
    decision was recorded while Prefect was unreachable (``danvan approve`` recorded it and said
    so). Run by every reconciliation (``theo-doi``); returns how many were released."""
    decision = latest_sign_off(year)
    if decision is None or not decision.approved:
        return 0
    return release_publications(rest, year, True, decision.note)
