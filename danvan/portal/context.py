"""The cycle's tree and criteria, loaded once per change instead of once per request.

A page needs the whole tree (who may see whom, who compiles whom). Loading 1,000 units on every
request is most of a page's time, and the tree changes only with ``org import``. The cache is
keyed by a fingerprint read in one small query — the newest ``updated_at`` and the number of
units — and the cycle row itself is always read fresh (its publication matters at once).
"""

from __future__ import annotations

import threading
from dataclasses import replace

from sqlalchemy import func
from sqlmodel import Session, select

from danvan.models.context import CycleContext, load_context
from danvan.models.tables import Cycle, Unit
from danvan.tasks.intake import CycleContexts

_lock = threading.Lock()
_cache: dict[tuple, CycleContext] = {}


def cycle_context(session: Session, year: int) -> CycleContext:
    """``load_context(year)``, from the cache while the tree is unchanged."""
    newest, count = session.exec(select(func.max(Unit.updated_at), func.count(Unit.id))).one()
    key = (str(session.get_bind().engine.url), year, str(newest), count)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = load_context(session=session, year=year)
        _ = cached.compilers, cached.province_units  # computed once, shared by every copy
        with _lock:
            _cache.clear()  # one tree at a time: an import makes the old one useless
            _cache[key] = cached
    cycle = session.get(Cycle, cached.cycle.id)
    assert cycle is not None
    session.expunge(cycle)
    fresh = replace(cached, cycle=cycle)
    fresh.__dict__.update(
        {k: cached.__dict__[k] for k in ("compilers", "province_units") if k in cached.__dict__}
    )
    return fresh


class PortalContexts(CycleContexts):
    """What intake asks for, answered from the portal's cache (one context per upload saved)."""

    def get(self, year: int) -> CycleContext:
        from danvan.models.db import get_engine, reading

        with reading(get_engine()) as session:
            return cycle_context(session, year)
