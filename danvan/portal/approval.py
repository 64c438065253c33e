"""Whether the province has signed off the final ranking (``danvan approve``).

The approval record belongs to the orchestration work; until this installation has it, the
province's own page asks for an explicit confirmation before publishing instead.
"""

from __future__ import annotations

from sqlmodel import Session


def approved(session: Session, cycle_id: int) -> bool | None:
    """True/False once approvals are recorded here; None where there is no approval record."""
    try:
        from danvan.models.tables import Approval  # type: ignore[attr-defined]
    except ImportError:
        return None
    from sqlmodel import select

    row = session.exec(select(Approval).where(Approval.cycle_id == cycle_id)).first()
    return row is not None
