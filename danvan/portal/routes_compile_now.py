"""Tổng hợp ngay (issue 18): the compiler's button starts the compile in the background
(``flows.compile_now.start_compile``) and the answer is a page following it — queued, running,
done with its files, or failed with the reason — which refreshes itself: ``<meta refresh>``
without JavaScript, a small poll of ``…/trang-thai`` with it. While it is not finished the page
has a "Huỷ tổng hợp" form (``…/huy``, a POST with the CSRF token: no JavaScript needed), which
cancels it (``flows.compile_now.cancel_compile``) and comes back to the page saying what
happened."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.flows.compile_now import Progress, cancel_compile, progress, start_compile
from danvan.portal.deps import Viewer, actor, check_csrf, page, portal_of, viewer
from danvan.portal.routes_compiler import compiler_scope
from danvan.rules.text import parse_id

router = APIRouter()

#: What each state reads as on the page (and in the poll's answer).
STATES = {
    "queued": "Đang chờ chạy",
    "running": "Đang tổng hợp",
    "done": "Đã tổng hợp xong",
    "failed": "Tổng hợp không thành",
    "cancelled": "Đã huỷ",
}
#: What the page says after a cancel (``?<key>=1``), by what the cancel did.
CANCEL_NOTICES = {
    "da_huy": "Đã huỷ lần tổng hợp này.",
    "da_huy_truoc": "Lần tổng hợp này đã được huỷ trước đó; không cần huỷ lại.",
    "da_xong": "Lần tổng hợp này đã kết thúc trước khi yêu cầu huỷ đến, nên không huỷ được; "
    "kết quả ở dưới.",
}
CANCEL_KEYS = {"cancelled": "da_huy", "already": "da_huy_truoc", "ended": "da_xong"}
#: A cancelled request whose Prefect run could not be told (the server away).
RUN_NOT_TOLD = (
    "Chưa báo được cho máy chủ Prefect (không liên lạc được); lần chạy trên Prefect, nếu sau này "
    "được chạy, sẽ thấy yêu cầu đã huỷ và không tổng hợp."
)
#: Seconds between two looks while the compile is not finished (meta refresh and the poll).
REFRESH_SECONDS = 2


@router.post("/tong-hop/bien-soan")
async def compile_now(request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Start (or join) this compiler's compile and go to the page that follows it."""
    await run_in_threadpool(compiler_scope, v)
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    portal = portal_of(request)
    started = await run_in_threadpool(
        lambda: start_compile(
            year=v.year, code=v.code, at=portal.now(), actor=actor(v), out_dir=str(portal.out_dir)
        )
    )
    return RedirectResponse(f"/tong-hop/bien-soan/{started.id}", status_code=303)


@router.get("/tong-hop/bien-soan/{request_id}")
def compile_progress(request_id: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """The compile as it goes; refreshes itself until it is done, failed or cancelled."""
    found = _progress(v, request_id, portal_of(request).now())
    r = found.request
    asked = request.query_params
    notices = [text for key, text in CANCEL_NOTICES.items() if asked.get(key)]
    if asked.get("prefect_chua_bao"):
        notices.append(RUN_NOT_TOLD)
    context = {
        "r": r,
        "state": STATES[r.status],
        "run_state": found.run_state,
        "tz": compiler_scope(v).tz,
        "refresh": None if r.finished else REFRESH_SECONDS,
        "notices": notices,
    }
    return page(request, "compile_progress.html", context)


@router.post("/tong-hop/bien-soan/{request_id}/huy")
async def cancel_now(request_id: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """Cancel this compiler's request (queued or running), then back to its page, which says
    whether this click cancelled it, it was cancelled already, or it had finished first."""
    await run_in_threadpool(compiler_scope, v)
    form = await request.form()
    check_csrf(request, v, form.get("csrf"))
    n = parse_id(request_id)
    now = portal_of(request).now()
    answer = None
    if n is not None:
        answer = await run_in_threadpool(
            lambda: cancel_compile(year=v.year, code=v.code, request_id=n, at=now, actor=actor(v))
        )
    if answer is None:
        raise HTTPException(404, "Không tìm thấy lần tổng hợp này.")
    query = f"{CANCEL_KEYS[answer.outcome]}=1" + (
        "&prefect_chua_bao=1" if answer.run_not_told else ""
    )
    return RedirectResponse(f"/tong-hop/bien-soan/{n}?{query}", status_code=303)


@router.get("/tong-hop/bien-soan/{request_id}/trang-thai")
def compile_state(request_id: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """The poll of the page's script: the state, and whether to look again."""
    r = _progress(v, request_id, portal_of(request).now()).request
    return JSONResponse({"status": r.status, "text": STATES[r.status], "finished": r.finished})


def _progress(v: Viewer, request_id: str, now: datetime) -> Progress:
    compiler_scope(v)
    n = parse_id(request_id)
    found = None if n is None else progress(year=v.year, code=v.code, request_id=n, at=now)
    if found is None:
        raise HTTPException(404, "Không tìm thấy lần tổng hợp này.")
    return found
