"""The database: danvan's truth. Times are stored in UTC (aware); dates are local calendar dates.

Every table the cycle needs lives here so that one Alembic revision describes the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class Unit(SQLModel, table=True):
    """Đơn vị: a node of the org tree. ``assessed``/``compiles`` are overrides (None = by kind).

    The row is the unit's identity (code, id) and its current contacts; name, kind, parent and
    flags mirror its latest :class:`UnitVersion`, where the dated history lives and every tree
    is read from.
    """

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    name: str
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    assessed: bool | None = None
    compiles: bool | None = None
    active: bool = True
    contacts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime


class UnitVersion(SQLModel, table=True):
    """Lịch sử đơn vị: a unit as it stands from ``valid_from`` (a local date) until its next record.

    A cycle reads, for every unit, the record with the latest ``valid_from`` on or before its
    ``self_assessment`` deadline; a unit with no such record did not exist then.
    """

    __tablename__ = "unit_version"
    __table_args__ = (UniqueConstraint("unit_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    valid_from: date = Field(index=True)
    name: str
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    assessed: bool | None = None
    compiles: bool | None = None
    active: bool = True
    merged_into_id: int | None = Field(default=None, foreign_key="unit.id")
    predecessors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime


class CriteriaSetRow(SQLModel, table=True):
    """Bộ tiêu chí: stored as its validated definition; immutable once a cycle uses it."""

    __tablename__ = "criteria_set"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    name: str
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime


class Cycle(SQLModel, table=True):
    """Kỳ đánh giá: one year's run for one province, created from a plan file."""

    __table_args__ = (UniqueConstraint("province_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    province_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    title: str
    reference: str = ""
    request: str = ""  # the request letter the reports cite (SPEC §3.3, optional)
    issued_on: date
    issued_at: datetime
    timezone: str = "Asia/Ho_Chi_Minh"
    self_assessment_deadline: date
    district_compilation_deadline: date
    province_scoring_deadline: date
    reminders: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    criteria_by_kind: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    plan_sha256: str = Field(max_length=64)
    published_at: datetime | None = None
    revision_days: int = 5  # working days a returned unit has to send a new version (SPEC §3.6)
    checks: list[dict[str, str]] = Field(  # the plan's data-quality checks (SPEC §3.8)
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class StoredFile(SQLModel, table=True):
    """An original file as received, addressed by its sha256: kept, never overwritten."""

    __tablename__ = "stored_file"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    first_seen_at: datetime


class Submission(SQLModel, table=True):
    """Tự đánh giá: one version of a unit's self-assessment. Versions are kept; the latest counts."""

    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    version: int
    submitted_at: datetime
    submitted_by: str
    criteria_set_code: str = Field(max_length=64)
    scores: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
    bonus: float = 0
    penalty: float = 0
    self_total: float
    figures: dict[str, dict[str, int]] = Field(sa_column=Column(JSON, nullable=False))
    file_name: str
    file_sha256: str = Field(foreign_key="stored_file.sha256", max_length=64)
    report_file_name: str | None = None
    report_sha256: str | None = Field(default=None, foreign_key="stored_file.sha256", max_length=64)
    # criterion → reason (tiêu chí không áp dụng); breakdowns beside the figures (SPEC §3.4);
    # warnings of the accepted file ([{code, field, message}], e.g. a breakdown not adding up)
    not_applicable: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    breakdowns: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    warnings: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class SubmissionReturn(SQLModel, table=True):
    """Trả lại, yêu cầu bổ sung: a compiler returned a unit's latest version with a reason.

    The unit is ``returned`` until a version above ``version`` arrives; it has until the end of
    ``revise_by`` (local date) to keep its original timeliness (SPEC §3.6).
    """

    __tablename__ = "submission_return"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    by_unit_id: int = Field(foreign_key="unit.id")
    version: int  # the version returned (the latest when returned)
    reason: str
    returned_at: datetime
    revise_by: date
    file_sha256: str | None = Field(default=None, foreign_key="stored_file.sha256", max_length=64)


class Adjustment(SQLModel, table=True):
    """Thẩm định: a compiler's change to one score, the bonus or the penalty, with its reason."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    by_unit_id: int = Field(foreign_key="unit.id")
    target: str = Field(max_length=64)  # a criterion code, "bonus" or "penalty"
    value: float
    reason: str
    recorded_at: datetime
    file_sha256: str | None = Field(default=None, foreign_key="stored_file.sha256", max_length=64)


class Compilation(SQLModel, table=True):
    """Tổng hợp: a compiler's compilation of a cycle at an instant (the latest counts)."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    compiler_id: int = Field(foreign_key="unit.id", index=True)
    compiled_at: datetime
    summary_sha256: str = Field(max_length=64)


class CompiledFile(SQLModel, table=True):
    """A file a compilation wrote (report, score workbook, chart, summary.json): its bytes are in
    ``stored_file`` by sha256, so any machine can hand it out, whichever worker compiled."""

    __tablename__ = "compiled_file"
    __table_args__ = (UniqueConstraint("compilation_id", "file_name"),)

    id: int | None = Field(default=None, primary_key=True)
    compilation_id: int = Field(foreign_key="compilation.id", index=True)
    file_name: str = Field(max_length=255)
    sha256: str = Field(foreign_key="stored_file.sha256", max_length=64)
    size: int


class Result(SQLModel, table=True):
    """Kết quả xếp loại: the frozen final ranking of a published cycle."""

    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    compiler_id: int | None = Field(default=None, foreign_key="unit.id")
    total: float | None = None
    band: str | None = None
    rank: int | None = None


class Delivery(SQLModel, table=True):
    """One message to one contact URL of one unit: the outbox and the record of every attempt.

    Unique per (cycle, recipient, milestone, kind, day), the recipient being the unit *and* the
    URL (units sharing a URL each get their own message): a message delivered once is never sent
    again, a failed one stays ``failed`` and the next ``remind`` retries it. ``sending`` rows
    belong to the run named in ``claimed_by`` while it lives; ``unknown`` means the message may
    or may not have arrived (a read timeout, a run killed in flight) and is never sent again.
    """

    __table_args__ = (UniqueConstraint("cycle_id", "recipient_key", "milestone", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)  # the unit the message is for
    recipient_key: str = Field(max_length=64)  # sha256 of unit id and URL (the URL has secrets)
    url: str  # needed to retry; never printed (see ``url_redacted``)
    url_redacted: str
    milestone: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    day: date
    subject: str
    body: str
    about: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attachment: str | None = None  # a file sent with the message (the compiled report)
    status: str = Field(
        default="pending", max_length=16, index=True
    )  # pending|sending|sent|failed|cancelled|unknown
    claimed_by: str | None = Field(default=None, max_length=32)  # the sending run's token
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """Nhật ký: append-only record of every change, who, when and what."""

    __tablename__ = "audit_log"
    #: The tree's fingerprint (``models.context``) asks for the last ``org_import`` on every
    #: portal request: an index lookup, not a scan of the whole log.
    __table_args__ = (Index("ix_audit_log_action_id", "action", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_key: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DeliveryAttempt(SQLModel, table=True):
    """One run's try at delivering one outbox row (Apprise's own retries inside it): the history
    an official can read when a unit says it never got the reminder."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    at: datetime
    ok: bool
    tries: int = 1
    error: str | None = None


class SubmissionFile(SQLModel, table=True):
    """A file sent with one version: its narrative report (*báo cáo*) or a criterion's evidence
    (*minh chứng*). The bytes are in ``stored_file``; the name is as the unit wrote it."""

    __tablename__ = "submission_file"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    role: str = Field(max_length=16)  # report | evidence
    criterion: str | None = Field(default=None, max_length=64)
    file_name: str
    sha256: str = Field(foreign_key="stored_file.sha256", max_length=64)
    size: int


class SignOff(SQLModel, table=True):
    """Phê duyệt: the province's decision on the final ranking before publication.

    ``approved`` lets publication go ahead; ``returned`` (with a note) sends it back for another
    look. From the CLI (``danvan approve``), the portal or the Prefect UI's input form; the latest
    decision counts, every decision is kept.
    """

    __tablename__ = "sign_off"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    by_unit_id: int = Field(foreign_key="unit.id")
    decision: str = Field(max_length=16)  # approved | returned
    note: str = ""
    at: datetime
    actor: str = Field(max_length=64)


class Reopening(SQLModel, table=True):
    """Gia hạn thẩm định: the province lets a compiler appraise again until a date (SPEC §3.5).

    A compiler acts until its own deadline; the latest reopening of it (by the province) moves
    that deadline to the end of ``until``.
    """

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")  # the compiler reopened
    until: date
    by_unit_id: int = Field(foreign_key="unit.id")
    reason: str = ""
    recorded_at: datetime


class PortalLink(SQLModel, table=True):
    """Đường dẫn riêng: one personal secret link to the portal for one unit in one cycle.

    Only the sha256 of the token is kept: the token itself exists in the message or the list it
    was printed in, never in the database. A link works until it is revoked and, unless renewed
    (``valid_until``), until its cycle is published.
    """

    __tablename__ = "portal_link"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    token_sha256: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=32)  # list | announcement | before | … (where it was sent)
    created_at: datetime
    valid_until: datetime | None = None  # set by a renewal: works after publication until then
    revoked_at: datetime | None = None


# The tables of the season on Prefect, the portal's entry and the compiler's assistant live in
# their own module; imported here so that ``danvan.models.tables`` names (and registers) them all.
from danvan.models.tables_assist import (  # noqa: E402
    CompileRequest,
    EntryDraft,
    FlagCheck,
    OperatorAlert,
    PortalHit,
    ReportPassage,
)

__all__ = [
    "CompileRequest",
    "EntryDraft",
    "FlagCheck",
    "OperatorAlert",
    "PortalHit",
    "ReportPassage",
]
