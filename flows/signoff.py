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
from danvan.runtime.api import PrefectRest, PrefectUnavailable
from danvan.runtime.lazy import (
    ScheduledName,
    current_api_url,
    decision_instant,
    flow,
    log,
    scheduled_instant,
    wait_for_input,
)
from danvan.tasks.calendar import publication_run_name, sync_calendar
from danvan.tasks.signoff import latest_sign_off, record_answer

FORM_DESCRIPTION = (
    "**Phê duyệt kết quả xếp loại công tác dân vận chính quyền năm {year}.**\n\n"
    "Đánh dấu *Phê duyệt* rồi bấm Resume: kết quả được công bố ngay, mọi đơn vị được báo kết "
    "quả của mình và lịch còn lại của kỳ được gỡ khỏi Prefect. Không đánh dấu và ghi *Ghi chú* "
    "(bắt buộc) để trả lại: quyết định được ghi lại và lượt này chờ phê duyệt lần sau. "
    "Cũng có thể phê duyệt bằng lệnh `danvan approve --cycle {year} --by <mã tỉnh>` hoặc trên "
    "cổng thông tin; quyết định nào cũng là một."
)


@functools.cache
def sign_off_form() -> type:
    """The typed form of the Prefect UI (a ``RunInput``), built on first use (imports Prefect).
    Its keys stay ``approve``/``note`` (``danvan approve`` answers with them); its titles and
    description are Vietnamese."""
    from prefect.input import RunInput  # lazy: Prefect loads only when a run asks for the form
    from pydantic import Field  # lazy: with Prefect, only when a run asks for the form

    class PheDuyet(RunInput):
        """Phê duyệt kết quả xếp loại, hoặc trả lại kèm lý do."""

        approve: bool = Field(
            default=False,
            title="Phê duyệt",
            description="Đánh dấu để phê duyệt và công bố kết quả xếp loại.",
        )
        note: str = Field(
            default="",
            title="Ghi chú",
            description="Ý kiến của tỉnh; bắt buộc khi trả lại kết quả.",
        )

    return PheDuyet


def _form(year: int) -> type:
    form: type = sign_off_form()
    return form.with_initial_data(description=FORM_DESCRIPTION.format(year=year))  # type: ignore[attr-defined]


@flow(
    name="sign-off-and-publish",
    flow_run_name=ScheduledName("xep-loai-", publication_run_name),
    persist_result=True,
)
def sign_off_and_publish(year: int, at: datetime | None = None) -> dict:
    """Publish once the province has approved (read by the one rule, ``is_approved``, before
    each wait: a decision recorded while Prefect was down is seen at the next resume, which
    ``theo-doi`` sends). The clean-up after publishing never fails the run: the ranking is
    published, and the next reconciliation finishes what a failed call left."""
    at = at or scheduled_instant()
    asked = 0
    while True:
        decision = latest_sign_off(year)
        if decision is not None and decision.approved:
            break
        answer = wait_for_input(_form(year), key=f"phe-duyet-{asked}")
        decision = record_answer(
            year,
            bool(answer.approve),
            str(getattr(answer, "note", "")),
            max(at, decision_instant() or at),
            actor="prefect-ui",
        )
        log(f"phê duyệt: {decision.decision} ({decision.note or 'không ghi chú'})")
        asked += 1
    when = max(at, decision_instant() or at)
    doc = publish(year, when, actor=f"prefect:{decision.by}")
    api = current_api_url()
    if api:
        try:
            with PrefectRest(api) as rest:
                removed = sync_calendar(rest, year).removed
            log(f"published; {removed} scheduled runs of the cycle removed")
        except PrefectUnavailable as exc:
            log(f"published; the calendar's clean-up is left to the next reconciliation ({exc})")
    return doc
