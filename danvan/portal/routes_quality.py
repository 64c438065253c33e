"""The compiler's assistant on the portal (SPEC §3.8, §3.9): a unit's flags with the "đã kiểm
tra" form and its report's passages beside its scores (``_assistant.html``, included from the
unit's page), and the list of units with figures to check (``_flags_list.html``, on the
compiler's page). The form runs ``danvan flag check``'s core step with the viewer as ``--by``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.models.db import get_engine, reading
from danvan.portal.deps import Viewer, actor, check_csrf, page, portal_of, viewer
from danvan.portal.routes_compiler import below
from danvan.rules.errors import Rejected
from danvan.tasks import pages
from danvan.tasks.assistant import unit_assistant
from danvan.tasks.quality import check_flag

router = APIRouter()


@router.post("/tong-hop/don-vi/{code}/kiem-tra")
async def mark_checked(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Đã kiểm tra: the same step as ``danvan flag check --by <viewer>``."""
    await run_in_threadpool(below, v, code)
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    portal = portal_of(request)
    try:
        await run_in_threadpool(
            lambda: check_flag(
                year=v.year,
                unit=code,
                field=str(form.get("muc") or ""),
                by=v.code,
                note=str(form.get("ghi_chu") or ""),
                at=portal.now(),
                actor=actor(v),
            )
        )
    except Rejected as exc:
        problems = [{"field": p.field, "message": p.message, "code": p.code} for p in exc.problems]
        with reading(get_engine()) as session:
            view = pages.unit_view(session, year=v.year, code=code, at=portal.now())
            assistant = unit_assistant(session, year=v.year, code=code, at=portal.now())
        context = {"u": view, "labels": pages.STATUS_LABELS, "problems": {},
                   "assistant": assistant, "flag_problems": problems}  # fmt: skip
        return page(request, "unit_detail.html", context, status=422)
    return RedirectResponse(f"/tong-hop/don-vi/{code}?da_kiem_tra=1#so-lieu", status_code=303)
