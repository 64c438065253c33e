"""Quyền xem: what a portal link lets its unit see and do (pure: the tree is given).

A unit sees its own page; a compiler also sees every unit below it; the province sees the whole
province. A link stops working when it is revoked, and when its cycle is published unless it was
renewed (then until ``valid_until``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from danvan.rules.domain import OrgUnit
from danvan.rules.org import is_below
from danvan.rules.publication import published_by


def link_is_live(
    *,
    revoked_at: datetime | None,
    valid_until: datetime | None,
    published_at: datetime | None,
    at: datetime,
) -> bool:
    """True while the link may open a session at ``at``."""
    if revoked_at is not None and revoked_at <= at:
        return False
    if valid_until is not None:
        return at <= valid_until
    return not published_by(published_at, at)


def may_view(units: Mapping[str, OrgUnit], viewer: str, target: str) -> bool:
    """The viewer's own unit, or (for a compiler) any unit below it."""
    if viewer == target:
        return True
    v = units.get(viewer)
    return v is not None and v.compiles and target in units and is_below(units, target, viewer)
