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

from sqlalchemy import update
from sqlmodel import Session, col, select

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


def find_live(*, session: Session, token: str, at: datetime) -> LiveLink | None:
    """The link behind ``token`` if it works at ``at`` (one indexed lookup)."""
    row = session.exec(
        select(PortalLink, Cycle)
        .join(Cycle, col(Cycle.id) == PortalLink.cycle_id)
        .where(PortalLink.token_sha256 == token_hash(token))
    ).first()
    if row is None:
        return None
    return _live(session, row[0], row[1], at)


def get_live(*, session: Session, link_id: int, at: datetime) -> LiveLink | None:
    """The same check for a session's link, on every request: a revocation ends it at once."""
    row = session.exec(
        select(PortalLink, Cycle)
        .join(Cycle, col(Cycle.id) == PortalLink.cycle_id)
        .where(PortalLink.id == link_id)
    ).first()
    if row is None:
        return None
    return _live(session, row[0], row[1], at)


def _live(session: Session, link: PortalLink, cycle: Cycle, at: datetime) -> LiveLink | None:
    if not link_is_live(
        revoked_at=link.revoked_at,
        valid_until=link.valid_until,
        published_at=cycle.published_at,
        at=at,
    ):
        return None
    unit = session.get(Unit, link.unit_id)
    assert unit is not None and link.id is not None
    return LiveLink(link.id, link.unit_id, unit.code, link.cycle_id, cycle.year, unit.name)


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
