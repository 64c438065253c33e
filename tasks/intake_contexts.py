"""The cycles a batch of intake files refers to, each loaded once (split out of
:mod:`danvan.tasks.intake`, which uses them for every door's batch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.context import CycleContext, cached_context, find_context_cycle, load_context
from danvan.models.db import get_engine, reading

__all__ = ["CachedContexts", "CycleContexts", "known_cycle"]

#: The cycle the portal's request already read (``known_cycle``), for its upload's intake.
_known: ContextVar[CycleContext | None] = ContextVar("danvan_known_cycle", default=None)


@contextmanager
def known_cycle(ctx: CycleContext) -> Iterator[None]:
    """Within this block the intake takes ``ctx`` for its year and units instead of checking the
    tree again: the portal's upload read it a moment before, in the same request (one tree check
    per upload, not two). What can change meanwhile (the publication, the unit's versions) the
    recording reads again under its lock."""
    token = _known.set(ctx)
    try:
        yield
    finally:
        _known.reset(token)


class CycleContexts:
    """The cycles a batch of files refers to, each loaded once (tree, criteria sets).

    Without this, every file would reload the whole province: 999 files took 69 s. The per-file
    transaction still re-reads what can change meanwhile (publication, the unit's versions).
    """

    def __init__(self) -> None:
        self._by_cycle: dict[int, CycleContext] = {}
        self._by_year: dict[int, CycleContext] = {}  # a year only one cycle can be meant by

    def get(self, year: int, unit: str | None = None) -> CycleContext:
        """``unit``: the file's unit, which names its province when several share the database
        (then each file's cycle is looked up, a query; otherwise none after the first)."""
        if year in self._by_year:
            return self._by_year[year]
        with reading(get_engine()) as session:
            cycle = find_context_cycle(session, year, field="year", unit=unit)
            assert cycle.id is not None
            if cycle.id not in self._by_cycle:
                self._by_cycle[cycle.id] = load_context(
                    session=session, year=year, field="year", unit=unit
                )
            ctx = self._by_cycle[cycle.id]
            if get_settings().province or store.cycle_count(session=session, year=year) == 1:
                self._by_year[year] = ctx
        return ctx


class CachedContexts(CycleContexts):
    """The same, answered from the long-lived cache of :func:`cached_context` (the portal: one
    context per upload saved, the tree reloaded only after an ``org import``)."""

    def get(self, year: int, unit: str | None = None) -> CycleContext:
        known = _known.get()
        if known is not None and known.cycle.year == year and (unit is None or unit in known.units):
            return known
        with reading(get_engine()) as session:
            return cached_context(session, year, unit)
