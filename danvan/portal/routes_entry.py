"""Nhập trên trang (SPEC §4.5): a unit types its scores, N/A marks, bonus, penalty and figures
in a form, saves a draft on the server, and sends it through the intake a workbook goes through
(``tasks.entry``): the same checks and messages, each problem beside its field. Plain HTML
forms: no script needed, one column on a phone."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from danvan.models.db import get_engine, reading
from danvan.portal.deps import Viewer, actor, check_csrf, in_unit_turn, page, portal_of, viewer
from danvan.portal.routes_unit import answer_page, assessed_only, send_file
from danvan.tasks import entry

router = APIRouter()


@router.get("/don-vi/nhap")
def entry_page(request: Request, v: Viewer = Depends(viewer), da_luu: str = "") -> Response:
    return _form(request, v, saved=da_luu == "1")


@router.post("/don-vi/nhap")
async def entry_post(request: Request, v: Viewer = Depends(viewer)) -> Response:
    """``hanh_dong=luu``: keep a draft; ``hanh_dong=gui``: send it as a version."""
    ctx = await run_in_threadpool(assessed_only, v)
    form = await request.form(max_files=0, max_fields=500)
    check_csrf(request, v, form.get("csrf"))
    values = {k: val for k, val in form.items() if isinstance(val, str)}
    at = portal_of(request).now()
    if ctx.published:
        return await run_in_threadpool(_form, request, v, False, values, {"": _published()})
    if form.get("hanh_dong") != "gui":
        await run_in_threadpool(entry.save_draft, ctx, v.code, values, at, actor(v))
        return RedirectResponse("/don-vi/nhap?da_luu=1", status_code=303)
    name, data = entry.entry_file(ctx, v.code, values)
    with tempfile.TemporaryDirectory(prefix="danvan-portal-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        turn = in_unit_turn(portal_of(request), v.code, send_file, v, path, at, ctx)
        result, receipt = await turn
    if result["accepted"]:
        return answer_page(request, name, result, receipt)
    problems: dict[str, list[dict]] = {}
    for p in result["problems"]:
        problems.setdefault(p["field"] or "", []).append(p)
    return await run_in_threadpool(_form, request, v, False, values, problems, 422)


def _published() -> list[dict]:
    text = "Kỳ đánh giá đã công bố kết quả; không gửi thêm được."
    return [{"code": "published", "field": "", "message": text}]


def _form(
    request: Request,
    v: Viewer,
    saved: bool = False,
    typed: dict[str, str] | None = None,
    problems: dict[str, list[dict]] | None = None,
    status: int = 200,
) -> Response:
    ctx = assessed_only(v)
    with reading(get_engine()) as session:
        form = entry.entry_form(session, ctx, v.code)
    if typed is not None:  # a refused send: show what was typed, not what was saved
        form.values = {k: val for k, val in typed.items() if k != "csrf"}
    problems = problems or {}
    shown = set(form.names)  # a problem of any other field is listed above the form
    elsewhere = [p for field, items in problems.items() if field not in shown for p in items]
    context = {
        "f": form,
        "problems": problems,
        "elsewhere": elsewhere,
        "saved": saved,
        "published": ctx.published,
    }
    return page(request, "entry.html", context, status=status)
