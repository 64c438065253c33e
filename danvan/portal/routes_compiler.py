"""A compiler's pages: its subtree's progress, each unit's file, appraisal, compiling, and (the
province) publication. A compiler sees only the units below it (``rules.access.may_view``)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from danvan.flows.appraise import appraise as appraise_flow
from danvan.flows.revision import return_for_revision
from danvan.models.context import CycleContext
from danvan.models.db import get_engine, reading
from danvan.portal.deps import (
    Viewer,
    actor,
    after_step,
    attachment_answer,
    audit,
    check_csrf,
    download,
    log_notices,
    page,
    portal_of,
    scope,
    viewer,
)
from danvan.rules.access import may_view
from danvan.rules.entry import appraisal_problems
from danvan.rules.errors import Rejected
from danvan.rules.org import subtree
from danvan.rules.text import parse_decimal, parse_id
from danvan.tasks import pages
from danvan.tasks.assistant import flagged_units, unit_assistant
from danvan.tasks.compiled_files import materialize
from danvan.tasks.signoff import decide, is_approved

router = APIRouter()


def compiler_scope(v: Viewer) -> CycleContext:
    ctx = scope(v)
    if not ctx.units[v.code].compiles:
        raise HTTPException(404, "Trang tổng hợp chỉ dành cho đơn vị tổng hợp.")
    return ctx


def below(v: Viewer, code: str) -> CycleContext:
    """The context, when ``code`` is a unit the viewer compiles (404 otherwise: no hint)."""
    ctx = compiler_scope(v)
    if code == v.code or not may_view(ctx.units, v.code, code):
        raise HTTPException(404, "Không tìm thấy đơn vị này trong phạm vi của bạn.")
    return ctx


@router.get("/tong-hop")
def compiler_page(
    request: Request,
    v: Viewer = Depends(viewer),
    trang_thai: str | None = None,
    sap_xep: str = "code",
    trang: str = "1",
) -> Response:
    ctx = compiler_scope(v)
    assert ctx.cycle.id is not None
    portal = portal_of(request)
    with reading(get_engine()) as session:
        view = pages.compiler_view(
            session,
            year=v.year,
            code=v.code,
            at=portal.now(),
            out_dir=portal.out_dir,
            status_filter=trang_thai,
            sort=sap_xep,
            page=_page_number(trang),
            rows_per_page=portal.page_rows,
        )
        approval = is_approved(session, ctx.cycle.id) if view.is_province else None
        below_me = [c for c in subtree(ctx.units, v.code) if c != v.code]
        flagged = flagged_units(session, year=v.year, within=below_me, at=portal.now())
    return page(
        request,
        "compiler.html",
        {
            "c": view,
            "labels": pages.STATUS_LABELS,
            "approval": approval,
            "tz": view.tz,
            "assessed": ctx.units[v.code].assessed,
            "notice": notice(request),
            "flagged": flagged,
        },
    )


#: What a redirect after a compiler's action says on the next page (``?<key>=1``).
NOTICES = {
    "da_luu": "Đã lưu thẩm định; điểm sau thẩm định đã được tính lại.",
    "da_tra_lai": "Đã trả lại cho đơn vị; đơn vị được báo kèm lý do và hạn bổ sung.",
    "da_phe_duyet": "Đã ghi quyết định phê duyệt.",
}


def notice(request: Request) -> str | None:
    return next((text for key, text in NOTICES.items() if request.query_params.get(key)), None)


@router.get("/tong-hop/don-vi/{code}")
def unit_detail(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    below(v, code)
    with reading(get_engine()) as session:
        view = pages.unit_view(session, year=v.year, code=code, at=portal_of(request).now())
        assistant = unit_assistant(session, year=v.year, code=code, at=portal_of(request).now())
    context = {
        "u": view,
        "labels": pages.STATUS_LABELS,
        "problems": {},
        "notice": notice(request),
        "assistant": assistant,
    }
    return page(request, "unit_detail.html", context)


@router.get("/tong-hop/don-vi/{code}/tep")
def unit_file(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    ctx = below(v, code)
    with reading(get_engine()) as session:
        found = pages.submission_file(session, ctx=ctx, code=code, version=None)
    if found is None:
        raise HTTPException(404, "Đơn vị chưa nộp tệp nào.")
    audit(request, v, "portal_download", "submission", f"{v.year}/{code}/latest")
    return download(*found)


@router.get("/tong-hop/don-vi/{code}/tep/{file_id}")
def unit_attachment(
    code: str, file_id: str, request: Request, v: Viewer = Depends(viewer)
) -> Response:
    """A report or evidence file a unit below the viewer sent, beside its scores."""
    ctx = below(v, code)
    return attachment_answer(request, v, ctx, code, file_id)


@router.post("/tong-hop/don-vi/{code}/tham-dinh")
async def appraise(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Score per criterion, bonus, penalty, each with its reason: the file ``danvan appraise``
    reads, built from the form and checked by the same rules."""
    ctx = await run_in_threadpool(below, v, code)
    form = await request.form(max_fields=500)
    check_csrf(request, v, form.get("csrf"))
    unit = ctx.units[code]
    if not unit.assessed:
        raise HTTPException(404, "Đơn vị này không tự đánh giá trong kỳ này.")
    criteria = ctx.criteria_for(unit)
    lines: list[dict] = []
    targets: list[str] = []  # the form's name of each line's target: a criterion, bonus, penalty
    for c in criteria.criteria:
        if (value := str(form.get(f"diem_{c.code}") or "").strip()) != "":
            targets.append(c.code)
            lines.append(
                {
                    "unit": code,
                    "criterion": c.code,
                    "score": _number(value),
                    "reason": str(form.get(f"ly_do_{c.code}") or ""),
                }
            )
    for target in ("bonus", "penalty"):
        if (value := str(form.get(target) or "").strip()) != "":
            targets.append(target)
            lines.append(
                {
                    "unit": code,
                    target: _number(value),
                    "reason": str(form.get(f"ly_do_{target}") or ""),
                }
            )
    doc = {"year": v.year, "by": v.code, "adjustments": lines}
    problems: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="danvan-portal-") as tmp:
        path = Path(tmp) / f"tham-dinh-{v.code}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        at = portal_of(request).now()
        try:
            await run_in_threadpool(appraise_flow, str(path), at, actor(v))
            await run_in_threadpool(after_step, "appraise", at, [v.year])
        except Rejected as exc:
            problems = appraisal_problems(exc.problems, targets, criteria)
    if problems:
        with reading(get_engine()) as session:
            view = pages.unit_view(session, year=v.year, code=code, at=portal_of(request).now())
        return page(
            request,
            "unit_detail.html",
            {"u": view, "labels": pages.STATUS_LABELS, "problems": problems, "form": dict(form)},
            status=422,
        )
    return RedirectResponse(f"/tong-hop/don-vi/{code}?da_luu=1", status_code=303)


