"""The portal's composition root: settings, clock, guards and routes in one ``create_app``.

Routes are thin: they check who is asking (``Viewer``), call the same library functions the CLI
calls (intake, appraisal, compilation, publication) and render a template. The clock is injected
(``now``) so tests and the benchmark can run the portal at any instant of a cycle.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from danvan.config.settings import Settings, get_settings
from danvan.portal import (
    routes_access,
    routes_compile_now,
    routes_compiler,
    routes_entry,
    routes_publish,
    routes_quality,
    routes_unit,
)
from danvan.portal.deps import Portal, page
from danvan.portal.security import (
    BodyLimit,
    RateLimiter,
    SecureHeaders,
    SharedRateLimiter,
    Signer,
)
from danvan.rules.errors import Rejected
from danvan.rules.flag_text import KIND_WORDS, figure_label
from danvan.rules.text import format_decimal, format_int
from danvan.tasks import courier
from danvan.tasks.pages import PAGE_ROWS, local_text

HERE = Path(__file__).parent


def _vn_number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return format_int(int(value))
    return format_decimal(value)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(
        num=_vn_number,
        localtime=local_text,
        # a flag's field and kind as the report's appendix names them (the codes stay in forms)
        flag_label=figure_label,
        flag_kind=lambda kind: KIND_WORDS.get(kind, kind),
    )
    return templates


def create_app(
    settings: Settings | None = None,
    now: Callable[[], datetime] | None = None,
    rate_burst: int | None = None,
    open_burst: int = 100,
    page_rows: int | None = None,
    shared_limits: bool = False,
) -> FastAPI:
    """The application: routes behind the upload cap, inside the security headers.

    ``rate_burst``/``open_burst`` override the per-link and per-address buckets (the load test
    and the benchmark open hundreds of links from one address); ``page_rows`` the rows per page
    of a compiler's table (tests page a small province); ``shared_limits``: count the rate
    limits in the database (several worker processes), not in this process.
    """
    s = settings or get_settings()

    def limiter(burst: int, per_minute: int, prefix: str) -> RateLimiter | SharedRateLimiter:
        if shared_limits:
            return SharedRateLimiter(burst, per_minute, prefix)
        return RateLimiter(burst, per_minute)

    secret = (s.portal_secret or "").encode() or secrets.token_bytes(32)
    portal = Portal(
        signer=Signer(secret),
        limiter=limiter(rate_burst or s.portal_rate_burst, s.portal_rate_per_minute, "link"),
        opening=limiter(open_burst, 300, "open"),
        now=now or (lambda: datetime.now(UTC)),
        out_dir=Path(s.out_dir),
        max_upload_bytes=s.portal_max_upload_mb * 1024 * 1024,
        templates=_templates(),
        page_rows=page_rows or PAGE_ROWS,
    )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    for router in routers():
        app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return page(
            request,
            "message.html",
            {"title": _ERROR_TITLES.get(exc.status_code, "Lỗi"), "text": exc.detail},
            status=exc.status_code,
        )

    @app.exception_handler(Rejected)
    async def _rejected(request: Request, exc: Rejected) -> Response:
        return page(
            request,
            "message.html",
            {"title": "Không thực hiện được", "problems": exc.problems},
            status=422,
        )

    app.add_middleware(
        BodyLimit, max_bytes=portal.max_upload_bytes, too_large=_too_large_app(portal)
    )
    app.add_middleware(SecureHeaders)  # added last: outermost, so every answer carries them
    return app


#: How long a stopping portal waits for the receipts it was handed (the rest wait for ``remind``).
COURIER_DRAIN_SECONDS = 10.0


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On the way out, let this process's courier deliver what the last uploads queued."""
    yield
    await run_in_threadpool(courier.wait_idle, COURIER_DRAIN_SECONDS)


def routers() -> list[Any]:
    """The portal's routers, by audience: opening links, a unit's pages, a compiler's pages,
    the province's publication."""
    return [
        routes_access.router,
        routes_unit.router,
        routes_entry.router,
        routes_compiler.router,
        routes_publish.router,
        routes_quality.router,
        routes_compile_now.router,
    ]


def route_table() -> list[tuple[str, str]]:
    """(method, path) of every route the portal serves (the isolation test walks all of them)."""
    return sorted(
        (method, route.path)
        for router in routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


_ERROR_TITLES = {
    401: "Cần mở đường dẫn riêng",
    403: "Không được phép",
    404: "Không tìm thấy",
    413: "Tệp quá lớn",
    429: "Quá nhiều yêu cầu",
}


def _too_large_app(portal: Portal) -> Any:
    async def answer(scope: Any, receive: Any, send: Any) -> None:
        mb = portal.max_upload_bytes // (1024 * 1024)
        body = (
            "<!doctype html><meta charset=utf-8><title>Tệp quá lớn</title>"
            '<link rel="stylesheet" href="/static/portal.css"><main class="wrap">'
            f"<h1>Tệp quá lớn</h1><p>Mỗi lần gửi tối đa {mb} MB. [upload_too_large]</p>"
            '<p><a href="/">Quay lại</a></p></main>'
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return answer
