"""The portal's guards: signed sessions, CSRF tokens, rate limits, upload caps, headers, logs.

- A session is a cookie ``link id . issued at . HMAC``: it names the link, never the token, and
  the link is re-checked on every request, so revoking it ends the session at once.
- A form's CSRF token is an HMAC of the session cookie: a page of another site cannot know it.
- Opening a link takes two steps: its GET only shows a confirmation page and sets a short-lived
  pre-session cookie (``SameSite=Strict``, path ``/l/``); the page's POST, carrying a token bound
  to that link and that cookie, opens the session. Another site can make a browser GET a link
  (its own, say) but cannot make it POST the form: no login CSRF.
- Rate limits are token buckets kept in this process (one per link, one per client address for
  opening links); with several workers (``danvan portal --workers N``) they are counted in the
  database instead (:class:`SharedRateLimiter`), so every worker reads the same count.
- Uploads are refused as soon as the declared or streamed size passes the cap.
- Every response carries a CSP without inline script, frame-ancestors 'none', no referrer, and
  ``no-store`` on private pages; the access log never prints a link's token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from danvan.models.db import get_engine
from danvan.models.ratelimit import hit
from danvan.rules.text import parse_id, parse_int

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "danvan_phien"
SESSION_MAX_AGE = 12 * 3600
#: The pre-session cookie a link's confirmation page sets (a random nonce), and its lifetime.
OPENING_COOKIE = "danvan_mo"
OPENING_MAX_AGE = 30 * 60


class Signer:
    """Signs and checks session cookies and derives CSRF tokens with one secret key."""

    def __init__(self, secret: bytes) -> None:
        self._key = secret

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def session_value(self, link_id: int, now: float) -> str:
        body = f"{link_id}.{int(now)}"
        return f"{body}.{self._mac('session:' + body)}"

    def session_link(self, value: str | None, now: float) -> int | None:
        """The link id of a valid, unexpired cookie; None for anything else."""
        if not value or value.count(".") != 2:
            return None
        link, issued, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(f"session:{link}.{issued}")):
            return None
        link_id, issued_at = parse_id(link), parse_int(issued)
        if link_id is None or issued_at is None or now - issued_at > SESSION_MAX_AGE:
            return None
        return link_id

    def csrf(self, session_value: str) -> str:
        return self._mac("csrf:" + session_value)[:32]

    def csrf_ok(self, session_value: str | None, token: object) -> bool:
        return (
            bool(session_value)
            and isinstance(token, str)
            and hmac.compare_digest(self.csrf(session_value or ""), token)
        )

    def opening(self, link_id: int, nonce: str) -> str:
        """The token of a link's confirmation form: bound to the link and to the browser's
        pre-session cookie (``nonce``), before any session exists."""
        return self._mac(f"open:{link_id}:{nonce}")[:32]

    def opening_ok(self, link_id: int, nonce: str | None, token: object) -> bool:
        return (
            bool(nonce)
            and isinstance(token, str)
            and hmac.compare_digest(self.opening(link_id, nonce or ""), token)
        )


class RateLimiter:
    """Token buckets by key: ``burst`` requests at once, then ``per_minute`` a minute."""

    def __init__(self, burst: int, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.burst, self.rate, self.clock = float(burst), per_minute / 60.0, clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: object) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            if len(self._buckets) > 100_000:  # forget idle keys rather than grow forever
                self._buckets.clear()
            return ok


class SharedRateLimiter:
    """The same limits counted in the database, shared by every worker process: up to
    ``max(burst, per_minute)`` requests per key and clock minute (a fixed window: one statement
    per request, :func:`danvan.models.ratelimit.hit`). Used when the portal runs with several
    workers; one process keeps its token buckets in memory (:class:`RateLimiter`)."""

    def __init__(
        self, burst: int, per_minute: int, prefix: str, clock: Callable[[], float] = time.time
    ):
        self.limit, self.prefix, self.clock = max(burst, per_minute), prefix, clock

    def allow(self, key: object) -> bool:
        window = int(self.clock() // 60)
        return hit(get_engine(), f"{self.prefix}:{key}"[:80], window) <= self.limit


class TooLarge(Exception):
    """Raised inside the request body stream when the upload passes the cap."""


class BodyLimit:
    """Refuse a request whose declared length passes ``max_bytes`` before reading it, and stop
    reading one whose streamed body passes it (no Content-Length, or a lying one)."""

    def __init__(self, app: ASGIApp, max_bytes: int, too_large: ASGIApp) -> None:
        self.app, self.max_bytes, self.too_large = app, max_bytes, too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.too_large(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except TooLarge:
            if not started:
                await self.too_large(scope, receive, send)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecureHeaders:
    """Security headers on every response; ``no-store`` on all but the static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not scope.get("path", "").startswith("/static/")

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add)


_TOKEN_IN_PATH = re.compile(r"/l/[^\s\"?]+")


class HideLinkTokens(logging.Filter):
    """uvicorn's access log prints request paths: a link's path is printed as ``/l/…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub("/l/…", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub("/l/…", record.msg)
        return True


def hide_tokens_in_access_log() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideLinkTokens) for f in logger.filters):
            logger.addFilter(HideLinkTokens())
