"""The audit trail for what a door does that is not itself a step of the cycle (a portal link
opened, a file downloaded): one entry, in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from danvan.models import store
from danvan.models.db import get_engine, transaction


def record(*, at: datetime, actor: str, action: str, entity: str, key: str, **detail: Any) -> None:
    """Write one audit entry (``actor`` names the door and who: ``portal:QNG.BSN``, ``cli``)."""
    with transaction(get_engine()) as session:
        store.audit(
            session=session, at=at, actor=actor, action=action, entity=entity, key=key, **detail
        )