async def unit_form(request: Request, v: Viewer, code: str) -> FormData:
    """A compiler's form about a unit below it (404 otherwise), its CSRF token checked."""
    await run_in_threadpool(below, v, code)
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    return form


def refused_on_unit_page(
    request: Request, v: Viewer, code: str, key: str, exc: Rejected, form: FormData
) -> Response:
    """The unit's page again (422) with a refused form's problems under ``key`` and what was
    typed: the return form's (``return_problems``) and the "đã kiểm tra" form's (``flag_problems``)."""
    problems = [{"field": p.field, "message": p.message, "code": p.code} for p in exc.problems]
    at = portal_of(request).now()
    with reading(get_engine()) as session:
        view = pages.unit_view(session, year=v.year, code=code, at=at)
        assistant = unit_assistant(session, year=v.year, code=code, at=at)
    context = {"u": view, "labels": pages.STATUS_LABELS, "problems": {}, "assistant": assistant,
               key: problems, "form": dict(form)}  # fmt: skip
    return page(request, "unit_detail.html", context, status=422)


@router.post("/tong-hop/don-vi/{code}/tra-lai")
async def return_unit(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Trả lại, yêu cầu bổ sung: the ``return`` flow ``danvan return --unit --by --reason`` runs,
    with the viewer as the returning compiler (the same checks; the unit is told)."""
    form = await unit_form(request, v, code)
    portal = portal_of(request)
    try:
        await run_in_threadpool(
            lambda: return_for_revision(
                portal.now(),
                year=v.year,
                unit=code,
                by=v.code,
                reason=str(form.get("ly_do") or ""),
                actor=actor(v),
            )
        )
    except Rejected as exc:
        return refused_on_unit_page(request, v, code, "return_problems", exc, form)
    return RedirectResponse(f"/tong-hop/don-vi/{code}?da_tra_lai=1", status_code=303)


def _number(text: str) -> float | str:
    n = parse_decimal(text)
    return text if n is None else n  # the appraisal rules say why it is not a score


def _page_number(text: str) -> int:
    """``?trang=``: a page from 1 to a bound no table reaches; anything else is the first page."""
    n = parse_id(text)
    return n if n is not None and n <= 1_000_000 else 1


@router.get("/tong-hop/bao-cao/{name}")
def report_file(name: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    compiler_scope(v)
    portal = portal_of(request)
    # compiled on another machine: written back from the database, checked by sha256
    materialize(v.year, v.code, portal.out_dir)
    if name not in pages.compiled_reports(portal.out_dir, v.code):
        raise HTTPException(404, "Chưa có báo cáo này.")
    audit(request, v, "portal_download", "report", f"{v.year}/{v.code}/{name}")
    return download(name, (portal.out_dir / v.code / name).read_bytes())


@router.post("/tong-hop/phe-duyet")
async def sign_off(request: Request, v: Viewer = Depends(viewer)) -> Response:
    """The province approves the final ranking, or returns it with a note saying why: the same
    decision as ``danvan approve`` (and it releases a publication run waiting for it)."""
    ctx = await run_in_threadpool(compiler_scope, v)
    if v.code != ctx.province:
        raise HTTPException(404, "Chỉ Sở Nội vụ (cấp tỉnh) phê duyệt kết quả.")
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    decision = "returned" if form.get("quyet_dinh") == "tra_lai" else "approved"
    note = str(form.get("ghi_chu") or "")
    done = await run_in_threadpool(
        decide, v.year, v.code, portal_of(request).now(), decision, note, actor(v)
    )
    log_notices(done.notices)
    return RedirectResponse("/tong-hop?da_phe_duyet=1", status_code=303)
