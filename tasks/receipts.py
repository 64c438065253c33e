"""Biên nhận: after files are recorded, each sending unit is told what became of its file,
through its contacts (the outbox), whatever door the file came through: ``danvan submit``, the
portal's upload or the inbox folder (SPEC §4.5); a refusal is told by message only from the
inbox, whose sender is not there to read the answer. One message per file and answer: the outbox's
key (unit, kind ``receipt-v<N>`` or ``receipt-x<answer digest>``, day) keeps a re-run from
telling anyone twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from danvan.models.context import load_context
from danvan.models.db import get_engine, reading
from danvan.notify.messages import Queued, default_renderer
from danvan.rules import timing
from danvan.rules.errors import Rejected
from danvan.tasks.intake import FileResult
from danvan.tasks.outbox import dispatch
from danvan.tasks.remind import cycle_info


def answer_text(result: FileResult) -> str:
    """The answer as the CLI prints it, in Vietnamese (the ``.txt`` beside the file)."""
    if result.accepted:
        when = "đúng hạn" if result.status == "on_time" else f"trễ {result.days_late} ngày"
        again = " (tệp đã nhận trước đó, không tạo phiên bản mới)" if result.duplicate else ""
        return f"{result.file}: ĐÃ NHẬN {result.unit} phiên bản {result.version}, {when}{again}\n"
    lines = [f"{result.file}: BỊ TỪ CHỐI"]
    for p in result.problems:
        where = f"{p['field']}: " if p["field"] else ""
        lines.append(f"  - {where}{p['message']} [{p['code']}]")
    return "\n".join(lines) + "\n"


def tell_senders(results: Sequence[FileResult], at: datetime, refusals: bool = False) -> list[dict]:
    """Tell each unit named by a file what became of it, once per file and answer: the receipt
    (version N, on time or late, or received before), and with ``refusals`` the refusal with its
    reasons. Refusals are told only where nobody saw the answer (the inbox folder): at the CLI
    and on the portal the sender reads it at once, and a refused file changes nothing."""
    by_year: dict[int, list[FileResult]] = {}
    for r in results:
        if r.unit and r.year and (r.accepted or refusals):
            by_year.setdefault(r.year, []).append(r)
    sent: list[dict] = []
    renderer = default_renderer()
    for year, items in by_year.items():
        with reading(get_engine()) as session:
            try:
                ctx = load_context(session=session, year=year)
            except Rejected:  # a refused file may name a year without a cycle: nobody to tell
                continue
        info = cycle_info(ctx)
        day = timing.local_date(at, ctx.tz)
        queued = []
        for r in items:
            unit = ctx.units.get(r.unit or "")
            if unit is None or not unit.contacts or r.unit not in ctx.province_units:
                continue
            message = renderer.receipt(unit.name, info, r.to_dict() | {"file": Path(r.file).name})
            digest = hashlib.sha256(answer_text(r).encode()).hexdigest()[:12]
            tag = f"v{r.version}" if r.accepted else f"x{digest}"
            queued.append(
                Queued(
                    unit=unit.code,
                    milestone="self_assessment",
                    kind=f"receipt-{tag}"[:32],
                    day=day,
                    subject=message.subject,
                    body=message.body,
                    to=unit.contacts,
                )
            )
        if queued:
            assert ctx.cycle.id is not None
            sent += dispatch(ctx.cycle.id, queued, at)
    return sent
