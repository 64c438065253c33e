"""Công bố with care (SPEC §4.5): the province's button leads to a confirmation page naming the
units that have sent nothing; before the ``province_scoring`` deadline it asks why, and the
reason goes to the core's publication (``tasks.publish.freeze``), which refuses an empty one and
keeps it in the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.flows.publish import publish as publish_flow
from danvan.portal.deps import (
    Viewer,
    actor,
    after_step,
    check_csrf,
    page,
    portal_of,
    scope,
    viewer,
)
from danvan.rules.errors import Rejected
from danvan.tasks.publish import publish_check

router = APIRouter()


def province_only(v: Viewer) -> None:
    if v.code != scope(v).province:
        raise HTTPException(404, "Chỉ Sở Nội vụ (cấp tỉnh) công bố kết quả.")


@router.get("/tong-hop/cong-bo")
def confirm(request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Xác nhận công bố: what publishing now means, before the button that does it."""
    province_only(v)
    check = publish_check(v.year, portal_of(request).now())
    return page(request, "publish.html", {"p": check, "problems": {}, "form": {}})


@router.post("/tong-hop/cong-bo")
async def publish(request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Publish once confirmed (``xac_nhan``), with the reason the core asks for before the
    scoring deadline; without the confirmation, back to the confirmation page."""
    await run_in_threadpool(province_only, v)
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    if form.get("xac_nhan") != "1":
        return RedirectResponse("/tong-hop/cong-bo", status_code=303)
    at = portal_of(request).now()
    reason = str(form.get("ly_do") or "")
    try:
        await run_in_threadpool(publish_flow, v.year, at, actor(v), reason)
    except Rejected as exc:
        if any(p.code != "publish_reason_required" for p in exc.problems):
            raise HTTPException(403, exc.render()) from None  # [not_approved]: not the form's
        check = await run_in_threadpool(publish_check, v.year, at)
        problems = {p.field: p for p in exc.problems}
        context = {"p": check, "problems": problems, "form": dict(form)}
        return page(request, "publish.html", context, status=422)
    await run_in_threadpool(after_step, "publish", at, [v.year])
    return page(
        request,
        "message.html",
        {
            "title": "Đã công bố kết quả",
            "text": f"Kết quả kỳ {v.year} đã được công bố và gửi đến các đơn vị. Các đường dẫn "
            "riêng của kỳ này hết hiệu lực (trừ khi được gia hạn).",
        },
    )
