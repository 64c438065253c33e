"""Gửi thông báo: the one place that talks to the network, through Apprise.

Contact URLs are Apprise URLs and often carry secrets (SMTP passwords, bot tokens). They are
never printed: ``redact`` gives Apprise's own privacy form, outcomes carry redacted errors only,
and a filter on Apprise's logger scrubs every secret of the URLs being delivered before any
handler (Prefect's, the console's) sees a record. ``deliver`` never raises: a failed delivery
must never fail the command that caused it (SPEC §4.1); it comes back as ``Outcome(ok=False)``.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from apprise.attachment.memory import AttachMemory

from danvan.notify import zalo as _zalo  # noqa: F401  (registers the zalo:// channel with Apprise)

_APPRISE_LOGGER = logging.getLogger("apprise")
#: Query parameters whose values are secrets whatever the service (headers of json:// etc.).
_SECRET_PARAM = re.compile(r"^[+]|pass|secret|token|key|auth|sig|pwd", re.IGNORECASE)
_MASK = "****"
#: A portal link's token (``…/l/<token>``): a message body may carry one, a log line never.
_PORTAL_TOKEN = re.compile(r"(/l/)[A-Za-z0-9_-]{16,}")


class _Scrubber(logging.Filter):
    """Rewrites Apprise's log records with every registered secret masked; also hands warnings
    and errors of the current thread to ``deliver`` so an outcome can say why it failed."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None
        self.lock = threading.Lock()
        self.local = threading.local()

    def add(self, secrets: set[str]) -> None:
        """Register secrets; one compiled pattern (longest first) keeps scrubbing cheap."""
        with self.lock:
            if secrets <= self.secrets:
                return
            self.secrets = self.secrets | secrets
            ordered = sorted(self.secrets, key=len, reverse=True)
            self.pattern = re.compile("|".join(map(re.escape, ordered)))

    def scrub(self, text: str) -> str:
        pattern = self.pattern
        text = _PORTAL_TOKEN.sub(r"\1" + _MASK, text)
        return pattern.sub(_MASK, text) if pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        text = self.scrub(record.getMessage())
        record.msg, record.args = text, None
        errors = getattr(self.local, "errors", None)
        if errors is not None and record.levelno >= logging.WARNING:
            errors.append(text)
        return True


_SCRUBBER = _Scrubber()
_APPRISE_LOGGER.addFilter(_SCRUBBER)
# Without any handler, Python would print warnings through its last-resort stderr handler;
# with this one, records only reach handlers the application configured (scrubbed).
_APPRISE_LOGGER.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Outgoing:
    """One message to one contact URL; ``key`` is the caller's (e.g. the outbox row's id)."""

    key: Hashable
    url: str
    subject: str
    body: str
    #: ``(file name, bytes)``; sent only where the channel takes attachments (email, json)
    attachments: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """``unknown``: no answer came within the timeout, so the message may have arrived; it is
    not retried (a retry could deliver it twice)."""

    key: Hashable
    ok: bool
    error: str | None = None
    attempts: int = 1
    unknown: bool = False


def _mask_params(url: str) -> str:
    """Mask the values of secret-looking query parameters (Apprise keeps e.g. json:// headers)."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    parts = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        secret = eq and value and _SECRET_PARAM.search(unquote(name))
        parts.append(f"{name}={_MASK}" if secret else item)
    return base + "?" + "&".join(parts)


def _fallback_redact(url: str) -> str:
    """For a URL Apprise cannot parse: scheme://host/… only, no user, password, path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid url>"
    scheme = parts.scheme or "?"
    return f"{scheme}://{host}{port}/…" if host else f"{scheme}://…"


@functools.lru_cache(maxsize=4096)
def redact(url: str) -> str:
    """The URL as it may be printed, stored in ``url_redacted`` and logged.

    Kept per URL string (a few thousand contacts; the secrets are registered with the scrubber
    by the first call, for the life of the process): Apprise builds a plugin to print a URL,
    0.15–0.2 ms, and every receipt queued by a portal upload asked again for the same contacts.
    """
    _SCRUBBER.add(_raw_secrets(url))  # parsing logs the URL: scrub its secrets from then on
    if url.startswith("zalo://"):  # a follower's user id, no secret (the token is in settings)
        return _mask_params(url.split("#")[0])
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return _fallback_redact(url)
    try:
        return _mask_params(_written_params_only(plugin.url(privacy=True), url))
    except Exception:
        return _fallback_redact(url)


