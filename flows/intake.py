"""Flow ``submit``: tiếp nhận tự đánh giá — record self-assessment files, each on its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from danvan.runtime.lazy import flow, log, outcome, task
from danvan.tasks.inbox import take_inbox
from danvan.tasks.intake import FileResult, record_submissions
from danvan.tasks.receipts import tell_senders

# ``on_answer`` is spelt out (``tasks.intake.OnAnswer``): under Prefect a flow's annotations are
# resolved where the lazy wrapper lives (danvan/runtime/lazy.py), which knows ``Callable``.
record_step = task(name="record-submissions")(record_submissions)
tell_step = task(name="tell-senders")(tell_senders)


@flow(name="submit", flow_run_name="submit")
def submit(
    paths: list[str],
    at: datetime,
    actor: str = "cli",
    expected_unit: str | None = None,
    from_cache: bool = False,
    on_answer: Callable[[dict], None] | None = None,
    receipts_later: bool = False,
) -> list[dict]:
    """Validate and record every file at ``at``; returns one result per file, in order. The CLI
    and the portal both come here (the portal with its signed-in unit and its cached tree).

    ``on_answer`` is told each file's answer as soon as it is settled; a batch cut off by the
    database raises :class:`~danvan.tasks.intake.CutOff` naming the files it did not reach.
    ``receipts_later``: the receipts (queued with each file) are delivered by this process's
    courier after the flow returns (the portal answers without waiting for any contact)."""
    results = record_step(paths, at, actor, expected_unit, from_cache, on_answer)
    tell_step([FileResult(**r) for r in results], at, later=receipts_later)
    accepted = sum(1 for r in results if r["accepted"])
    log(f"{accepted}/{len(results)} files accepted")
    rejected = bool(results) and not accepted
    return outcome(results, "Mọi tệp đều bị từ chối" if rejected else None, "Bị từ chối")


@task(name="take-inbox")
def _take(inbox: str, at: datetime, on_answer: Callable[[dict], None] | None = None) -> dict:
    run = take_inbox(Path(inbox), at, on_answer=on_answer)
    sent = tell_senders(run.results, at, refusals=True)
    return {"files": [r.to_dict() for r in run.results], "recovered": run.recovered, "sent": sent}


@flow(name="submit-inbox", flow_run_name="submit-inbox")
def submit_inbox(inbox: str, at: datetime, on_answer: Callable[[dict], None] | None = None) -> dict:
    """Take every new file of a folder, file each under accepted/ or rejected/, tell the unit;
    ``on_answer`` as for :func:`submit`."""
    doc = _take(inbox, at, on_answer)
    accepted = sum(1 for r in doc["files"] if r["accepted"])
    log(f"inbox: {accepted}/{len(doc['files'])} files accepted")
    return doc
