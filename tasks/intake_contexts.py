"""The cycles a batch of intake files refers to, each loaded once (split out of
:mod:`danvan.tasks.intake`, which uses them for every door's batch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from danvan.config.settings import get_settings
from danvan.models import store
from danvan.models.context import CycleContext, cached_context, find_context_cycle, load_context
from danvan.models.db import get_engine, reading

__all__ = ["CachedContexts", "CycleContexts", "Known", "known", "known_cycle"]


@dataclass
class Known:
    """What the portal's request already has, for its upload's intake: the cycle it read, the
    receipts the recording read in its own transaction (``(unit, version)`` → receipt), and the
    outbox rows it queued for them (cycle id → row ids: the courier sends just those, without
    looking for them again)."""

    ctx: CycleContext
    receipts: dict[tuple[str, int], Any] = field(default_factory=dict)
    queued: dict[int, list[int]] = field(default_factory=dict)


_known: ContextVar[Known | None] = ContextVar("danvan_known_cycle", default=None)


@contextmanager
def known_cycle(ctx: CycleContext) -> Iterator[Known]:
    """Within this block the intake takes ``ctx`` for its year and units instead of checking the
    tree again: the portal's upload read it a moment before, in the same request (one tree check
    per upload, not two). What can change meanwhile (the publication, the unit's versions) the
    recording reads again under its lock. The recording leaves the accepted files' receipts in
    the ``Known`` it yields (the answer page's, not read back in a transaction of its own)."""
    token = _known.set(Known(ctx))
    try:
        yield _known.get()  # type: ignore[misc]
    finally:
        _known.reset(token)


def known() -> Known | None:
    """The request's ``Known`` inside :func:`known_cycle` (None elsewhere: the CLI, the flows)."""
    return _known.get()


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
        given = _known.get()
        if (
            given is not None
            and given.ctx.cycle.year == year
            and (unit is None or unit in given.ctx.units)
        ):
            return given.ctx
        with reading(get_engine()) as session:
            return cached_context(session, year, unit)