def _written_params_only(shown: str, original: str) -> str:
    """Drop the defaults Apprise appends (``method=POST&format=text&overflow=…``): an official
    reading ``status`` should see the parameters of the org file, not the plugin's settings."""
    base, sep, query = shown.partition("?")
    if not sep:
        return shown
    written = {unquote(i.partition("=")[0]).lower() for i in urlsplit(original).query.split("&")}
    kept = [item for item in query.split("&") if unquote(item.partition("=")[0]).lower() in written]
    return base + ("?" + "&".join(kept) if kept else "")


def _raw_secrets(url: str) -> set[str]:
    """The password and the values of secret-looking query parameters, as written and decoded."""
    try:
        parts = urlsplit(url)
        candidates = [parts.password]
    except ValueError:
        return set()
    candidates += [v for k, v in parse_qsl(parts.query) if _SECRET_PARAM.search(k)]
    return {form for raw in candidates if raw and len(raw) >= 3 for form in (raw, unquote(raw))}


def _secrets_of(url: str) -> set[str]:
    """Everything of ``url`` its redacted form hides (tokens in the host or path too)."""
    visible = redact(url)
    pieces = {p for p in re.split(r"[/:@?&=,#;]+", url) if len(p) >= 4}
    hidden = {p for p in pieces if p not in visible}
    return _raw_secrets(url) | hidden | {unquote(p) for p in hidden}


def _sender(item: Outgoing, timeout: float) -> tuple[apprise.Apprise, Any] | None:
    """The Apprise instance (one plugin) and attachments of one message, built once for all its
    tries (building them was a sixth of a try); None for a URL Apprise cannot load."""
    plugin = apprise.Apprise.instantiate(item.url, suppress_exceptions=True)
    if plugin is None:
        return None
    plugin.socket_connect_timeout = timeout
    plugin.socket_read_timeout = timeout
    sender = apprise.Apprise()
    sender.add(plugin)
    attach = None
    if item.attachments and getattr(plugin, "attachment_support", False):
        attach = apprise.AppriseAttachment()
        for name, data in item.attachments:
            attach.add(AttachMemory(content=data, name=name, mimetype=_mimetype(name)))
    return sender, attach


def _attempt(item: Outgoing, loaded: tuple[apprise.Apprise, Any] | None) -> tuple[bool, str | None]:
    """One try. ``(False, None)`` only for a URL Apprise cannot load: retrying cannot help."""
    if loaded is None:
        return False, None
    sender, attach = loaded
    _SCRUBBER.local.errors = []
    try:
        ok = bool(
            sender.notify(body=item.body, title=item.subject, body_format="text", attach=attach)
        )
    except Exception as exc:  # a third-party plugin may raise despite Apprise's promise
        ok = False
        _SCRUBBER.local.errors.append(f"{type(exc).__name__}: {_SCRUBBER.scrub(str(exc))}")
    errors, _SCRUBBER.local.errors = _SCRUBBER.local.errors, None
    if ok:
        return True, None
    said = dict.fromkeys(our_words(e, redact(item.url)) for e in errors[-2:])
    return False, "; ".join(said) or f"gửi không thành công tới {redact(item.url)} [send_failed]"


_CONNECTION = re.compile(r"A Connection error occurred sending .*notification", re.IGNORECASE)
_REFUSED = re.compile(r"Failed to send .*notification: .*?error=(\d+)", re.IGNORECASE)


def our_words(error: str, where: str) -> str:
    """Apprise's English warnings in our own Vietnamese words, the code in brackets (issue 17:
    "A Connection error occurred sending JSON notification to…" reached officials as is).
    Our own plugins' messages (Vietnamese: ``Zalo: mã lỗi -213``) are kept; any other text,
    Apprise's or an exception's (plain ASCII English), becomes our generic line."""
    if _CONNECTION.search(error):
        return f"không kết nối được tới nơi nhận {where} [connection_error]"
    if m := _REFUSED.search(error):
        return f"nơi nhận {where} từ chối tin (mã HTTP {m[1]}) [http_error]"
    if not error.isascii():
        return error
    return f"gửi không thành công tới {where} [send_failed]"


def _mimetype(name: str) -> str:
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application/octet-stream"


