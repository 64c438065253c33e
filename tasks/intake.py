"""Tiếp nhận: record self-assessment files, each on its own transaction (SPEC §4.1).

A valid file is recorded even when others of the batch are rejected; a rejected file changes
nothing. The original bytes (and the narrative report file it names) are kept with their sha256.
Sending the very same file again is recognised and records no new version, so a re-run of
``submit`` at the same instant gives the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from danvan.config.settings import get_settings
from danvan.models import store, versions
from danvan.models.context import CycleContext
from danvan.models.db import get_engine, transaction
from danvan.models.tables import Submission, SubmissionFile, SubmissionReturn
from danvan.rules import scoring
from danvan.rules.domain import SubmissionDoc
from danvan.rules.errors import Problem, Problems, Rejected, reject
from danvan.rules.formats import bounded, load_document, xlsx_rows
from danvan.rules.submission import check_submission_context, parse_submission
from danvan.rules.submission_checks import breakdown_warnings, check_submission
from danvan.rules.text import normalize_text
from danvan.rules.xlsx_read import read_xlsx
from danvan.tasks.files import limits, read_attachment, read_input, xlsx_limits
from danvan.tasks.guard import PASS_THROUGH, internal_error
from danvan.tasks.intake_contexts import CachedContexts, CycleContexts
from danvan.tasks.narrative import keep_passages
from danvan.tasks.revision import returned_again, returned_version, timeliness_of
from danvan.workbook.layout import check_identity, is_template
from danvan.workbook.read import WorkbookRead, clean_doc, locate, read_workbook


@dataclass
class FileResult:
    """The answer for one file: accepted (version, on time / days late) or rejected with reasons."""

    file: str
    accepted: bool
    unit: str | None = None  # for a refused file: the unit it claims to be from, if readable
    year: int | None = None
    version: int | None = None
    status: str | None = None  # on_time | late
    days_late: int | None = None
    duplicate: bool = False
    problems: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # accepted, but look again

    def to_dict(self) -> dict:
        return asdict(self)


#: Told each file's answer (``FileResult.to_dict()``) as soon as the file is settled.
OnAnswer = Callable[[dict], None]


class CutOff(Exception):
    """A batch stopped midway by a failure that is not about a file (the database went away, the
    disk is full): every file answered before it stands, its answer already handed to the
    caller's ``on_answer``; ``not_reached`` names, in order, the files that got no answer.

    Sending those again is safe: a file recorded after all (its transaction committed just as
    the connection dropped) is answered "received before" (version N), never a second version.
    """

    def __init__(self, cause: BaseException, not_reached: Sequence[str]) -> None:
        # No text of the cause: it may carry a statement's data (see ``tasks.guard``).
        super().__init__(f"{type(cause).__name__}: {len(not_reached)} files not reached")
        self.cause = cause
        self.not_reached = list(not_reached)


def record_one(
    path: str,
    at: datetime,
    actor: str = "cli",
    contexts: CycleContexts | None = None,
    *,
    expected_unit: str | None = None,
    base_dir: str | None = None,
) -> FileResult:
    """Validate and record one submission file at instant ``at``, in its own transaction.

    ``expected_unit``: the unit known to be sending (the portal's signed-in unit); a workbook
    made for another unit is then refused. ``base_dir``: where the report and evidence files
    sit (default: beside the file).
    """
    doc: SubmissionDoc | None = None
    try:
        name, data = read_input(path)
        doc, sheet = read_submission(name, data)
        try:
            pending: list[Problem] = []  # a missing report must not hide the scores' problems
            try:
                files = _read_files(Path(base_dir) if base_dir else Path(path).parent, doc)
            except Rejected as exc:
                files, pending = [], list(exc.problems)
            ctx = (contexts or CycleContexts()).get(doc.year, doc.unit)
            with transaction(get_engine()) as session:
                incoming = Incoming(path, name, data, doc, sheet, files, pending)
                return _record(session, ctx, incoming, at, actor, expected_unit)
        except Rejected as exc:
            raise _located(exc, sheet).with_file(path) from None
    except Rejected as exc:
        return _rejected(path, exc, doc)
    except PASS_THROUGH:
        raise
    except Exception as exc:  # the last resort: this file is answered, the batch goes on
        return _rejected(path, internal_error(exc, path), doc)


def _rejected(path: str, exc: Rejected, doc: SubmissionDoc | None) -> FileResult:
    problems = [{"code": p.code, "field": p.field, "message": p.message} for p in exc.problems]
    claimed = (doc.unit, doc.year) if doc is not None else (None, None)
    return FileResult(
        file=path, accepted=False, unit=claimed[0], year=claimed[1], problems=problems
    )


def read_submission(name: str, data: bytes) -> tuple[SubmissionDoc, WorkbookRead | None]:
    """A YAML/JSON file, or a workbook from ``danvan template`` (with the cell of every value)."""
    xlimits, bounds = xlsx_limits("submission"), limits()
    rows_allowed = bounds.max_submission_rows
    if not name.lower().endswith(".xlsx"):
        doc = load_document(name, data, xlimits, limits=bounds, rows=rows_allowed)
        return parse_submission(doc, name), None
    book = read_xlsx(name, data, xlimits)
    if not is_template(list(book.sheets)):  # a sheet of ``key | value`` rows
        rows = [
            {k: normalize_text(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in xlsx_rows(book.sheets)
        ]
        return parse_submission(bounded(name, rows, bounds, rows_allowed), name), None
    sheet = read_workbook(book.sheets, no_value=book.no_value)
    try:
        doc = parse_submission(bounded(name, clean_doc(sheet), bounds, rows_allowed), name)
    except Rejected as exc:
        raise Rejected(locate(exc.problems, sheet), file=name) from None
    return doc, sheet


def _located(exc: Rejected, sheet: WorkbookRead | None) -> Rejected:
    if sheet is None:
        return exc
    return Rejected(locate(exc.problems, sheet), file=exc.file, extra=exc.extra)


@dataclass
class Attachment:
    """A report or evidence file read from beside the submission."""

    role: str  # report | evidence
    criterion: str | None
    name: str
    data: bytes


def _read_files(base: Path, doc: SubmissionDoc) -> list[Attachment]:
    """The report and every evidence file; every missing or refused file reported at once."""
    limit = get_settings().max_evidence_bytes
    wanted: list[tuple[str, str | None, str]] = []
    if doc.report_file:
        wanted.append(("report", None, doc.report_file))
    wanted += [("evidence", c, n) for c, names in doc.evidence.items() for n in names]
    out, p = [], Problems()
    for role, criterion, rel in wanted:
        field = "report_file" if role == "report" else f"evidence.{criterion}"
        label = "tệp báo cáo" if role == "report" else "tệp minh chứng"
        try:
            data = read_attachment(base / rel, field=field, label=label, limit=limit, base=base)
            out.append(Attachment(role, criterion, rel, data))
        except Rejected as exc:
            p.items.extend(exc.problems)
    p.raise_if_any()
    return out


@dataclass(frozen=True)
class Incoming:
    """One file as read, before it is checked against the cycle: what the sender sent."""

    path: str  # as given (the answer names it)
    name: str  # the file's own name
    data: bytes
    doc: SubmissionDoc
    sheet: WorkbookRead | None  # a workbook: where each value sat
    files: list[Attachment]  # the report and evidence files found beside it
    pending: list[Problem]  # problems found reading those files, answered with the rest


def _record(
    session: Session,
    ctx: CycleContext,
    incoming: Incoming,
    at: datetime,
    actor: str,
    expected_unit: str | None,
) -> FileResult:
    path, name, data, doc = incoming.path, incoming.name, incoming.data, incoming.doc
    files, sheet, pending = incoming.files, incoming.sheet, incoming.pending
    # Fresh and locked (shared): a publication waits for this file, or this file sees it.
    cycle = store.lock_cycle(session=session, cycle_id=ctx.cycle.id)
    unit = ctx.units.get(doc.unit)
    try:
        check_submission_context(
            doc,
            unit=unit if doc.unit in ctx.province_units else None,
            cycle_year=ctx.cycle.year,
            published=cycle is None or cycle.published_at is not None,
            known=ctx.province_units,
            at=at,
            issued_at=ctx.cycle.issued_at,
            tz=ctx.tz,
        )
    except Rejected as exc:
        raise Rejected([*pending, *exc.problems]) from None
    assert unit is not None
    criteria = ctx.criteria_for(unit)
    if sheet is not None:
        check_identity(
            sheet.identity, unit=unit.code, criteria=criteria, expected_unit=expected_unit
        )
    elif expected_unit and expected_unit != unit.code:
        raise reject(
            "wrong_unit", "unit", f"Tệp của đơn vị {unit.code}, không phải {expected_unit}."
        )
    unit_id = ctx.org.ids[unit.code]
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    warnings = [
        {"code": w.code, "field": w.field, "message": w.message} for w in breakdown_warnings(doc)
    ]
    digest = store.sha256(data)
    store.lock_unit(session=session, unit_id=unit_id)  # versions of one unit: one writer at a time
    latest = versions.unit_latest(session=session, cycle_id=cycle_id, unit_id=unit_id)
    if same_file_again(latest, digest, returned_version(session, cycle_id, unit_id, latest)):
        # "Đã nhận trước đó" (version N), with or without its attachments, from any door
        assert latest is not None
        first = latest.first_submitted_at
        version = latest.submission.version
        when = timeliness_of(ctx, session, unit.code, version, first)
        return _accepted(path, unit.code, ctx.cycle.year, version, when, warnings, duplicate=True)
    problems = list(sheet.problems) if sheet is not None else []
    try:
        check_submission(doc, criteria=criteria, kind=unit.kind)
    except Rejected as exc:
        problems = exc.problems
    problems = [*pending, *problems]
    if sheet is not None:
        problems = locate(problems, sheet)
    if problems:
        raise Rejected(problems)
    store.store_file(session=session, data=data, at=at)
    stored = [(f, store.store_file(session=session, data=f.data, at=at)) for f in files]
    report = next(((f, sha) for f, sha in stored if f.role == "report"), None)
    version = latest.submission.version + 1 if latest else 1
    row = Submission(
        cycle_id=cycle_id,
        unit_id=unit_id,
        version=version,
        submitted_at=at,
        submitted_by=doc.submitted_by,
        criteria_set_code=criteria.code,
        scores=dict(doc.scores),
        bonus=doc.bonus,
        penalty=doc.penalty,
        self_total=scoring.unit_total(
            criteria, doc.scores, doc.bonus, doc.penalty, list(doc.not_applicable), unit.kind
        ),
        figures={g: dict(f) for g, f in doc.figures.items()},
        not_applicable=dict(doc.not_applicable),
        breakdowns=dict(doc.breakdowns),
        warnings=warnings,
        file_name=name,
        file_sha256=digest,
        report_file_name=report[0].name if report else None,
        report_sha256=report[1] if report else None,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for f, sha in stored:
        session.add(
            SubmissionFile(
                submission_id=row.id,
                role=f.role,
                criterion=f.criterion,
                file_name=f.name,
                sha256=sha,
                size=len(f.data),
            )
        )
    if report is not None:  # the units' own words, read once (SPEC §3.9)
        keep_passages(session, row.id, report[0].name, report[0].data)
    store.audit(
        session=session,
        at=at,
        actor=actor,
        action="submit",
        entity="submission",
        key=f"{ctx.cycle.year}/{unit.code}/v{version}",
        file=name,
        sha256=digest,
        submitted_by=doc.submitted_by,
        files=[{"name": f.name, "sha256": sha} for f, sha in stored],
    )
    first = latest.first_submitted_at if latest else at
    when = timeliness_of(ctx, session, unit.code, version, first)
    return _accepted(path, unit.code, ctx.cycle.year, version, when, warnings)


def same_file_again(
    latest: versions.Latest | None, digest: str, returned: SubmissionReturn | None = None
) -> bool:
    """Is this the very file the unit's latest version was read from? Then it is answered
    "received before" (version N) and nothing is recorded: the one rule for every door. While
    that version stays returned (``returned``), it is refused instead [returned_same_file]."""
    if latest is None or latest.submission.file_sha256 != digest:
        return False
    if returned is not None:
        raise returned_again(latest.submission.version, returned)
    return True


def _accepted(
    path, code, year: int, version, when: tuple[str, int], warnings, duplicate=False
) -> FileResult:
    return FileResult(
        file=path,
        accepted=True,
        unit=code,
        year=year,
        version=version,
        status=when[0],
        days_late=when[1],
        duplicate=duplicate,
        warnings=warnings,
    )


def record_submissions(
    paths: list[str],
    at: datetime,
    actor: str = "cli",
    expected_unit: str | None = None,
    from_cache: bool = False,
    on_answer: OnAnswer | None = None,
) -> list[dict]:
    """One batched step for all files (coarse on purpose: one Prefect task, not one per file).

    ``expected_unit``: the unit known to be sending (the portal's signed-in unit).
    ``from_cache``: take the cycle from the long-lived cache of the tree (the portal, whose
    process lives across uploads) instead of loading it for this batch.
    ``on_answer``: told each file's answer as soon as it is recorded or rejected, so that a batch
    cut off midway has answered every file it recorded; the cut-off itself raises
    :class:`CutOff` naming the files not reached.
    """
    contexts = CachedContexts() if from_cache else CycleContexts()
    answers: list[dict] = []
    for i, path in enumerate(paths):
        try:
            answer = record_one(path, at, actor, contexts, expected_unit=expected_unit).to_dict()
        except PASS_THROUGH as exc:  # the database, not the file: no later file can be answered
            raise CutOff(exc, paths[i:]) from exc
        answers.append(answer)
        if on_answer is not None:
            on_answer(answer)
    return answers
