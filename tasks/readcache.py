"""A read computed from a cycle's rows, kept in this process while those rows are unchanged.

Why: the portal's pages read a province's standings and flags on every request, and computing
them for 1,000 units was most of a page's time, while they change only when something is
recorded. Each caller names a key read from the database on every call (cheap: a few counts,
``versions.standings_version``) plus the cycle's own fields it depends on; the tree and the
criteria sets count by identity (``cached_context`` hands the same objects out while the tree is
unchanged). Several portal worker processes each keep their own entry and each sees a write at
its next read, since the key read after a commit differs: nothing stale is served.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from danvan.models.context import CycleContext
    from danvan.models.reads import Reader

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    key: tuple
    ctx: CycleContext  # the tree and criteria it was computed with (compared by identity)
    value: T


class ReadCache(Generic[T]):
    """One entry per (database, cycle): the latest value computed in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, _Entry[T]] = {}

    def lookup(self, session: Reader, ctx: CycleContext, key: tuple) -> T | None:
        """The value kept for ``key`` (and ``ctx``'s tree), if any."""
        with self._lock:
            hit = self._entries.get(_where(session, ctx))
        if hit is not None and hit.key == key and _same_tree(hit.ctx, ctx):
            return hit.value
        return None

    def keep(self, session: Reader, ctx: CycleContext, key: tuple, value: T) -> None:
        """Keep ``value`` as computed for ``key`` (the caller has read ``key`` again after
        computing it and found it the same: nothing committed meanwhile, READ COMMITTED)."""
        with self._lock:
            self._entries[_where(session, ctx)] = _Entry(key, ctx, value)

    def get(
        self,
        session: Reader,
        ctx: CycleContext,
        key: Callable[[], tuple],
        compute: Callable[[], T],
    ) -> T:
        """The value kept for ``key()``, else ``compute()``, kept when ``key()`` is unchanged."""
        before = key()
        hit = self.lookup(session, ctx, before)
        if hit is not None:
            return hit
        value = compute()
        if key() == before:
            self.keep(session, ctx, before, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_gc_lock = threading.Lock()
_gc = {"holders": 0, "was_enabled": True}


@contextmanager
def without_gc() -> Iterator[None]:
    """Python's cycle collector paused while a read builds its rows: a country's ``status``
    makes ~10⁶ small objects that hold no cycles, and the collections they set off (each a walk
    of the whole heap) were a third of its time at 25,000 units. Threads share the pause; the
    last one out restarts the collector (when it was running before)."""
    with _gc_lock:
        if _gc["holders"] == 0:
            _gc["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc["holders"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc["holders"] -= 1
            if _gc["holders"] == 0 and _gc["was_enabled"]:
                gc.enable()


def _where(session: Reader, ctx: CycleContext) -> tuple:
    return str(session.get_bind().engine.url), ctx.cycle.id


def _same_tree(a: CycleContext, b: CycleContext) -> bool:
    return a.org is b.org and a.criteria_sets is b.criteria_sets


def cycle_fields(ctx: CycleContext) -> tuple:
    """The cycle's own fields a standing or a flag reads (the row is read fresh every time)."""
    c = ctx.cycle
    return (
        c.self_assessment_deadline,
        tuple(sorted(c.criteria_by_kind.items())),
        c.timezone,
        repr(c.checks),
    )
