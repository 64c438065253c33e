"""Trả lại, yêu cầu bổ sung: record returns and build the notices; load returns for the views.

One transaction for the whole file or command: every line is checked first, and a rejected
input changes nothing. The unit is told through the outbox (kind ``returned``, milestone
``revision``), with the reason and ``revise_by``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from danvan.models import store, versions
from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, transaction
from danvan.models.tables import SubmissionReturn
from danvan.rules import timing
from danvan.rules.errors import Rejected, reject
from danvan.rules.revision import (
    MILESTONE,
    ReturnDoc,
    ReturnFacts,
    check_returns,
    parse_returns,
    return_from_options,
    revise_by,
    revision_standing,
)
from danvan.rules.text import format_date_short
from danvan.tasks.standings import load_returns

if TYPE_CHECKING:  # status reads returns through here: no Jinja, no YAML for it (issue 20)
    from danvan.notify.messages import Queued


def timeliness_of(
    ctx: CycleContext, session: Session, unit: str, version: int, first: datetime
) -> tuple[str, int]:
    """What ``submit`` answers for a version: on time / late, a late revision included."""
    deadline = ctx.deadline("self_assessment")
    rev = revision_standing(
        timing.timeliness(first, deadline, ctx.tz),
        timing.days_late(first, deadline, ctx.tz),
        load_returns(ctx, session, unit=unit).get(unit, ()),
        version,
        ctx.tz,
    )
    return rev.timeliness, rev.days_late


def returned_version(
    session: Session, cycle_id: int, unit_id: int, latest: versions.Latest | None
) -> SubmissionReturn | None:
    """The return of the unit's latest version when that version was returned: the unit stays
    returned until a newer version arrives (SPEC §3.6)."""
    if latest is None:
        return None
    rows = versions.returns_of(session=session, cycle_id=cycle_id, unit_id=unit_id)
    return next((r for r in rows if r.version == latest.submission.version), None)


def returned_again(version: int, returned: SubmissionReturn) -> Rejected:
    """The answer to a returned unit sending the returned file again: not *ĐÃ NHẬN* (issue 17)."""
    return reject(
        "returned_same_file",
        "file",
        f"Tệp này giống hệt phiên bản {version} đã bị trả lại để bổ sung (lý do: {returned.reason});"
        f" đơn vị vẫn đang bổ sung, hạn đến hết ngày {format_date_short(returned.revise_by)}."
        " Sửa theo yêu cầu rồi gửi lại.",
    )


def open_returns(
    ctx: CycleContext, session: Session, until: datetime | None = None
) -> dict[str, ReturnFacts]:
    """The units returned and not yet revised at ``until``, with their open return."""
    latest = versions.latest_submissions(session=session, cycle_id=ctx.cycle.id or 0, until=until)
    version_of = {ctx.org.codes_by_id[u]: lt.submission.version for u, lt in latest.items()}
    out = {}
    for code, facts in load_returns(ctx, session, until).items():
        standing = revision_standing("on_time", 0, facts, version_of.get(code, 0), ctx.tz)
        if standing.open is not None:
            out[code] = standing.open
    return out


def record_returns(
    doc: ReturnDoc,
    at: datetime,
    actor: str = "cli",
    file: str | None = None,
    data: bytes | None = None,
) -> tuple[int, list[Queued], dict]:
    """Check and record every line of ``doc``; the notices to the returned units (as data)."""
    # lazy: danvan.tasks.remind imports this module (it reads returns from here): a cycle
    from danvan.tasks.remind import cycle_info, work_calendar

    with transaction(get_engine()) as session:
        try:
            ctx = load_context(  # the compiler returning names its province (several in one year)
                session=session, year=doc.year, field="year" if file else "--cycle", unit=doc.by
            )
            cycle_id = ctx.cycle.id
            assert cycle_id is not None
            # Like intake: a publication waits for this return, or this return sees it; and two
            # returns of one unit queue, the second finding the first (``already_returned``).
            cycle = store.lock_cycle(session=session, cycle_id=cycle_id)
            ids = {ctx.org.ids[line.unit] for line in doc.returns if line.unit in ctx.org.ids}
            for unit_id in sorted(ids):
                store.lock_unit(session=session, unit_id=unit_id)
            latest = versions.latest_submissions(session=session, cycle_id=cycle_id)
            version_of = {ctx.org.codes_by_id[u]: lt.submission.version for u, lt in latest.items()}
            check_returns(
                doc,
                units={c: ctx.units[c] for c in ctx.province_units},
                latest_versions=version_of,
                open_returns=open_returns(ctx, session),
                published=cycle is None or cycle.published_at is not None,
            )
        except Rejected as exc:
            raise (exc.with_file(file) if file else exc) from None
        digest = store.store_file(session=session, data=data, at=at) if data else None
        day = timing.local_date(at, ctx.tz)
        until = revise_by(day, ctx.cycle.revision_days, work_calendar())
        for line in doc.returns:
            session.add(
                SubmissionReturn(
                    cycle_id=cycle_id,
                    unit_id=ctx.org.ids[line.unit],
                    by_unit_id=ctx.org.ids[doc.by],
                    version=version_of[line.unit],
                    reason=line.reason,
                    returned_at=at,
                    revise_by=until,
                    file_sha256=digest,
                )
            )
            store.audit(
                session=session,
                at=at,
                actor=actor,
                action="return",
                entity="submission",
                key=f"{doc.year}/{line.unit}/v{version_of[line.unit]}",
                by=doc.by,
                reason=line.reason,
                revise_by=until.isoformat(),
            )
    from danvan.notify.messages import Queued, default_renderer

    info, renderer = cycle_info(ctx), default_renderer()
    queued = []
    for line in doc.returns:
        unit = ctx.units[line.unit]
        if unit.contacts:
            msg = renderer.render(
                "returned",
                {
                    "cycle": info,
                    "recipient_name": unit.name,
                    "by_name": ctx.units[doc.by].name,
                    "version": version_of[line.unit],
                    "reason": line.reason,
                    "revise_by": until,
                },
            )
            queued.append(
                Queued(line.unit, MILESTONE, "returned", day, msg.subject, msg.body, unit.contacts)
            )
    result = {
        "cycle": doc.year,
        "by": doc.by,
        "revise_by": until.isoformat(),
        "returned": [
            {"unit": line.unit, "version": version_of[line.unit], "reason": line.reason}
            for line in doc.returns
        ],
    }
    return cycle_id, queued, result


def record_from_file(path: str, at: datetime, actor: str = "cli") -> tuple[int, list[Queued], dict]:
    """A return file (YAML/JSON), kept by its sha256 like every input."""
    from danvan.rules.formats import load_document
    from danvan.tasks.files import read_input  # a return's file: not for every standing

    name, data = read_input(path)
    doc = parse_returns(load_document(name, data), path)
    return record_returns(doc, at, actor, file=path, data=data)


def record_from_options(
    year: int, unit: str, by: str, reason: str, at: datetime, actor: str = "cli"
) -> tuple[int, list[Queued], dict]:
    """``danvan return --cycle --unit --by --reason`` (problems named by the options)."""
    try:
        return record_returns(return_from_options(year, unit, by, reason), at, actor)
    except Rejected as exc:
        problems = [replace(p, field=_OPTIONS.get(p.field, p.field)) for p in exc.problems]
        raise Rejected(problems) from None


_OPTIONS = {
    "year": "--cycle",
    "by": "--by",
    "returns[0].unit": "--unit",
    "returns[0].reason": "--reason",
    "--reason": "--reason",
}
