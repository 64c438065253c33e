"""Người đưa tin: a thread per process that does a request's slow after-work once the request
has been answered (issue 18: a dead contact must not cost an upload anything).

The portal's upload records the file and queues its receipt in the outbox in one transaction,
hands the answer to the receipts' courier (``danvan.tasks.receipts``) and answers. The courier
wakes, takes everything handed to it since it last looked — a burst of uploads is one piece of
work, not one per upload — and does it: for receipts, delivering just those outbox rows, which
are claimed before they are sent, so with several worker processes, or a ``remind`` run at the
same moment, each message still goes once. A row the courier never reached (the process
stopped first) stays ``pending`` and the next ``remind`` sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

from danvan.tasks.guard import PASS_THROUGH

log = logging.getLogger("danvan.courier")
T = TypeVar("T")


class Courier(Generic[T]):
    """Work handed over by requests (``post``), done in batches by one daemon thread:
    ``work(items, at)`` gets everything posted since its last call, ``at`` the latest instant."""

    def __init__(
        self,
        name: str,
        work: Callable[[list[T], datetime], object],
        quiet: float = 0.0,
        longest: float = 10.0,
    ) -> None:
        """``quiet``: seconds without a new post before the work starts, so a burst of requests
        is answered first and its after-work done once it has passed (never later than
        ``longest`` seconds after the oldest item waiting)."""
        self.name = name
        self._work = work
        self.quiet, self.longest = quiet, longest
        self._last = self._first = 0.0  # monotonic instants: the latest post, the oldest waiting
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._todo: list[T] = []
        self._at: datetime | None = None
        self._busy = False
        self._thread: threading.Thread | None = None
        self.cpu_seconds = 0.0  # CPU time its thread has spent working (the bench reads it)
        EVERY.append(self)

    def post(self, items: Iterable[T], at: datetime) -> None:
        """Do this work soon; returns at once."""
        with self._lock:
            self._last = time.monotonic()
            if not self._todo:
                self._first = self._last
            self._todo.extend(items)
            self._at = at if self._at is None else max(self._at, at)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything posted is done (tests, a stopping portal); False when
        ``timeout`` seconds passed first."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._todo and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._wake.wait_for(lambda: bool(self._todo))
                while (wait := self._still_quiet()) > 0:
                    self._wake.wait(wait)
                todo, at = self._todo, self._at
                self._todo, self._at, self._busy = [], None, True
            started = time.thread_time()
            try:
                assert at is not None
                self._work(todo, at)
            except PASS_THROUGH as exc:  # the database: the rows stay for ``remind``
                log.warning("%s_failed: %s", self.name, type(exc).__name__)
            except Exception as exc:  # never the text: it may hold a contact's URL
                log.error("%s_failed: %s", self.name, type(exc).__name__)
            finally:
                with self._lock:
                    self.cpu_seconds += time.thread_time() - started
                    self._busy = False
                    self._wake.notify_all()

    def _still_quiet(self) -> float:
        """Seconds still to wait before working (under the lock): until ``quiet`` seconds have
        passed since the latest post, at most ``longest`` after the oldest item waiting."""
        if self.quiet <= 0:
            return 0.0
        now = time.monotonic()
        return min(self._last + self.quiet, self._first + self.longest) - now


#: Every courier of this process.
EVERY: list[Courier] = []


def cpu_seconds() -> float:
    """CPU time this process's couriers have spent working, in all."""
    return sum(c.cpu_seconds for c in EVERY)


def wait_idle(timeout: float) -> bool:
    """Wait for every courier of this process to finish what it was handed."""
    return all(c.wait_idle(timeout) for c in EVERY)
