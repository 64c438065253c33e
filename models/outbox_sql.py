"""The outbox's delivering statements (``tasks.outbox``), each built once.

Why apart, as :mod:`danvan.models.intake_sql`: the portal's courier delivers a receipt or two
per upload, and there building the statements (ORM attributes, ``IN`` of literal ids), walking
them for their cache keys and loading ORM objects cost more CPU than running them. Here each is
built once from the table's columns with bound (``expanding``) parameters and run on the
session's connection: the rows come back as plain rows, with the columns a delivery needs.
Like the rest of ``models``, every function is *given* a session, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session

from danvan.models.tables import Delivery

_D: Table = Delivery.__table__

#: What sending a row needs, and what recording its outcome and telling the caller read.
_COLUMNS = (
    _D.c.id, _D.c.unit_id, _D.c.url, _D.c.url_redacted, _D.c.milestone, _D.c.kind, _D.c.day,
    _D.c.subject, _D.c.body, _D.c.about, _D.c.attachment, _D.c.attempts,
)  # fmt: skip

_TO_SEND = _D.c.status.in_(("pending", "failed"))
#: The next rows to send after ``after`` (PostgreSQL: skipping rows another run holds; SQLite
#: renders no FOR UPDATE, its writers are one at a time).
_NEXT = (
    select(*_COLUMNS)
    .where(_D.c.cycle_id == bindparam("cycle_id"), _TO_SEND, _D.c.id > bindparam("after"))
    .order_by(_D.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_NEXT_OF = _NEXT.where(_D.c.id.in_(bindparam("window", expanding=True)))
_TAKE = (
    update(_D)
    .where(_D.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sending", claimed_by=bindparam("token"))
)
_SENDING = select(_D.c.claimed_by).where(
    _D.c.cycle_id == bindparam("cycle_id"), _D.c.status == "sending"
)
_OUTCOME = (
    update(_D)
    .where(_D.c.id == bindparam("row_id"))
    .values(
        attempts=bindparam("row_attempts"),
        last_attempt_at=bindparam("row_at"),
        status=bindparam("row_status"),
        claimed_by=None,
        last_error=bindparam("row_error"),
        sent_at=bindparam("row_sent_at"),
    )
)


def claim_next(
    *,
    session: Session,
    cycle_id: int,
    token: str,
    after: int,
    limit: int,
    window: Sequence[int] | None,
) -> list[Any]:
    """The next ``limit`` rows to send (ids above ``after``; with ``window``, among those ids),
    marked ``sending`` by the run ``token``: plain rows with the columns of ``_COLUMNS``."""
    conn = session.connection()
    params: dict[str, Any] = {"cycle_id": cycle_id, "after": after, "limit": limit}
    if window is None:
        rows = list(conn.execute(_NEXT, params))
    else:
        rows = list(conn.execute(_NEXT_OF, params | {"window": list(window)}))
    if rows:
        conn.execute(_TAKE, {"ids": [r.id for r in rows], "token": token})
    return rows


def sending_tokens(*, session: Session, cycle_id: int) -> set[str | None]:
    """The runs holding rows of the cycle ``sending`` (their tokens; None: a row of no run)."""
    return set(session.connection().execute(_SENDING, {"cycle_id": cycle_id}).scalars())


def record_outcomes(*, session: Session, outcomes: Sequence[Mapping[str, Any]]) -> None:
    """Each row's outcome by its id, in one executemany (keys: ``row_id``, ``row_attempts``,
    ``row_at``, ``row_status``, ``row_error``, ``row_sent_at``)."""
    if outcomes:
        session.connection().execute(_OUTCOME, list(outcomes))
