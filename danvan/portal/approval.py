"""Whether the province has signed off the final ranking (``danvan approve``, the Prefect form).

The latest decision counts (SPEC §4: `approve`); the portal publishes only after an approval.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from danvan.models.tables import SignOff


def approved(session: Session, cycle_id: int) -> bool:
    """True when the province's latest sign-off decision for the cycle is ``approved``."""
    row = session.exec(
        select(SignOff)
        .where(SignOff.cycle_id == cycle_id)
        .order_by(col(SignOff.at).desc(), col(SignOff.id).desc())
    ).first()
    return row is not None and row.decision == "approved"
