"""Đường dẫn riêng: personal secret links to the portal, stored: minted, found, revoked, renewed.

A token is ``secrets.token_urlsafe(32)`` (256 bits); only its sha256 is stored, so the database
alone never lets anyone in. A token is shown exactly once: in the list ``danvan portal links``
prints, or in the message that carries it. Messages are stored in the outbox with
``LINK_PLACEHOLDER`` where the link goes, and the outbox mints a fresh link for the recipient at
the moment it sends (``links_for_delivery``): the token exists in memory and in the message
that left, never in a table, a log or a Prefect parameter.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.tables import Cycle, PortalLink, Unit
from danvan.rules.access import link_is_live

#: Stands for the recipient's link in a stored message body; replaced when the message is sent.
LINK_PLACEHOLDER = "[đường dẫn riêng của đơn vị]"
#: Path prefix of a link (the only URL that ever holds a token).
LINK_PREFIX = "/l/"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LINK_PREFIX}{token}"


@dataclass(frozen=True)
class LiveLink:
    """A link that may open a session now: whose it is and for which cycle."""

    id: int
    unit_id: int
    unit_code: str
    cycle_id: int
    year: int
    unit_name: str


def mint(
    *, session: Session, cycle_id: int, unit_ids: Iterable[int], purpose: str, at: datetime
) -> dict[int, str]:
    """One new link per unit (unit id → token); only the hashes are written."""
    tokens = {uid: new_token() for uid in dict.fromkeys(unit_ids)}
    store.bulk_insert(
        session=session,
        model=PortalLink,
        rows=[
            {
                "cycle_id": cycle_id,
                "unit_id": uid,
                "token_sha256": token_hash(tok),
                "purpose": purpose,
                "created_at": at,
            }
            for uid, tok in tokens.items()
        ],
    )
    return tokens


def _link_read() -> Any:
    """The link, its cycle's year and publication and its unit's code and name, in one statement
    of table columns (no ORM objects): checked on every request of the portal."""
    link, cycle, unit = PortalLink.__table__, Cycle.__table__, Unit.__table__
    return (
        sa_select(
            link.c.id, link.c.unit_id, unit.c.code, link.c.cycle_id, cycle.c.year, unit.c.name,
            link.c.revoked_at, link.c.valid_until, cycle.c.published_at,
        )
        .join(cycle, cycle.c.id == link.c.cycle_id)
        .join(unit, unit.c.id == link.c.unit_id)
    )  # fmt: skip


#: Built once: a statement built per call costs more than its execution (its cache key too).
_BY_TOKEN = _link_read().where(PortalLink.__table__.c.token_sha256 == bindparam("token"))
_BY_ID = _link_read().where(PortalLink.__table__.c.id == bindparam("link_id"))


def find_live(*, session: Session, token: str, at: datetime) -> LiveLink | None:
    """The link behind ``token`` if it works at ``at`` (one indexed lookup)."""
    row = session.connection().execute(_BY_TOKEN, {"token": token_hash(token)}).first()
    return _live(row, at)


def get_live(*, session: Session, link_id: int, at: datetime) -> LiveLink | None:
    """The same check for a session's link, on every request: a revocation ends it at once.
    One statement of columns: the two ORM reads it replaced were ~1.5 ms of CPU a request."""
    row = session.connection().execute(_BY_ID, {"link_id": link_id}).first()
    return _live(row, at)


def _live(row: Any, at: datetime) -> LiveLink | None:
    if row is None:
        return None
    revoked_at, valid_until, published_at = row[6:]
    if not link_is_live(
        revoked_at=revoked_at, valid_until=valid_until, published_at=published_at, at=at
    ):
        return None
    return LiveLink(*row[:6])


def revoke(*, session: Session, unit_id: int, at: datetime, cycle_id: int | None = None) -> int:
    """Revoke every live link of a unit (of one cycle, or all). Returns how many."""
    stmt = update(PortalLink).where(
        col(PortalLink.unit_id) == unit_id, col(PortalLink.revoked_at).is_(None)
    )
    if cycle_id is not None:
        stmt = stmt.where(col(PortalLink.cycle_id) == cycle_id)
    return session.execute(stmt.values(revoked_at=at)).rowcount  # type: ignore[attr-defined]


def renew(*, session: Session, cycle_id: int, unit_ids: Iterable[int], until: datetime) -> int:
    """Let the units' unrevoked links work until ``until``, publication or not."""
    stmt = (
        update(PortalLink)
        .where(
            col(PortalLink.cycle_id) == cycle_id,
            col(PortalLink.unit_id).in_(list(unit_ids)),
            col(PortalLink.revoked_at).is_(None),
        )
        .values(valid_until=until)
    )
    return session.execute(stmt).rowcount  # type: ignore[attr-defined]


def links_for_delivery(
    *, session: Session, cycle_id: int, unit_ids: Iterable[int], purpose: str, at: datetime
) -> dict[int, str]:
    """Unit id → the full link to put in place of ``LINK_PLACEHOLDER`` (empty: no portal URL).

    Called by the outbox inside the transaction that claims the messages, so a link exists in
    the database exactly when a message carrying it is about to leave.
    """
    base = get_settings().portal_url
    if not base:
        return {}
    tokens = mint(session=session, cycle_id=cycle_id, unit_ids=unit_ids, purpose=purpose, at=at)
    return {uid: link_url(base, tok) for uid, tok in tokens.items()}
