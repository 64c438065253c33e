"""Recording a set of read files at once (SPEC §4.1, issue 20): one transaction for the set, a
handful of statements whatever its size, each file still accepted or refused on its own.

Every decision is taken in memory first — the cycle locked once (shared), the units' locks
taken together in id order, their latest versions, the cycle's returns and which files are
stored already each read in one query — and only the accepted files are written, in bulk: the
stored bytes, the versions, their files, their passages, the audit entries and the receipts'
messages (the outbox). A refused file writes nothing. Two files of one unit in one set are
taken in order, the second seeing the first (versions N+1, N+2, or "received before").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from danvan.models import intake_sql, store, versions
from danvan.models.context import CycleContext
from danvan.models.tables import SubmissionReturn
from danvan.rules import scoring, timing
from danvan.rules.domain import OrgUnit
from danvan.rules.errors import Rejected, reject
from danvan.rules.revision import revision_standing
from danvan.rules.submission import check_submission_context
from danvan.rules.submission_checks import breakdown_warnings, check_submission
from danvan.tasks.guard import PASS_THROUGH, internal_error
from danvan.tasks.intake_read import Incoming, located
from danvan.tasks.intake_result import FileResult, accepted, rejected
from danvan.tasks.narrative import read_passages
from danvan.tasks.receipts import queue_receipts
from danvan.tasks.revision import returned_again, timeliness_of
from danvan.workbook.layout import check_identity
from danvan.workbook.read import locate


@dataclass
class _New:
    """An accepted file's new version, decided and not yet written."""

    index: int  # its place in the set
    item: Incoming
    unit: OrgUnit
    unit_id: int
    version: int
    first: datetime
    digest: str
    row: dict


def record_set(
    session: Session,
    ctx: CycleContext,
    items: Sequence[Incoming],
    at: datetime,
    actor: str,
    expected_unit: str | None = None,
) -> list[FileResult]:
    """Check and record ``items`` (all of the cycle ``ctx``) in ``session``'s transaction; one
    answer per item, in order. Errors of the database go up (the caller's transaction, and so
    the whole set, is then rolled back)."""
    cycle_id = ctx.cycle.id
    assert cycle_id is not None
    # Fresh and locked (shared): a publication waits for these files, or they see it.
    state = intake_sql.lock_cycle_state(session=session, cycle_id=cycle_id)
    published = state is None or state[0] is not None
    answers: list[FileResult | None] = [None] * len(items)
    checked: list[tuple[int, Incoming, OrgUnit]] = []
    for i, item in enumerate(items):
        try:
            checked.append((i, item, _check_context(ctx, item, at, published, expected_unit)))
        except Rejected as exc:
            answers[i] = _refused(item, exc)
        except PASS_THROUGH:
            raise
        except Exception as exc:  # the last resort: this file is answered, the set goes on
            answers[i] = rejected(item.path, internal_error(exc, item.path), item.doc)
    unit_ids = sorted({ctx.org.ids[u.code] for _, _, u in checked})
    store.lock_units(session=session, unit_ids=unit_ids)  # one writer per unit's versions
    heads = intake_sql.unit_heads(session=session, cycle_id=cycle_id, unit_ids=unit_ids)
    returns: dict[tuple[int, int], SubmissionReturn] = {}
    for r in intake_sql.returns_of_units(session=session, cycle_id=cycle_id, unit_ids=unit_ids):
        returns.setdefault((r.unit_id, r.version), r)  # a version's first return decides
    new: list[_New] = []
    duplicates: list[tuple[int, Incoming, OrgUnit, versions.Head, list]] = []
    for i, item, unit in checked:
        unit_id = ctx.org.ids[unit.code]
        try:
            found = _decide(ctx, item, unit, unit_id, heads.get(unit_id), returns, at)
        except Rejected as exc:
            answers[i] = _refused(item, exc)
            continue
        except PASS_THROUGH:
            raise
        except Exception as exc:
            answers[i] = rejected(item.path, internal_error(exc, item.path), item.doc)
            continue
        head, warnings, row = found
        if row is None:  # the very file of the latest version: "received before"
            assert head is not None
            duplicates.append((i, item, unit, head, warnings))
            continue
        version = head.version + 1 if head else 1
        first = head.first_submitted_at if head else at
        digest = row["file_sha256"]
        new.append(_New(i, item, unit, unit_id, version, first, digest, row | {"version": version}))
        # the next file of this unit in the set sees this one
        heads[unit_id] = versions.Head(version, -1, digest, first)
    _write(session, ctx, new, at, actor)
    returned_units = {unit_id for unit_id, _ in returns}
    for n in new:
        when = _when(ctx, session, n.unit, n.version, n.first, n.unit_id in returned_units)
        answers[n.index] = accepted(
            n.item.path, n.unit.code, ctx.cycle.year, n.version, when, n.row["warnings"]
        )
    for i, item, unit, head, warnings in duplicates:
        unit_id = ctx.org.ids[unit.code]
        when = _when(ctx, session, unit, head.version, head.first_submitted_at,
                     unit_id in returned_units)  # fmt: skip
        answers[i] = accepted(
            item.path, unit.code, ctx.cycle.year, head.version, when, warnings, duplicate=True
        )
    done = [a for a in answers if a is not None]
    assert len(done) == len(items)
    queue_receipts(session, ctx, [a for a in done if a.accepted], at)
    return done


def _refused(item: Incoming, exc: Rejected) -> FileResult:
    return rejected(item.path, located(exc, item.sheet).with_file(item.path), item.doc)


