"""Tables added for running a season unwatched and for the people who use it every day:
operator alerts (Prefect), the portal's entry drafts and shared rate limits, and the compiler's
assistant (flag marks, report passages). Re-exported by :mod:`danvan.models.tables`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class OperatorAlert(SQLModel, table=True):
    """Báo người vận hành: one alert about one Prefect run (failed, crashed, all deliveries
    failed, a sign-off still waiting), kept so that each is told once (``key`` is unique: the
    run's id and what happened), to the contacts of ``DANVAN_OPERATOR_CONTACTS``."""

    __tablename__ = "operator_alert"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=96, unique=True)  # "<run id>:<reason>:<contact's sha256>"
    url: str  # the operator's contact (may hold a token): never printed, see ``url_redacted``
    url_redacted: str
    reason: str = Field(max_length=32)  # failed | crashed | deliveries_failed | signoff_waiting
    run_id: str = Field(max_length=40)
    run_name: str
    subject: str
    body: str
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


class EntryDraft(SQLModel, table=True):
    """Bản nháp: what a unit typed in the portal's entry form and saved without sending (SPEC
    §4.5), one per unit and cycle, overwritten by each save. Only a send records a version (the
    intake, as a file would); the draft is what the form shows while it is newer than the
    unit's latest version."""

    __tablename__ = "entry_draft"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    values: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))  # field name → text
    saved_at: datetime
    saved_by: str = Field(max_length=64)


class FlagCheck(SQLModel, table=True):
    """Đã kiểm tra: a compiler's mark on a data-quality flag, with its note (SPEC §3.8).

    Flags are computed, not stored (a peer's new figures move the medians); a mark holds for
    the flag it was made on: the same unit, field, kind and value. A corrected figure is a new
    finding and shows again until checked.
    """

    __tablename__ = "flag_check"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    field: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    value: float | None = None
    by_unit_id: int = Field(foreign_key="unit.id")
    note: str
    at: datetime
    actor: str = Field(max_length=64)


class ReportPassage(SQLModel, table=True):
    """Đoạn trích: what a version's narrative report says under the seeds' headings (SPEC §3.9):
    ``{strengths, limitations, causes, directions, proposals: [text, …]}``, read on intake."""

    __tablename__ = "report_passage"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, unique=True)
    passages: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))
    problem: str | None = None  # why the text could not be read (never a rejection)


class PortalHit(SQLModel, table=True):
    """Requests to the portal counted per key (a link, a client address opening links) and
    minute, so that several portal workers share one rate limit (``danvan portal --workers``)."""

    __tablename__ = "portal_hit"

    key: str = Field(primary_key=True, max_length=80)
    window: int = Field(primary_key=True)  # minutes since the epoch
    count: int = 0


class CompileRequest(SQLModel, table=True):
    """Tổng hợp ngay: a compiler's "compile now" from the portal, run in the background and
    shown as it goes (issue 18). The row is the claim: a compiler has at most one request queued
    or running (``tasks.compile_requests.claim``, under the unit's lock), so two clicks or two
    portal workers start one compile. ``lease`` is the token of the process running it
    (``models.lease``): a request whose runner died reads as failed, not running for ever."""

    __tablename__ = "compile_request"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)  # the compiler
    at: datetime  # the compile's instant (``--at``), which is also when it was asked
    actor: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16)  # queued|running|done|failed|cancelled
    lease: str | None = Field(default=None, max_length=32)
    run_id: str | None = Field(default=None, max_length=40)  # the Prefect flow run, if one
    files: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    problem: str | None = None  # why it failed: a Vietnamese line ending in [code]
