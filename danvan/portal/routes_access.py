"""Opening a link, the front door, and leaving: the only routes that see a token.

A link opens in two steps (no login CSRF): its GET shows whose link it is and one button, and
the button's POST opens the session (:mod:`danvan.portal.security`).
"""

from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.models import links
from danvan.models.db import get_engine, reading
from danvan.models.links import LINK_PREFIX
from danvan.portal.deps import Viewer, check_csrf, page, portal_of, scope, viewer
from danvan.portal.security import (
    OPENING_COOKIE,
    OPENING_MAX_AGE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
)
from danvan.tasks import audit as audit_trail

router = APIRouter()


def _live_link(request: Request, token: str) -> links.LiveLink:
    """The link behind ``token``, if it may open a session now (403 otherwise); rate limited
    per client address, the GET and the POST alike."""
    portal = portal_of(request)
    client = request.client.host if request.client else "?"
    if not portal.opening.allow(client):
        raise HTTPException(429, "Quá nhiều lần mở đường dẫn; hãy thử lại sau ít phút.")
    with reading(get_engine()) as session:
        live = links.find_live(session=session, token=token, at=portal.now())
    if live is None:
        raise HTTPException(
            403,
            "Đường dẫn không đúng, đã bị thu hồi hoặc đã hết hiệu lực (kỳ đánh giá đã công bố). "
            "Hãy liên hệ Sở Nội vụ để nhận đường dẫn mới. [link_invalid]",
        )
    return live


@router.get("/l/{token}")
def open_link(token: str, request: Request) -> Response:
    """The link's page: whose it is, and one button that opens the session. A GET alone never
    signs a browser in (another site sending it here, a mail scanner previewing the link): the
    button's POST must carry a token bound to this link and to the pre-session cookie set here,
    which only this browser holds (``SameSite=Strict``: never sent along by another site)."""
    portal = portal_of(request)
    live = _live_link(request, token)
    nonce = request.cookies.get(OPENING_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        request,
        "open.html",
        {
            "title": f"Mở trang của {live.unit_name}",
            "name": live.unit_name,
            "code": live.unit_code,
            "year": live.year,
            "csrf": portal.signer.opening(live.id, nonce),
        },
    )
    response.set_cookie(
        OPENING_COOKIE,
        nonce,
        max_age=OPENING_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=LINK_PREFIX,
    )
    return response


@router.post("/l/{token}")
async def confirm_link(token: str, request: Request) -> Response:
    """The button of the link's page: trade the link for a session cookie and leave its URL at
    once (303 to a clean page)."""
    portal = portal_of(request)
    form = await request.form(max_fields=5, max_files=0)
    live = await run_in_threadpool(_live_link, request, token)
    if not portal.signer.opening_ok(live.id, request.cookies.get(OPENING_COOKIE), form.get("csrf")):
        raise HTTPException(
            403,
            "Biểu mẫu mở trang không hợp lệ hoặc đã cũ. Hãy mở lại đường dẫn riêng của đơn vị "
            "rồi bấm nút “Mở trang”. [csrf]",
        )
    await run_in_threadpool(
        lambda: audit_trail.record(
            at=portal.now(),
            actor=f"portal:{live.unit_code}",
            action="portal_open",
            entity="portal_link",
            key=str(live.id),
        )
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
    response.delete_cookie(OPENING_COOKIE, path=LINK_PREFIX)
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
