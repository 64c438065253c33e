"""Người đưa tin: one thread per process that delivers the receipts a request queued, after the
request has been answered (issue 18: a dead contact must not cost an upload anything).

The portal's upload records the file and queues its receipt in the outbox in one transaction,
then hands the rows' ids here and answers. The courier wakes, takes every id handed to it since
it last looked (a burst of uploads is one delivery run, not one per upload) and delivers just
those rows through the outbox (:func:`danvan.tasks.outbox.deliver`): claimed before they are
sent, so with several worker processes, or a ``remind`` run at the same moment, each message
still goes once. A row the courier never reached (the process stopped first) stays ``pending``
and the next ``remind`` sends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime

from danvan.tasks.guard import PASS_THROUGH

log = logging.getLogger("danvan.courier")


class Courier:
    """Deliveries handed over by requests, made by one daemon thread of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._todo: dict[int, tuple[set[int], datetime]] = {}  # cycle id → (row ids, latest at)
        self._busy = False
        self._thread: threading.Thread | None = None

    def post(self, cycle_id: int, ids: Iterable[int], at: datetime) -> None:
        """Deliver these outbox rows soon; returns at once."""
        with self._lock:
            rows, when = self._todo.get(cycle_id, (set(), at))
            rows.update(ids)
            self._todo[cycle_id] = (rows, max(when, at))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="danvan-courier", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything handed over has been delivered (tests, a stopping portal);
        False when ``timeout`` seconds passed first."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._todo and not self._busy, timeout)

    def _run(self) -> None:
        from danvan.tasks.outbox import deliver  # lazy: the outbox imports Apprise

        while True:
            with self._lock:
                self._wake.wait_for(lambda: bool(self._todo))
                todo, self._todo, self._busy = self._todo, {}, True
            try:
                for cycle_id, (ids, at) in todo.items():
                    try:
                        deliver(cycle_id, at, only=sorted(ids))
                    except PASS_THROUGH as exc:  # the database: the rows stay for ``remind``
                        log.warning("courier_failed: %s", type(exc).__name__)
                    except Exception as exc:  # never the text: it may hold a contact's URL
                        log.error("courier_failed: %s", type(exc).__name__)
            finally:
                with self._lock:
                    self._busy = False
                    self._wake.notify_all()


_COURIER = Courier()


def courier() -> Courier:
    """This process's courier."""
    return _COURIER
