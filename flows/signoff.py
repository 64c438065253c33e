"""Flow ``sign-off-and-publish``: phê duyệt rồi công bố — publication waits for the province.

The run of the ``xep-loai`` deployment starts after the province's compilation; until the
province has approved the final ranking (``danvan approve``, the portal, or the form this run
shows in the Prefect UI) it is *suspended*, for days if need be. A ranking returned with a note is
recorded and the run waits again; once approved it publishes and removes what is left of the
cycle's calendar. Meanwhile the daily reminders keep telling the province's contacts.
"""

from __future__ import annotations

import functools
from datetime import datetime

from danvan.flows.publish import publish
from danvan.runtime.api import PrefectRest
from danvan.runtime.lazy import (
    current_api_url,
    decision_instant,
    flow,
    log,
    scheduled_instant,
    wait_for_input,
)
from danvan.tasks.calendar import sync_calendar
from danvan.tasks.signoff import latest_sign_off, record_answer


@functools.cache
def sign_off_form() -> type:
    """The typed form of the Prefect UI (a ``RunInput``), built on first use (imports Prefect)."""
    from prefect.input import RunInput  # lazy: Prefect loads only when a run asks for the form

    class PheDuyet(RunInput):
        """Phê duyệt kết quả xếp loại: approve, or return with a note saying why."""

        approve: bool
        note: str = ""

    return PheDuyet


@flow(name="sign-off-and-publish", flow_run_name="xep-loai-{year}", persist_result=True)
def sign_off_and_publish(year: int, at: datetime | None = None) -> dict:
    at = at or scheduled_instant()
    asked = 0
    while True:
        decision = latest_sign_off(year)
        if decision is not None and decision.approved:
            break
        answer = wait_for_input(sign_off_form(), key=f"phe-duyet-{asked}")
        decision = record_answer(
            year,
            bool(answer.approve),
            str(getattr(answer, "note", "")),
            max(at, decision_instant() or at),
            actor="prefect-ui",
        )
        log(f"sign-off: {decision.decision} ({decision.note or 'không ghi chú'})")
        asked += 1
    when = max(at, decision_instant() or at)
    doc = publish(year, when, actor=f"prefect:{decision.by}")
    api = current_api_url()
    if api:
        with PrefectRest(api) as rest:
            removed = sync_calendar(rest, year).removed
        log(f"published; {removed} scheduled runs of the cycle removed")
    return doc
