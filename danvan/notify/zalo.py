"""Zalo: messages to a Zalo Official Account's followers, as an Apprise channel ``zalo://USER_ID``.

The bundled Apprise (1.13) has no Zalo service, so this is a custom notification registered with
Apprise's ``@notify`` decorator: ``zalo://`` URLs then go through ``danvan.notify.channels`` like any other
channel (outbox, retries, redaction). The URL names the recipient only (the user id the OA sees
for a follower); the OA's access token comes from settings (``DANVAN_ZALO_ACCESS_TOKEN``), never
from the org file, and the API base URL too (``DANVAN_ZALO_API_URL``, so tests use a local one).

Zalo's API (Official Account, message v3, customer-service messages)::

    POST {api}/v3.0/oa/message/cs
    access_token: <token>                       (header)
    {"recipient": {"user_id": "…"}, "message": {"text": "…"}}
    → {"error": 0, "message": "Success", "data": {"message_id": "…"}}   (non-zero error: failed)

Zalo answers HTTP 200 with a non-zero ``error`` for most failures (an expired token, a user who
does not follow the OA); both that and an HTTP error count as a failed delivery, recorded and
retried by the next ``remind`` like any other.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from apprise.decorators import notify

from danvan.config.settings import get_settings

#: Zalo's limit on a text message; longer bodies are cut (the subject comes first).
MAX_TEXT = 2000
_LOG = logging.getLogger(
    "apprise"
)  # scrubbed by danvan.notify.channels's filter; errors reach outcomes


def message_payload(user_id: str, title: str, body: str) -> dict[str, Any]:
    """The request body for one follower: subject and body as one text, within Zalo's limit."""
    text = f"{title}\n\n{body}" if title else body
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {"recipient": {"user_id": user_id}, "message": {"text": text}}


def send(user_id: str, title: str, body: str, *, api_url: str, token: str, timeout: float) -> bool:
    """One message; False (with a warning naming Zalo's error) when it was not delivered."""
    url = api_url.rstrip("/") + "/v3.0/oa/message/cs"
    try:
        response = requests.post(
            url,
            json=message_payload(user_id, title, body),
            headers={"access_token": token, "Content-Type": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        _LOG.warning("Zalo: không kết nối được (%s)", type(exc).__name__)
        return False
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict):
        _LOG.warning("Zalo: HTTP %s", response.status_code)
        return False
    if answer.get("error") != 0:
        _LOG.warning("Zalo trả lỗi %s: %s", answer.get("error"), answer.get("message"))
        return False
    return True


@notify(on="zalo", name="Zalo Official Account")
def _zalo(body: str, title: str, notify_type: str, meta: dict, *args: Any, **kwargs: Any) -> bool:
    """Apprise's entry point for ``zalo://USER_ID`` (the settings are read per message, so a
    token renewed in the environment is used at once by a long-running ``serve``)."""
    settings = get_settings()
    user_id = str(meta.get("host") or "").strip()
    token = settings.zalo_access_token.get_secret_value() if settings.zalo_access_token else ""
    if not user_id:
        _LOG.warning("Zalo: thiếu mã người nhận (zalo://USER_ID)")
        return False
    if not token:
        _LOG.warning("Zalo: chưa cấu hình DANVAN_ZALO_ACCESS_TOKEN")
        return False
    return send(
        user_id,
        title,
        body,
        api_url=settings.zalo_api_url,
        token=token,
        timeout=settings.notify_timeout_seconds,
    )
