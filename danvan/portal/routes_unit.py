"""A unit's own pages: its standing, its workbook, sending a file, its versions and result."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from danvan.flows.intake import submit
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
    in_unit_turn,
    page,
    portal_of,
    scope,
    viewer,
    viewer_in_scope,
)
from danvan.rules.text import parse_id
from danvan.tasks import pages
from danvan.tasks.intake_contexts import known_cycle
from danvan.tasks.receipts import Receipt, receipts_for
from danvan.tasks.templates import unit_workbook

router = APIRouter()

#: Files a single upload may carry: the submission and its report and evidence files.
MAX_FILES = 20
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def assessed_only(v: Viewer) -> CycleContext:
    return _assessed(v, scope(v))


def _assessed(v: Viewer, ctx: CycleContext) -> CycleContext:
    if not ctx.units[v.code].assessed:
        raise HTTPException(404, "Đơn vị này không tự đánh giá trong kỳ này.")
    return ctx


@router.get("/don-vi")
def unit_page(
    request: Request, seen: tuple[Viewer, CycleContext] = Depends(viewer_in_scope)
) -> Response:
    v, ctx = seen
    _assessed(v, ctx)
    with reading(get_engine()) as session:
        view = pages.unit_view(session, ctx=ctx, code=v.code, at=portal_of(request).now())
    return page(
        request,
        "unit.html",
        {"u": view, "labels": pages.STATUS_LABELS, "compiles": ctx.units[v.code].compiles},
    )


@router.get("/don-vi/mau-bieu")
def workbook(request: Request, v: Viewer = Depends(viewer)) -> Response:
    assessed_only(v)
    found = unit_workbook(v.year, v.code)
    audit(request, v, "portal_download", "workbook", f"{v.year}/{v.code}")
    return download(*found)


@router.get("/don-vi/phien-ban/{version}")
def own_file(version: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    ctx = assessed_only(v)
    number = parse_id(version)  # range-checked before any query: 2^63 is "no such version"
    found = None
    if number is not None:
        with reading(get_engine()) as session:
            found = pages.submission_file(session, ctx=ctx, code=v.code, version=number)
    if found is None:
        raise HTTPException(404, "Không có phiên bản này.")
    audit(request, v, "portal_download", "submission", f"{v.year}/{v.code}/v{number}")
    return download(*found)


@router.get("/don-vi/tep/{file_id}")
def own_attachment(file_id: str, request: Request, v: Viewer = Depends(viewer)) -> Response:
    """A report or evidence file the unit itself sent (another unit's file is "not found")."""
    ctx = assessed_only(v)
    return attachment_answer(request, v, ctx, v.code, file_id)


@router.post("/don-vi/nop")
async def upload(
    request: Request, seen: tuple[Viewer, CycleContext] = Depends(viewer_in_scope)
) -> Response:
    """The filled workbook (or YAML/JSON) and any report or evidence files, through the very
    intake ``danvan submit`` uses; the answer is the next page. The link and the tree are read
    in one session (``viewer_in_scope``), the recording in one transaction."""
    portal = portal_of(request)
    v, ctx = seen
    _assessed(v, ctx)
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    try:
        check_csrf(request, v, form.get("csrf"))
        main = form.get("tep")
        extras = [f for f in form.getlist("kem_theo") if isinstance(f, UploadFile) and f.filename]
        if not isinstance(main, UploadFile) or not main.filename:
            return page(
                request,
                "answer.html",
                {"file": "", "r": None, "missing": True},
                status=400,
            )
        with tempfile.TemporaryDirectory(prefix="danvan-portal-") as tmp:
            path = await _save(main, Path(tmp))
            for extra in extras:
                await _save(extra, Path(tmp))
            result, receipt = await in_unit_turn(
                portal, v.code, send_file, v, path, portal.now(), ctx
            )
    finally:
        await form.close()
    return answer_page(request, path.name, result, receipt)


def send_file(
    v: Viewer, path: Path, at: datetime, ctx: CycleContext
) -> tuple[dict, Receipt | None]:
    """The unit's file through the very intake ``danvan submit`` uses (the flow: recorded, the
    receipt queued for its contacts and delivered after the answer, by this process's courier),
    then the receipt as recorded, for the answer page. ``ctx``: the unit's cycle as the request
    found it (the receipt needs its tree and zone, not a fresh read)."""
    with known_cycle(ctx) as request:
        (result,) = submit(
            [str(path)], at, actor(v), expected_unit=v.code, from_cache=True, receipts_later=True
        )
    if not result["accepted"]:
        return result, None
    if not result["duplicate"]:
        after_step("submit", at, [v.year])
    key = (v.code, result["version"])
    if key in request.receipts:  # read by the recording's own transaction
        return result, request.receipts[key]
    with reading(get_engine()) as session:  # a flow run that did not see the request's cycle
        return result, receipts_for(session, ctx, [key]).get(key)


def answer_page(request: Request, name: str, result: dict, receipt: Receipt | None) -> Response:
    return page(
        request,
        "answer.html",
        {"file": name, "r": result, "missing": False, "receipt": receipt},
        status=200 if result["accepted"] else 422,
    )


async def _save(upload: UploadFile, folder: Path) -> Path:
    """Keep the sender's file name (without any folder part) so the intake sees what they sent."""
    name = _SAFE_NAME.sub("_", Path((upload.filename or "tep").replace("\\", "/")).name)
    name = name.strip(". ") or "tep"
    target = folder / name
    with target.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            out.write(chunk)
    return target
