"""Ban hành kế hoạch: create the cycle from a plan file and its criteria sets (SPEC §3.2–3.3).

A plan is issued once. Issuing the same plan again is recognised (same checksum) and changes
nothing; a different plan for a year that already has one is rejected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from danvan.models import store
from danvan.models.db import get_engine, transaction
from danvan.models.tables import CriteriaSetRow, Cycle, Unit
from danvan.rules import timing
from danvan.rules.band_reach import top_band_warnings
from danvan.rules.criteria import parse_criteria
from danvan.rules.criteria_store import criteria_to_dict
from danvan.rules.domain import CriteriaSet, Plan
from danvan.rules.errors import reject
from danvan.rules.formats import load_document
from danvan.rules.plan import PlanDoc, parse_plan, plan_from_doc
from danvan.rules.quality_checks import checks_to_list
from danvan.tasks.files import limits, read_input
from danvan.tasks.guard import guarded


@dataclass
class IssuedPlan:
    year: int
    province: str
    cycle_id: int
    created: bool
    #: kinds whose criteria cannot reach the top band (criteria.top_band_warnings)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"year": self.year, "province": self.province, "created": self.created,
                "warnings": list(self.warnings)}  # fmt: skip


def load_plan(path: str) -> tuple[PlanDoc, dict[str, CriteriaSet], bytes]:
    """Read the plan and every criteria file it names (paths relative to the plan)."""
    return guarded(path, lambda: _load_plan(path))


def _load_plan(path: str) -> tuple[PlanDoc, dict[str, CriteriaSet], bytes]:
    name, data = read_input(path)
    bounds = limits()
    doc = parse_plan(
        load_document(name, data, limits=bounds, rows=bounds.max_submission_rows), path
    )
    sets: dict[str, CriteriaSet] = {}
    for ref in sorted(set(doc.criteria_paths().values())):
        cpath = str(Path(path).parent / ref)
        cname, cdata = read_input(cpath)
        criteria_doc = load_document(cname, cdata, limits=bounds, rows=bounds.max_submission_rows)
        sets[ref] = parse_criteria(criteria_doc, cpath)
        data += b"\0" + cdata  # the plan's checksum covers its criteria too
    return doc, sets, data


def record_cycle(path: str, at: datetime, actor: str = "cli") -> IssuedPlan:
    """Create the cycle of the plan at ``path`` (once; the same plan again changes nothing)."""
    return guarded(path, lambda: _record_cycle(path, at, actor))


def _record_cycle(path: str, at: datetime, actor: str) -> IssuedPlan:
    doc, sets, data = load_plan(path)
    plan = plan_from_doc(doc, {ref: cs.code for ref, cs in sets.items()})
    digest = hashlib.sha256(data).hexdigest()
    with transaction(get_engine()) as session:
        # Two issues at once (or an org import of the province): the second waits here, then
        # finds the cycle the first created and answers as if it had come after.
        store.lock_provinces(session=session, codes=[plan.province])
        cut_off = plan.deadlines["self_assessment"]
        pid = session.exec(select(Unit.id).where(Unit.code == plan.province)).first()
        # the tree the cycle will use: the province's units only (SPEC §4: not the country's)
        org = store.load_org(session=session, on=cut_off, province_id=pid or 0)
        province = org.units.get(plan.province)
        if province is None or province.kind != "province":
            raise reject(
                "unknown_province",
                "province",
                f"Không có tỉnh mã '{plan.province}' trong cơ cấu tổ chức tại ngày "
                f"{cut_off.isoformat()} (hạn tự đánh giá; nhập org trước).",
                file=path,
            )
        by_kind = {kind: sets[ref] for kind, ref in doc.criteria_paths().items()}
        kinds = sorted({u.kind for u in org.units.values()} - {"province"})
        warnings = tuple(top_band_warnings(by_kind, kinds))
        existing = store.find_cycle(session=session, year=plan.year, province=plan.province)
        if existing is not None:
            if existing.plan_sha256 == digest:
                return IssuedPlan(plan.year, plan.province, existing.id or 0, False, warnings)
            raise reject(
                "cycle_exists",
                "year",
                f"Kế hoạch năm {plan.year} đã được ban hành; không thể ban hành lại với nội dung "
                "khác. Để đổi thời hạn, lịch nhắc…: danvan plan amend TỆP --reason LÝ_DO.",
                file=path,
            )
        for cs in sets.values():
            save_criteria(session, cs, at, path)
        cycle = Cycle(
            province_id=org.ids[plan.province],
            year=plan.year,
            title=plan.title,
            reference=plan.reference,
            request=plan.request,
            issued_on=plan.issued_on,
            issued_at=at,
            timezone=plan.timezone,
            self_assessment_deadline=plan.deadlines["self_assessment"],
            district_compilation_deadline=plan.deadlines["district_compilation"],
            province_scoring_deadline=plan.deadlines["province_scoring"],
            reminders=reminders_of(plan),
            criteria_by_kind=dict(plan.criteria),
            plan_sha256=digest,
            revision_days=plan.revision_days,
            checks=checks_to_list(plan.checks),
        )
        session.add(cycle)
        session.flush()
        store.store_file(session=session, data=data, at=at)
        store.audit(
            session=session,
            at=at,
            actor=actor,
            action="plan_issue",
            entity="cycle",
            key=f"{plan.province}/{plan.year}",
            sha256=digest,
            issued_at=timing.iso_local(at, plan.timezone),
        )
        return IssuedPlan(plan.year, plan.province, cycle.id or 0, True, warnings)


def reminders_of(plan: Plan) -> dict:
    """The plan's reminder policy as the cycle keeps it (JSON)."""
    return {
        "before_days": list(plan.reminders.before_days),
        "overdue_every_days": plan.reminders.overdue_every_days,
        "escalate_after_days": plan.reminders.escalate_after_days,
        "send_at": plan.reminders.send_at.strftime("%H:%M"),
        "working_days_only": plan.reminders.working_days_only,
    }


def save_criteria(session: Session, cs: CriteriaSet, at: datetime, path: str) -> None:
    """Keep a criteria set (once; the same code with other content is refused)."""
    definition = criteria_to_dict(cs)
    digest = hashlib.sha256(
        json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    row = store.get_criteria_set(session=session, code=cs.code)
    if row is None:  # another province's plan may be saving the same set right now
        new = {"code": cs.code, "name": cs.name, "definition": definition, "sha256": digest,
               "created_at": at}  # fmt: skip
        store.insert_ignore(session=session, model=CriteriaSetRow, rows=[new], keys=["code"])
        row = store.get_criteria_set(session=session, code=cs.code)
    if row is not None and row.sha256 != digest:
        raise reject(
            "criteria_set_changed",
            "code",
            f"Bộ tiêu chí '{cs.code}' đã có với nội dung khác; hãy đặt mã mới cho bộ tiêu chí sửa đổi.",
            file=path,
        )
