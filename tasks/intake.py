"""Tiếp nhận: record self-assessment files, each on its own transaction (SPEC §4.1).

A valid file is recorded even when others of the batch are rejected; a rejected file changes
nothing. The original bytes (and the narrative report file it names) are kept with their sha256.
Sending the very same file again is recognised and records no new version, so a re-run of
``submit`` at the same instant gives the same result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from danvan.db import get_engine, reading, transaction
from danvan.models import store
from danvan.models.tables import Cycle, Submission
from danvan.rules import scoring, timing
from danvan.rules.errors import Rejected, reject
from danvan.rules.formats import load_document
from danvan.rules.submission import check_submission, check_submission_context, parse_submission
from danvan.runtime import task
from danvan.tasks.context import CycleContext, load_context
from danvan.tasks.files import read_input

MAX_REPORT_BYTES = 50 * 1024 * 1024


@dataclass
class FileResult:
    """The answer for one file: accepted (version, on time / days late) or rejected with reasons."""

    file: str
    accepted: bool
    unit: str | None = None
    version: int | None = None
    status: str | None = None  # on_time | late
    days_late: int | None = None
    duplicate: bool = False
    problems: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class CycleContexts:
    """The cycles a batch of files refers to, each loaded once (tree, criteria sets).

    Without this, every file would reload the whole province: 999 files took 69 s. The per-file
    transaction still re-reads what can change meanwhile (publication, the unit's versions).
    """

    def __init__(self) -> None:
        self._by_year: dict[int, CycleContext] = {}

    def get(self, year: int) -> CycleContext:
        if year not in self._by_year:
            with reading(get_engine()) as session:
                self._by_year[year] = load_context(session=session, year=year, field="year")
        return self._by_year[year]


def record_one(
    path: str, at: datetime, actor: str = "cli", contexts: CycleContexts | None = None
) -> FileResult:
    """Validate and record one submission file at instant ``at``, in its own transaction."""
    try:
        name, data = read_input(path)
        doc = parse_submission(load_document(name, data), name)
        report = _read_report(path, doc.report_file)
        ctx = (contexts or CycleContexts()).get(doc.year)
        with transaction(get_engine()) as session:
            return _record(session, ctx, path, name, data, doc, report, at, actor)
    except Rejected as exc:
        problems = [{"code": p.code, "field": p.field, "message": p.message} for p in exc.problems]
        return FileResult(file=path, accepted=False, problems=problems)


def _read_report(path: str, report_file: str | None) -> tuple[str, bytes] | None:
    if not report_file:
        return None
    target = Path(path).parent / report_file
    if not target.is_file():
        raise reject(
            "report_file_missing",
            "report_file",
            f"Không tìm thấy tệp báo cáo '{report_file}' bên cạnh tệp tự đánh giá.",
            file=path,
        )
    data = target.read_bytes()
    if len(data) > MAX_REPORT_BYTES:
        raise reject("report_file_too_large", "report_file", "Tệp báo cáo lớn hơn 50 MB.", path)
    return report_file, data


def _record(session, ctx, path, name, data, doc, report, at, actor) -> FileResult:  # type: ignore[no-untyped-def]
    cycle = session.get(Cycle, ctx.cycle.id)  # fresh: it may have been published meanwhile
    unit = ctx.units.get(doc.unit)
    try:
        check_submission_context(
            doc,
            unit=unit if doc.unit in ctx.province_units else None,
            cycle_year=ctx.cycle.year,
            published=cycle is None or cycle.published_at is not None,
        )
        assert unit is not None
        criteria = ctx.criteria_for(unit)
        check_submission(doc, criteria=criteria)
    except Rejected as exc:
        raise exc.with_file(path) from None
    unit_id = ctx.org.ids[unit.code]
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    digest = store.sha256(data)
    latest = store.unit_latest(session=session, cycle_id=cycle_id, unit_id=unit_id)
    if latest is not None and latest.submission.file_sha256 == digest:
        first = latest.first_submitted_at
        return _accepted(path, unit.code, latest.submission.version, first, ctx, duplicate=True)
    store.store_file(session=session, data=data, at=at)
    report_sha = store.store_file(session=session, data=report[1], at=at) if report else None
    version = latest.submission.version + 1 if latest else 1
    session.add(
        Submission(
            cycle_id=cycle_id,
            unit_id=unit_id,
            version=version,
            submitted_at=at,
            submitted_by=doc.submitted_by,
            criteria_set_code=criteria.code,
            scores=dict(doc.scores),
            bonus=doc.bonus,
            penalty=doc.penalty,
            self_total=scoring.total(doc.scores, doc.bonus, doc.penalty),
            figures={g: dict(f) for g, f in doc.figures.items()},
            file_name=name,
            file_sha256=digest,
            report_file_name=report[0] if report else None,
            report_sha256=report_sha,
        )
    )
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
    )
    first = latest.first_submitted_at if latest else at
    return _accepted(path, unit.code, version, first, ctx)


def _accepted(path, code, version, first, ctx, duplicate=False) -> FileResult:  # type: ignore[no-untyped-def]
    deadline = ctx.deadline("self_assessment")
    return FileResult(
        file=path,
        accepted=True,
        unit=code,
        version=version,
        status=timing.timeliness(first, deadline, ctx.tz),
        days_late=timing.days_late(first, deadline, ctx.tz),
        duplicate=duplicate,
    )


@task(name="record-submissions")
def record_submissions(paths: list[str], at: datetime, actor: str = "cli") -> list[dict]:
    """One batched step for all files (coarse on purpose: one Prefect task, not one per file)."""
    contexts = CycleContexts()
    return [record_one(p, at, actor, contexts).to_dict() for p in paths]