def _check_context(
    ctx: CycleContext, item: Incoming, at: datetime, published: bool, expected: str | None
) -> OrgUnit:
    """May this unit send to this cycle now (and is it the unit expected)?"""
    doc = item.doc
    unit = ctx.units.get(doc.unit)
    try:
        check_submission_context(
            doc,
            unit=unit if doc.unit in ctx.in_province else None,
            cycle_year=ctx.cycle.year,
            published=published,
            known=ctx.province_units,
            at=at,
            issued_at=ctx.cycle.issued_at,
            tz=ctx.tz,
        )
    except Rejected as exc:
        raise Rejected([*item.pending, *exc.problems]) from None
    assert unit is not None
    if item.sheet is not None:
        check_identity(
            item.sheet.identity,
            unit=unit.code,
            criteria=ctx.criteria_for(unit),
            expected_unit=expected,
        )
    elif expected and expected != unit.code:
        raise reject("wrong_unit", "unit", f"Tệp của đơn vị {unit.code}, không phải {expected}.")
    return unit


def _decide(
    ctx: CycleContext,
    item: Incoming,
    unit: OrgUnit,
    unit_id: int,
    head: versions.Head | None,
    returns: dict,
    at: datetime,
) -> tuple[versions.Head | None, list[dict[str, str]], dict | None]:
    """The file's fate given the unit's latest version: "received before" (no row), refused
    (:class:`Rejected`), or the new version's row (without its number)."""
    doc, sheet = item.doc, item.sheet
    warnings = [
        {"code": w.code, "field": w.field, "message": w.message} for w in breakdown_warnings(doc)
    ]
    digest = store.sha256(item.data)
    if head is not None and head.file_sha256 == digest:
        # "Đã nhận trước đó" (version N), with or without its attachments, from any door;
        # refused while that version stays returned (issue 17)
        returned = returns.get((unit_id, head.version))
        if returned is not None:
            raise returned_again(head.version, returned)
        return head, warnings, None
    criteria = ctx.criteria_for(unit)
    problems = list(sheet.problems) if sheet is not None else []
    try:
        check_submission(doc, criteria=criteria, kind=unit.kind)
    except Rejected as exc:
        problems = exc.problems
    problems = [*item.pending, *problems]
    if sheet is not None:
        problems = locate(problems, sheet)
    if problems:
        raise Rejected(problems)
    report = next((f for f in item.files if f.role == "report"), None)
    return (
        head,
        warnings,
        {
            "cycle_id": ctx.cycle.id,
            "unit_id": unit_id,
            "submitted_at": at,
            "submitted_by": doc.submitted_by,
            "criteria_set_code": criteria.code,
            "scores": dict(doc.scores),
            "bonus": doc.bonus,
            "penalty": doc.penalty,
            "self_total": scoring.unit_total(
                criteria, doc.scores, doc.bonus, doc.penalty, list(doc.not_applicable), unit.kind
            ),
            "figures": {g: dict(f) for g, f in doc.figures.items()},
            "not_applicable": dict(doc.not_applicable),
            "breakdowns": dict(doc.breakdowns),
            "warnings": warnings,
            "file_name": item.name,
            "file_sha256": digest,
            "report_file_name": report.name if report else None,
            "report_sha256": store.sha256(report.data) if report else None,
        },
    )


def _write(session: Session, ctx: CycleContext, new: list[_New], at: datetime, actor: str) -> None:
    """The accepted files' rows, a few statements for the whole set."""
    if not new:
        return
    blobs: dict[str, bytes] = {}
    for n in new:
        blobs.setdefault(n.digest, n.item.data)
        for f in n.item.files:
            blobs.setdefault(store.sha256(f.data), f.data)
    intake_sql.store_files(session=session, blobs=blobs, at=at)
    ids = intake_sql.insert_submissions(session=session, rows=[n.row for n in new])
    files, passages, audit = [], [], []
    for n, sub_id in zip(new, ids, strict=True):
        attached = [(f, store.sha256(f.data)) for f in n.item.files]
        files += [
            {
                "submission_id": sub_id,
                "role": f.role,
                "criterion": f.criterion,
                "file_name": f.name,
                "sha256": sha,
                "size": len(f.data),
            }
            for f, sha in attached
        ]
        report = next((f for f in n.item.files if f.role == "report"), None)
        if report is not None:  # the units' own words, read once (SPEC §3.9)
            found, problem = read_passages(report.name, report.data)
            passages.append({"submission_id": sub_id, "passages": found, "problem": problem})
        audit.append(
            {
                "at": at,
                "actor": actor,
                "action": "submit",
                "entity": "submission",
                "entity_key": f"{ctx.cycle.year}/{n.unit.code}/v{n.version}",
                "detail": {
                    "file": n.item.name,
                    "sha256": n.digest,
                    "submitted_by": n.item.doc.submitted_by,
                    "files": [{"name": f.name, "sha256": sha} for f, sha in attached],
                },
            }
        )
    intake_sql.insert_rows(session=session, table="submission_file", rows=files)
    intake_sql.insert_rows(session=session, table="report_passage", rows=passages)
    intake_sql.insert_rows(session=session, table="audit", rows=audit)


def _when(
    ctx: CycleContext, session: Session, unit: OrgUnit, version: int, first: datetime,
    returned: bool,
) -> tuple[str, int]:  # fmt: skip
    """On time or late: a unit ever returned is read through its returns (a query); any other
    from its first instant alone, as :func:`timeliness_of` would find it."""
    if returned:
        return timeliness_of(ctx, session, unit.code, version, first)
    deadline = ctx.deadline("self_assessment")
    rev = revision_standing(
        timing.timeliness(first, deadline, ctx.tz),
        timing.days_late(first, deadline, ctx.tz),
        (),
        version,
        ctx.tz,
    )
    return rev.timeliness, rev.days_late
