"""The compiler's assistant on the portal (SPEC §3.8, §3.9): a unit's flags with the "đã kiểm
tra" form and its report's passages beside its scores (``_assistant.html``, included from the
unit's page), and the list of units with figures to check (``_flags_list.html``, on the
compiler's page). The form runs ``danvan flag check``'s core step with the viewer as ``--by``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.portal.deps import Viewer, actor, portal_of, viewer
from danvan.portal.routes_compiler import refused_on_unit_page, unit_form
from danvan.rules.errors import Rejected
from danvan.tasks.quality import check_flag

router = APIRouter()


@router.post("/tong-hop/don-vi/{code}/kiem-tra")
async def mark_checked(code: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Đã kiểm tra: the same step as ``danvan flag check --by <viewer>``."""
    form = await unit_form(request, v, code)
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
        return refused_on_unit_page(request, v, code, "flag_problems", exc, form)
    return RedirectResponse(f"/tong-hop/don-vi/{code}?da_kiem_tra=1#so-lieu", status_code=303)
