"""Thẩm định: record a compiler's adjustments, each with who, when and why (SPEC §3.5).

The whole file is checked before anything is written: one bad line rejects the file, and a
rejected file changes nothing. Adjustments are appended, never edited: the latest counts.
"""

from __future__ import annotations

from datetime import datetime

from danvan.db import get_engine, transaction
from danvan.models import store
from danvan.models.tables import Adjustment
from danvan.rules.appraisal import check_appraisal, parse_appraisal
from danvan.rules.errors import Rejected, reject
from danvan.rules.formats import load_document
from danvan.tasks.context import load_context
from danvan.tasks.files import limits, read_input
from danvan.tasks.guard import guarded


def record_appraisal(path: str, at: datetime, actor: str = "cli") -> dict:
    """Check the whole file, then append its adjustments in one transaction."""
    return guarded(path, lambda: _record_appraisal(path, at, actor))


def _record_appraisal(path: str, at: datetime, actor: str) -> dict:
    name, data = read_input(path)
    bounds = limits()
    appraisal = parse_appraisal(
        load_document(name, data, limits=bounds, rows=bounds.max_submission_rows), path
    )
    with transaction(get_engine()) as session:
        try:
            ctx = load_context(session=session, year=appraisal.year, field="year")
        except Rejected as exc:
            raise exc.with_file(path) from None
        if ctx.published:
            raise reject(
                "cycle_published",
                "year",
                f"Kỳ {appraisal.year} đã công bố kết quả; không thể thẩm định thêm.",
                file=path,
            )
        units = {c: ctx.units[c] for c in ctx.province_units}
        try:
            check_appraisal(
                appraisal,
                by_unit=units.get(appraisal.by),
                units=units,
                criteria_for_unit=lambda code: ctx.criteria_for(ctx.units[code]),
            )
        except Rejected as exc:
            raise exc.with_file(path) from None
        digest = store.store_file(session=session, data=data, at=at)
        assert ctx.cycle.id is not None
        rows = [
            {
                "cycle_id": ctx.cycle.id,
                "unit_id": ctx.org.ids[adj.unit],
                "by_unit_id": ctx.org.ids[appraisal.by],
                "target": adj.target,
                "value": adj.value,
                "reason": adj.reason,
                "recorded_at": at,
                "file_sha256": digest,
            }
            for adj in appraisal.adjustments
        ]
        store.bulk_insert(session=session, model=Adjustment, rows=rows)
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="appraise",
            entity="appraisal",
            key=f"{appraisal.year}/{appraisal.by}",
            file=name,
            sha256=digest,
            adjustments=len(rows),
        )
    return {"file": path, "year": appraisal.year, "by": appraisal.by, "adjustments": len(rows)}
