"""What every route of the portal shares: the portal's state, who is asking (``Viewer``), the
form and audit guards, and page and download answers. Routes import this module and
:mod:`danvan.portal.app` imports the routes: the arrows point one way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from danvan.models import links
from danvan.models.context import CycleContext, cached_context
from danvan.models.db import get_engine, reading
from danvan.portal.security import SESSION_COOKIE, RateLimiter, SharedRateLimiter, Signer
from danvan.rules.text import parse_id
from danvan.tasks import audit as audit_trail
from danvan.tasks.nudge import Notice, tell_prefect
from danvan.tasks.pages import attachment

_LOG = logging.getLogger("danvan.portal")
T = TypeVar("T")


@dataclass
class Portal:
    """What every route shares: the signer, the rate limits, the clock and where reports are."""

    signer: Signer
    limiter: RateLimiter | SharedRateLimiter  # per link
    opening: RateLimiter | SharedRateLimiter  # opening links, per client address
    now: Callable[[], datetime]
    out_dir: Path
    max_upload_bytes: int
    templates: Jinja2Templates
    page_rows: int  # rows of a compiler's table per page
    #: unit code → (its turn, how many of this process's requests hold or wait for it)
    turns: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the unit of the session's link, and the form token of that session."""

    link_id: int
    code: str
    year: int
    csrf: str
    cookie: str


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    return portal_of(request).templates.TemplateResponse(
        request, name, {"viewer": viewer, **context}, status_code=status
    )


def viewer(request: Request) -> Viewer:
    """The session's viewer, or 401; every request re-checks the link (revocation is instant)."""
    with reading(get_engine()) as session:
        return _viewer(request, session)


def viewer_in_scope(request: Request) -> tuple[Viewer, CycleContext]:
    """:func:`viewer` and :func:`scope` in one read session (a unit's page and its upload): one
    connection and transaction instead of two, each costing more CPU than its statements."""
    with reading(get_engine()) as session:
        v = _viewer(request, session)
        return v, cached_context(session, v.year, v.code)


def _viewer(request: Request, session: Any) -> Viewer:  # a session of `reading`
    portal = portal_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    link_id = portal.signer.session_link(cookie, time.time())
    if link_id is None or cookie is None:
        raise HTTPException(401, "Hãy mở đường dẫn riêng của đơn vị (trong thông báo đã nhận).")
    if not portal.limiter.allow(link_id):
        raise HTTPException(429, "Quá nhiều yêu cầu trong thời gian ngắn; hãy thử lại sau ít phút.")
    live = links.get_live(session=session, link_id=link_id, at=portal.now())
    if live is None:
        raise HTTPException(401, "Đường dẫn đã hết hiệu lực hoặc bị thu hồi. [link_expired]")
    v = Viewer(live.id, live.unit_code, live.year, portal.signer.csrf(cookie), cookie)
    request.state.viewer = v
    return v


async def in_unit_turn(portal: Portal, code: str, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on a thread, once this process's earlier files of unit ``code`` are
    recorded. The database's lock of the unit (``store.lock_unit``) already makes its writers
    queue, in every process; queueing here too keeps the waiting ones out of the threads and
    the connection pool: 8 uploads of a unit at once held 8 threads and 8 connections, 7 of
    them waiting on the lock while the one holding it waited for the interpreter."""
    lock, users = portal.turns.get(code) or (asyncio.Lock(), 0)
    portal.turns[code] = (lock, users + 1)
    try:
        async with lock:
            return await run_in_threadpool(work, *args)
    finally:
        lock, users = portal.turns[code]
        if users > 1:
            portal.turns[code] = (lock, users - 1)
        else:
            del portal.turns[code]


def check_csrf(request: Request, v: Viewer, token: object) -> None:
    if not portal_of(request).signer.csrf_ok(v.cookie, token):
        raise HTTPException(403, "Biểu mẫu không hợp lệ hoặc đã cũ; hãy tải lại trang. [csrf]")


def audit(request: Request, v: Viewer, action: str, entity: str, key: str, **detail: Any) -> None:
    """Every portal action is in the audit trail, the link's unit as the actor."""
    audit_trail.record(
        at=portal_of(request).now(),
        actor=actor(v),
        action=action,
        entity=entity,
        key=key,
        link=v.link_id,
        **detail,
    )


def actor(v: Viewer) -> str:
    return f"portal:{v.code}"


def download(name: str, data: bytes) -> Response:
    return Response(
        data,
        media_type=_media_type(name),
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def attachment_answer(
    request: Request, v: Viewer, ctx: CycleContext, code: str, file_id: str
) -> Response:
    """Download a report or evidence file of ``code`` (already checked visible to ``v``), audited."""
    number = parse_id(file_id)
    found = None
    if number is not None:
        with reading(get_engine()) as session:
            found = attachment(session, ctx=ctx, code=code, file_id=number)
    if found is None:
        raise HTTPException(404, "Không có tệp này.")
    audit(request, v, "portal_download", "submission_file", f"{v.year}/{code}/{number}")
    return download(*found)


def _media_type(name: str) -> str:
    kinds = {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".json": "application/json",
        ".png": "image/png",
        ".yaml": "text/plain; charset=utf-8",
        ".yml": "text/plain; charset=utf-8",
        ".pdf": "application/pdf",
    }
    return kinds.get(Path(name).suffix.lower(), "application/octet-stream")


def scope(v: Viewer) -> CycleContext:
    """The cycle as the viewer's pages see it (from the portal's cache of the tree)."""
    with reading(get_engine()) as session:
        return cached_context(session, v.year, v.code)


def after_step(action: str, at: datetime, years: list[int]) -> None:
    """The after-step work every door does (``tasks.nudge``: tell Prefect)."""
    log_notices(tell_prefect(action, at, years))


def log_notices(notices: Iterable[Notice]) -> None:
    """What the core says about Prefect: the portal logs what the CLI would print."""
    for notice in notices:
        _LOG.warning(notice.line())