def _deliver_one(item: Outgoing, timeout: float, retries: int) -> Outcome:
    """Retry what surely did not arrive (refused, unreachable); never what timed out.

    A failure that took the whole timeout is a request without an answer: the endpoint may have
    it. Sending it again is how one reminder became three, so it comes back ``unknown``.
    """
    error: str | None = None
    loaded = _sender(item, timeout)
    for attempt in range(1, retries + 2):
        began = time.monotonic()
        ok, error = _attempt(item, loaded)
        if ok:
            return Outcome(item.key, True, None, attempt)
        if error is None:
            invalid = f"URL không hợp lệ hoặc dịch vụ không hỗ trợ: {redact(item.url)}"
            return Outcome(item.key, False, invalid, attempt)
        if time.monotonic() - began >= timeout * 0.9:
            waited = f"không có trả lời sau {timeout:g} giây: chưa rõ đã nhận hay chưa"
            return Outcome(item.key, False, waited, attempt, unknown=True)
        if attempt <= retries:
            time.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))
    return Outcome(item.key, False, _SCRUBBER.scrub(error or "?"), retries + 1)


def deliver(
    outgoing: Sequence[Outgoing], *, timeout: float, retries: int, concurrency: int
) -> list[Outcome]:
    """Send each message to its URL (one Apprise instance per URL, concurrently), in input order.

    Retries a failure ``retries`` times with a short backoff; never raises; no secret in outcomes.
    """
    if not outgoing:
        return []
    for item in outgoing:
        _SCRUBBER.add(_secrets_of(item.url))
    if len(outgoing) == 1:  # one message (a portal upload's receipt): no thread to start
        return [_deliver_safely(outgoing[0], timeout, retries)]
    workers = max(1, min(concurrency, len(outgoing)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="danvan-notify") as pool:
        futures = [pool.submit(_timed_one, item, timeout, retries) for item in outgoing]
        results: list[Outcome] = []
        for item, future in zip(outgoing, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as exc:  # never let one message fail the batch
                message = _SCRUBBER.scrub(f"{type(exc).__name__}: {exc}")
                results.append(Outcome(item.key, False, message))
    return results


_POOL_CPU = [0.0]
_POOL_LOCK = threading.Lock()


def _timed_one(item: Outgoing, timeout: float, retries: int) -> Outcome:
    """:func:`_deliver_one` on a sending thread, its CPU time counted (:func:`pool_cpu_seconds`)."""
    began = time.thread_time()
    try:
        return _deliver_one(item, timeout, retries)
    finally:
        with _POOL_LOCK:
            _POOL_CPU[0] += time.thread_time() - began


def pool_cpu_seconds() -> float:
    """CPU time this process's sending threads have spent in all: a caller measuring its own
    thread's time (the portal's courier, ``danvan bench``) adds it, or misses the sending."""
    return _POOL_CPU[0]


def _deliver_safely(item: Outgoing, timeout: float, retries: int) -> Outcome:
    try:
        return _deliver_one(item, timeout, retries)
    except Exception as exc:  # never let one message fail the batch
        return Outcome(item.key, False, _SCRUBBER.scrub(f"{type(exc).__name__}: {exc}"))


class Notifier(Protocol):
    """What higher layers are given (injected, never patched): send a batch, get outcomes."""

    def send(self, outgoing: Sequence[Outgoing]) -> list[Outcome]: ...


@dataclass
class AppriseNotifier:
    """The real notifier; settings from ``Settings.notify_*``."""

    timeout: float = 10.0
    retries: int = 2
    concurrency: int = 16

    @classmethod
    def from_settings(cls, settings: object) -> AppriseNotifier:
        """From ``danvan.config.settings.Settings`` (its ``notify_*`` fields)."""
        return cls(
            timeout=getattr(settings, "notify_timeout_seconds", cls.timeout),
            retries=getattr(settings, "notify_retries", cls.retries),
            concurrency=getattr(settings, "notify_concurrency", cls.concurrency),
        )

    def send(self, outgoing: Sequence[Outgoing]) -> list[Outcome]:
        return deliver(
            outgoing, timeout=self.timeout, retries=self.retries, concurrency=self.concurrency
        )


@dataclass
class RecordingNotifier:
    """For tests of higher layers: records what would be sent; URLs in ``failing`` fail."""

    failing: frozenset[str] = frozenset()
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, outgoing: Sequence[Outgoing]) -> list[Outcome]:
        outcomes = []
        for item in outgoing:
            self.sent.append(item)
            ok = item.url not in self.failing
            outcomes.append(Outcome(item.key, ok, None if ok else "recorded failure"))
        return outcomes
