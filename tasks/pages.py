"""The portal's read models: what each page shows, read in one session (no writes, no Prefect).

Pages get values, not rows: a route calls one function here and hands its result to a template.
Every function is scoped by the caller to the units its link may see (``rules.access``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, func, select

from danvan.models.context import CycleContext, cached_context
from danvan.models.tables import Adjustment, Result, StoredFile, Submission, SubmissionFile
from danvan.rules import standing, timing
from danvan.rules.domain import CriteriaSet, UnitResult
from danvan.rules.labels import STATUS_LABELS as REPORT_STATUS_LABELS
from danvan.rules.labels import TARGET_LABELS
from danvan.rules.org import subtree
from danvan.rules.publication import published_by
from danvan.rules.receipt import is_internal
from danvan.tasks.compiled_files import stored_files
from danvan.tasks.receipts import Receipt, receipts_for
from danvan.tasks.standings import unit_results
from danvan.tasks.views import deliveries

#: The report's labels, and the state a page shows while a unit revises (a report never does).
STATUS_LABELS = {**REPORT_STATUS_LABELS, "returned": "Trả lại để bổ sung"}
STATUS_ORDER = ("missing", "returned", "late", "on_time")
SORTS = ("code", "status", "submitted_at", "self_total")
#: Rows per page of a compiler's table: the province's ~1,000 units stay a light page.
PAGE_ROWS = 100


@dataclass
class Version:
    version: int
    submitted_at: str
    file_name: str
    self_total: float
    submitted_by: str


@dataclass
class AdjustmentLine:
    by: str
    target: str
    value: float
    reason: str
    at: str
    by_name: str = ""  # the appraising compiler, by name
    label: str = ""  # what was adjusted, as officials read it: "2. Phân công …", "Điểm thưởng"


@dataclass
class UnitView:
    """A unit's page: its standing, its versions, appraisals and published result."""

    year: int
    title: str
    code: str
    name: str
    assessed: bool
    deadline: date
    days_left: int
    tz: str
    status: UnitResult | None
    versions: list[Version] = field(default_factory=list)
    adjustments: list[AdjustmentLine] = field(default_factory=list)
    result: Result | None = None
    published: bool = False
    criteria: CriteriaSet | None = None
    scores: dict[str, float] = field(default_factory=dict)  # the latest version's self-scores
    #: The latest version's receipt: its number and the files received with their sizes (the
    #: unit sees what arrived; its compiler downloads each file from it).
    receipt: Receipt | None = None
    ranked: int | None = None  # units ranked beside it: "thứ hạng 3 trên 12"


@dataclass
class CompilerView:
    """A compiler's page: its subtree's counts and units, filtered and sorted."""

    year: int
    title: str
    code: str
    name: str
    is_province: bool
    summary: dict[str, int]
    units: list[UnitResult]  # this page's rows
    status_filter: str | None
    sort: str
    reports: list[str]
    published: bool
    tz: str
    page: int = 1
    pages: int = 1
    rows: int = 0  # rows matching the filter, on every page
    #: The province's page: messages whose delivery is unknown, and what to do about them.
    unknown: list[dict] = field(default_factory=list)
    what_to_do: str | None = None
    resend: str | None = None


def local_text(instant: datetime | None, tz: str) -> str:
    """``20/11/2024 14:05`` in the cycle's zone (what officials read)."""
    if instant is None:
        return ""
    return timing.to_local(instant, tz).strftime("%d/%m/%Y %H:%M")


def unit_view(
    session: Session, *, code: str, at: datetime, year: int = 0, ctx: CycleContext | None = None
) -> UnitView:
    """A unit's page; ``ctx``: the cycle as the request read it already (else ``year``'s)."""
    ctx = ctx or cached_context(session, year, code)
    year = ctx.cycle.year
    unit = ctx.units[code]
    assert ctx.cycle.id is not None
    uid = ctx.org.ids[code]
    deadline = ctx.deadline("self_assessment")
    today = timing.local_date(at, ctx.tz)
    subs = session.exec(
        select(Submission)
        .where(Submission.cycle_id == ctx.cycle.id, Submission.unit_id == uid)
        .where(Submission.submitted_at <= at)
        .order_by(col(Submission.version).desc())
    ).all()
    adjustments = session.exec(
        select(Adjustment)
        .where(Adjustment.cycle_id == ctx.cycle.id, Adjustment.unit_id == uid)
        .where(Adjustment.recorded_at <= at)  # as the standing: nothing recorded after ``at``
        .order_by(col(Adjustment.recorded_at).desc(), col(Adjustment.id).desc())
    ).all()
    codes = ctx.org.codes_by_id
    labels = dict(TARGET_LABELS)
    if unit.assessed:
        labels |= {c.code: f"{c.code}. {c.name}" for c in ctx.criteria_for(unit).criteria}
    # the same standing as ``status`` (returns, N/A, the band quota over the compiler's units)
    # (none for a unit no longer active: it reports nothing, its page shows no standing)
    found = unit_results(ctx, session, at, [code]) if unit.assessed else []
    own = found[0] if found else None
    published = published_by(ctx.cycle.published_at, at)  # as at the page's instant
    result = session.exec(
        select(Result).where(Result.cycle_id == ctx.cycle.id, Result.unit_id == uid)
    ).first()
    return UnitView(
        year=year,
        title=ctx.cycle.title,
        code=code,
        name=unit.name,
        assessed=unit.assessed,
        deadline=deadline,
        days_left=(deadline - today).days,
        tz=ctx.tz,
        status=own,
        versions=[
            Version(
                s.version,
                local_text(s.submitted_at, ctx.tz),
                s.file_name,
                s.self_total,
                s.submitted_by,
            )
            for s in subs
        ],
        adjustments=[
            AdjustmentLine(
                codes[a.by_unit_id],
                a.target,
                a.value,
                a.reason,
                local_text(a.recorded_at, ctx.tz),
                by_name=ctx.units[codes[a.by_unit_id]].name,
                label=labels.get(a.target, a.target),
            )
            for a in adjustments
        ],
        result=result if published else None,
        published=published,
        criteria=ctx.criteria_for(unit) if unit.assessed else None,
        scores=dict(subs[0].scores) if subs else {},
        receipt=receipts_for(session, ctx, [(code, subs[0].version)]).get((code, subs[0].version))
        if subs
        else None,
        ranked=_ranked_beside(session, ctx.cycle.id, result) if published else None,
    )


