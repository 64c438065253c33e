"""Công bố: whether a cycle's results had been published at an instant (pure).

One decision for every reader that describes a cycle *as at* an instant (``status --at``, the
portal's pages at their clock, a portal link's life): published when ``published_at`` is
recorded and is on or before that instant. A cycle published later was not yet published then.
"""

from __future__ import annotations

from datetime import datetime


def published_by(published_at: datetime | None, at: datetime | None) -> bool:
    """True when the cycle had been published at ``at`` (``published_at`` ≤ ``at``); ``at``
    None: as recorded now, whenever that was."""
    return published_at is not None and (at is None or published_at <= at)
