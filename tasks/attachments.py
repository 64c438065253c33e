"""Mẫu gửi kèm: the unit's workbook attached to its announcement and its own reminders.

Built at send time from the cycle as it stands (the outbox keeps text only), drawn once per
criteria set and stamped per unit (see :mod:`danvan.workbook.draw`), so a day of 1,000
reminders costs about a second more. Only channels that take attachments receive it (email;
Apprise knows which): the message text says where else to get it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from danvan.models.context import load_context
from danvan.models.db import get_engine, reading
from danvan.models.tables import Cycle
from danvan.tasks.compiled_files import stored_report
from danvan.workbook.layout import file_name

#: Messages to a unit about its own self-assessment: they carry its workbook.
WITH_WORKBOOK = ("announcement", "before", "due", "overdue")
Attachment = tuple[str, bytes]


def workbook_attachments(cycle_id: int, rows: Iterable[Any]) -> dict[int, tuple[Attachment, ...]]:
    """Row id → the attachments of that message (only rows that should carry the workbook);
    ``rows``: the outbox's rows as claimed (``models.outbox_sql``: ``id``, ``unit_id``,
    ``kind``…)."""
    wanted = [
        r
        for r in rows
        if r.kind in WITH_WORKBOOK
        and (r.kind == "announcement" or r.milestone == "self_assessment")
    ]
    if not wanted:
        return {}
    # lazy: drawing a workbook needs openpyxl, which status, submit and remind never load otherwise
    from danvan.tasks.templates import Stamps

    with reading(get_engine()) as session:
        cycle = session.get(Cycle, cycle_id)
        assert cycle is not None
        stamps = Stamps(load_context(session=session, year=cycle.year, province=None))
    codes = stamps.ctx.org.codes_by_id
    out: dict[int, tuple[Attachment, ...]] = {}
    for row in wanted:
        unit = stamps.ctx.units.get(codes.get(row.unit_id, ""))
        if unit is None or not (unit.active and unit.assessed) or row.id is None:
            continue
        out[row.id] = ((file_name(unit.code, cycle.year), stamps.drawn(unit).for_unit(unit)),)
    return out


def file_attachment(path: str | None, cycle_id: int | None = None) -> tuple[Attachment, ...]:
    """A file named by the message itself (a compiled report), read at send time; when it is
    not on this machine's disk (compiled by another worker), the copy the database keeps of the
    cycle's file of that name; nothing when neither has it (the text says where it is)."""
    if not path:
        return ()
    file = Path(path)
    if file.is_file():
        return ((file.name, file.read_bytes()),)
    kept = stored_report(cycle_id, file.name) if cycle_id is not None else None
    return ((file.name, kept),) if kept is not None else ()
