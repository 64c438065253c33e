"""Opening a link, the front door, and leaving: the only routes that see a token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from danvan.models import links
from danvan.models.db import get_engine, reading
from danvan.portal.deps import Viewer, check_csrf, page, portal_of, scope, viewer
from danvan.portal.security import SESSION_COOKIE, SESSION_MAX_AGE
from danvan.tasks import audit as audit_trail

router = APIRouter()


@router.get("/l/{token}")
def open_link(token: str, request: Request) -> Response:
    """Trade the link for a session cookie and leave its URL at once (303 to a clean page)."""
    portal = portal_of(request)
    client = request.client.host if request.client else "?"
    if not portal.opening.allow(client):
        raise HTTPException(429, "Quá nhiều lần mở đường dẫn; hãy thử lại sau ít phút.")
    at = portal.now()
    with reading(get_engine()) as session:
        live = links.find_live(session=session, token=token, at=at)
    if live is None:
        raise HTTPException(
            403,
            "Đường dẫn không đúng, đã bị thu hồi hoặc đã hết hiệu lực (kỳ đánh giá đã công bố). "
            "Hãy liên hệ Sở Nội vụ để nhận đường dẫn mới. [link_invalid]",
        )
    audit_trail.record(
        at=at,
        actor=f"portal:{live.unit_code}",
        action="portal_open",
        entity="portal_link",
        key=str(live.id),
    )
    value = portal.signer.session_value(live.id, time.time())
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    """Units go to their page, compilers that are not assessed (the province) to theirs."""
    if request.cookies.get(SESSION_COOKIE) is None:
        return page(
            request,
            "message.html",
            {
                "title": "Cổng tự đánh giá công tác dân vận chính quyền",
                "text": "Hãy mở đường dẫn riêng của đơn vị trong thông báo kế hoạch hoặc tin "
                "nhắc hạn đã nhận. Trang này không có tên đăng nhập hay mật khẩu.",
            },
        )
    v = viewer(request)

    ctx = scope(v)
    unit = ctx.units[v.code]
    return RedirectResponse("/don-vi" if unit.assessed else "/tong-hop", status_code=303)


@router.post("/dang-xuat")
async def logout(request: Request, v: Viewer = Depends(viewer)) -> Response:
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    request.state.viewer = None  # the page after leaving shows no one
    response = page(
        request,
        "message.html",
        {"title": "Đã thoát", "text": "Mở lại đường dẫn riêng để vào lại trang của đơn vị."},
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
