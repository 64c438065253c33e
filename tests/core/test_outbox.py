"""The outbox under concurrency: two deliveries at the same moment never send a message twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from danvan.notify.channels import Outcome, Outgoing
from danvan.notify.messages import Queued
from danvan.rules.timing import parse_instant
from danvan.tasks.outbox import deliver, deliver_pending
from tests.helpers.hgi import setup_province


@dataclass
class SlowNotifier:
    """Records every message; slow enough that two runs overlap."""

    sent: list[Outgoing] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, outgoing: Sequence[Outgoing]) -> list[Outcome]:
        time.sleep(0.5)
        with self.lock:
            self.sent.extend(outgoing)
        return [Outcome(o.key, True) for o in outgoing]


def test_two_concurrent_runs_send_each_message_once(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    at = parse_instant("2024-11-12T08:00")
    items = [
        Queued(
            "HGI.STC",
            "self_assessment",
            "before",
            date(2024, 11, 12),
            "s",
            "b",
            (f"json://127.0.0.1:9/{i}",),
        )
        for i in range(20)
    ]
    notifier = SlowNotifier()
    # queue them once, then let two runs race over the same pending rows
    from danvan.models import store
    from danvan.models.db import get_engine, transaction
    from danvan.tasks.outbox import enqueue

    with transaction(get_engine()) as session:
        ids = store.load_org(session=session).ids
        assert enqueue(session=session, cycle_id=1, ids=ids, items=items, at=at) == 20
    results: list[list[dict]] = []
    threads = [
        threading.Thread(target=lambda: results.append(deliver_pending(1, at, notifier)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    urls = [o.url for o in notifier.sent]
    assert len(urls) == 20 and len(set(urls)) == 20
    # and nothing is left to send
    assert deliver_pending(1, at, notifier) == []
    assert len(notifier.sent) == 20
    # every attempt is in the history, once
    from sqlmodel import func, select

    from danvan.models.tables import DeliveryAttempt

    with transaction(get_engine()) as session:
        assert session.exec(select(func.count()).select_from(DeliveryAttempt)).one() == 20


def test_a_courier_handed_its_rows_and_a_run_over_all_pending_send_each_once(
    db_url: str, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """The portal's courier is handed its receipts' ids (``only``) while a reminder run sends
    everything pending: on PostgreSQL both claim with SKIP LOCKED, neither sends a row twice."""
    setup_province(tmp_path, cli)
    at = parse_instant("2024-11-12T08:00")
    items = [
        Queued("HGI.STC", "self_assessment", "before", date(2024, 11, 12), "s", "b",
               (f"json://127.0.0.1:9/{i}",))
        for i in range(20)
    ]  # fmt: skip
    from sqlmodel import select

    from danvan.models import store
    from danvan.models.db import get_engine, transaction
    from danvan.models.tables import Delivery
    from danvan.tasks.outbox import enqueue

    with transaction(get_engine()) as session:
        ids = store.load_org(session=session).ids
        assert enqueue(session=session, cycle_id=1, ids=ids, items=items, at=at) == 20
        queued = sorted(session.exec(select(Delivery.id)).all())
    notifier = SlowNotifier()
    runs = [
        lambda: deliver(1, at, notifier, only=queued[:12], entries=False),  # the courier's
        lambda: deliver_pending(1, at, notifier),
    ]
    threads = [threading.Thread(target=run) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    urls = [o.url for o in notifier.sent]
    assert sorted(urls) == sorted(set(urls)) and len(urls) == 20
    assert deliver_pending(1, at, notifier) == []