def _ranked_beside(session: Session, cycle_id: int, result: Result | None) -> int | None:
    """How many units were ranked under the same compiler as ``result`` (one count query)."""
    if result is None or result.rank is None:
        return None
    stmt = select(func.count()).select_from(Result).where(Result.cycle_id == cycle_id)
    stmt = stmt.where(Result.compiler_id == result.compiler_id, col(Result.rank).is_not(None))
    return session.exec(stmt).one()


def compiler_view(
    session: Session,
    *,
    year: int,
    code: str,
    at: datetime,
    out_dir: Path,
    status_filter: str | None = None,
    sort: str = "code",
    page: int = 1,
    rows_per_page: int = PAGE_ROWS,
) -> CompilerView:
    """The subtree's standings (``status``'s rule and read path), filtered and sorted over the
    whole subtree, then cut to ``page`` of ``rows_per_page`` rows (out of range: the nearest page)."""
    ctx = cached_context(session, year, code)
    within = [c for c in subtree(ctx.units, code) if c != code]
    results = unit_results(ctx, session, at, within)
    summary = standing.summarize(results)
    if status_filter in STATUS_LABELS:
        results = [r for r in results if r.status == status_filter]
    else:
        status_filter = None
    results = sorted(results, key=_sort_key(sort if sort in SORTS else "code"))
    pages = max(1, -(-len(results) // rows_per_page))
    page = min(max(page, 1), pages)
    outbox: dict = {}
    if code == ctx.province:
        assert ctx.cycle.id is not None
        outbox = deliveries(session, ctx.cycle.id, year)
    in_doubt = [f for f in outbox.get("failed", []) if f["status"] == "unknown"]
    return CompilerView(
        year=year,
        title=ctx.cycle.title,
        code=code,
        name=ctx.units[code].name,
        is_province=code == ctx.province,
        summary=summary,
        units=results[(page - 1) * rows_per_page : page * rows_per_page],
        status_filter=status_filter,
        sort=sort if sort in SORTS else "code",
        reports=sorted({*compiled_reports(out_dir, code), *_stored_reports(session, ctx, code)}),
        published=published_by(ctx.cycle.published_at, at),
        tz=ctx.tz,
        page=page,
        pages=pages,
        rows=len(results),
        unknown=in_doubt,
        what_to_do=outbox["unknown"]["what_to_do"] if in_doubt else None,
        resend=outbox["unknown"]["resend"] if in_doubt else None,
    )


def _sort_key(sort: str):
    far = datetime.max.replace(tzinfo=None)
    if sort == "status":
        return lambda r: (STATUS_ORDER.index(r.status), r.code)
    if sort == "submitted_at":
        return lambda r: (
            r.submitted_at is None,
            r.submitted_at.replace(tzinfo=None) if r.submitted_at else far,
            r.code,
        )
    if sort == "self_total":
        return lambda r: (r.self_total is None, -(r.self_total or 0), r.code)
    return lambda r: r.code


def _stored_reports(session: Session, ctx: CycleContext, code: str) -> list[str]:
    """The files of ``code``'s latest compilation kept in the database (any machine's)."""
    assert ctx.cycle.id is not None
    return list(stored_files(session, cycle_id=ctx.cycle.id, compiler_id=ctx.org.ids[code]))


def compiled_reports(out_dir: Path, code: str) -> list[str]:
    """The files ``compile`` wrote for ``code`` (its folder in the output directory)."""
    folder = out_dir / code
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and not is_internal(p.name)
    )


def submission_file(
    session: Session, *, ctx: CycleContext, code: str, version: int | None
) -> tuple[str, bytes] | None:
    """A unit's submitted file (the latest version when ``version`` is None)."""
    assert ctx.cycle.id is not None
    stmt = select(Submission).where(
        Submission.cycle_id == ctx.cycle.id, Submission.unit_id == ctx.org.ids[code]
    )
    if version is not None:
        stmt = stmt.where(Submission.version == version)
    sub = session.exec(stmt.order_by(col(Submission.version).desc())).first()
    if sub is None:
        return None
    stored = session.get(StoredFile, sub.file_sha256)
    assert stored is not None
    return f"{code}-v{sub.version}-{sub.file_name}", stored.content


def attachment(
    session: Session, *, ctx: CycleContext, code: str, file_id: int
) -> tuple[str, bytes] | None:
    """A report or evidence file ``code`` sent with any of its versions (None when the file is
    another unit's: the caller has already checked that the viewer may see ``code``)."""
    assert ctx.cycle.id is not None
    row = session.exec(
        select(SubmissionFile, StoredFile)
        .join(Submission, col(Submission.id) == col(SubmissionFile.submission_id))
        .join(StoredFile, col(StoredFile.sha256) == col(SubmissionFile.sha256))
        .where(SubmissionFile.id == file_id, Submission.cycle_id == ctx.cycle.id)
        .where(Submission.unit_id == ctx.org.ids[code])
    ).first()
    if row is None:
        return None
    sent, stored = row
    return sent.file_name.replace("\\", "/").rsplit("/", 1)[-1], stored.content
