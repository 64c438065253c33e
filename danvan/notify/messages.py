"""Thông báo: reminders, the plan's announcement and results rendered as Vietnamese text (data).

Rendering is kept apart from sending (``danvan.notify.channels``): a ``Message`` is a value that can be
stored in the outbox, shown by ``--dry-run`` and compared in tests before any network call.
Templates live in ``danvan/config/templates/<kind>.j2`` with a ``subject`` and a ``body`` block;
officials can reword them without touching code. ``StrictUndefined`` makes a missing field an
error at once instead of a blank in a letter to a People's Committee.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from danvan.rules.domain import MILESTONE_LABELS, MILESTONES
from danvan.rules.reminders import Reminder
from danvan.rules.text import (
    format_count,
    format_date_long,
    format_date_short,
    format_decimal,
    format_int,
)

MESSAGE_KINDS: tuple[str, ...] = (
    "before",
    "due",
    "overdue",
    "escalation",
    "digest",
    "announcement",
    "result",
    "receipt",
    "refusal",
    "compiled",
)


@dataclass(frozen=True)
class Queued:
    """A message for one unit, to all its contact URLs, built as data before anything is sent
    (the outbox stores it; kept here, apart from the channels, so that building messages never
    loads Apprise)."""

    unit: str
    milestone: str
    kind: str
    day: date
    subject: str
    body: str
    to: tuple[str, ...]
    about: tuple[str, ...] = ()
    attach: str | None = None  # a file path sent along where the channel takes attachments


@dataclass(frozen=True)
class CycleInfo:
    """What every message says about the cycle (kỳ đánh giá): from the plan as issued."""

    year: int
    title: str
    reference: str
    province_name: str
    deadlines: Mapping[str, date]


@dataclass(frozen=True)
class ResultInfo:
    """Kết quả: one unit's final standing as published (``total`` None: it never submitted)."""

    total: float | None
    band: str | None
    rank: int | None = None
    ranked: int | None = None


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lowerfirst(text: str) -> str:
    return text[:1].lower() + text[1:]


def make_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja environment: plain text (no autoescape), strict, with the officials' formats."""
    loader: jinja2.BaseLoader = (
        jinja2.FileSystemLoader(templates_dir)
        if templates_dir is not None
        else jinja2.PackageLoader("danvan.config", "templates")
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        # templates are read once per process: checking each file's date on every render cost
        # three quarters of building a day's reminders (a file stat per message)
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date_short=format_date_short,
        date_long=format_date_long,
        count=format_count,
        num=format_int,
        decimal=format_decimal,
        capfirst=_capfirst,
        lowerfirst=_lowerfirst,
    )
    return env


class Renderer:
    """Renders each message kind from its template. One instance is reusable and thread-safe."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.env = make_environment(templates_dir)
        self._templates: dict[str, jinja2.Template] = {}

    def _template(self, kind: str) -> jinja2.Template:
        """The compiled template of ``kind``, looked up once (a plain dict read afterwards; two
        threads racing on a first lookup both get the same template from the environment)."""
        template = self._templates.get(kind)
        if template is None:
            template = self._templates[kind] = self.env.get_template(f"{kind}.j2")
        return template

    def render(self, kind: str, context: Mapping[str, Any]) -> Message:
        """Any template by kind; the other methods build its context."""
        template = self._template(kind)
        ctx = template.new_context(dict(context))
        subject = "".join(template.blocks["subject"](ctx))
        body = "".join(template.blocks["body"](ctx))
        return Message(subject=" ".join(subject.split()), body=body.strip() + "\n")

    def reminder(self, reminder: Reminder, cycle: CycleInfo, link: str | None = None) -> Message:
        """before | due | overdue to the unit; escalation | digest to its compiler.

        ``link``: the recipient's portal link, or (as stored in the outbox) ``LINK_PLACEHOLDER``.
        """
        return self.render(
            reminder.kind,
            {
                "cycle": cycle,
                "link": link,
                "recipient_name": reminder.recipient_name,
                "milestone": reminder.milestone,
                "label": MILESTONE_LABELS[reminder.milestone],
                "deadline": cycle.deadlines[reminder.milestone],
                "days": reminder.days,
                "about_names": reminder.about_names,
                "stage": reminder.stage,
                "progress": reminder.progress,
            },
        )

    def announcement(
        self, recipient_name: str, cycle: CycleInfo, link: str | None = None
    ) -> Message:
        """Ban hành kế hoạch: the plan and its deadlines, sent to every assessed unit."""
        deadlines = [(m, cycle.deadlines[m]) for m in MILESTONES if m in cycle.deadlines]
        return self.render(
            "announcement",
            {
                "cycle": cycle,
                "link": link,
                "recipient_name": recipient_name,
                "deadlines": deadlines,
                "labels": MILESTONE_LABELS,
            },
        )

    def result(self, recipient_name: str, cycle: CycleInfo, result: ResultInfo) -> Message:
        """Công bố kết quả: the unit's total and band (and rank among the units ranked with it)."""
        return self.render(
            "result",
            {
                "cycle": cycle,
                "link": None,  # links end with publication: a result carries none
                "recipient_name": recipient_name,
                "total": result.total,
                "band": result.band,
                "rank": result.rank,
                "ranked": result.ranked,
            },
        )

    def receipt(self, recipient_name: str, cycle: CycleInfo, answer: Mapping[str, Any]) -> Message:
        """Biên nhận: a file was accepted (version N, on time or N days late) or refused."""
        if not answer["accepted"]:
            reasons = [
                f"{p['field']}: {p['message']}" if p["field"] else p["message"]
                for p in answer["problems"]
            ]
            return self.render(
                "refusal",
                {
                    "cycle": cycle,
                    "recipient_name": recipient_name,
                    "file": answer["file"],
                    "reasons": reasons,
                },
            )
        late = answer["status"] == "late"
        return self.render(
            "receipt",
            {
                "cycle": cycle,
                "recipient_name": recipient_name,
                "file": answer["file"],
                "version": answer["version"],
                "timeliness": f"trễ {answer['days_late']} ngày" if late else "đúng hạn",
                "duplicate": answer.get("duplicate", False),
                "receipt": answer.get("receipt"),  # tasks.receipts.Receipt, read back
            },
        )

    def compiled(self, recipient_name: str, year: int, shown: str, report: str) -> Message:
        """Đã tổng hợp: a compiler's compilation is ready, its report attached."""
        return self.render(
            "compiled",
            {"recipient_name": recipient_name, "year": year, "shown": shown, "report": report},
        )


_default: Renderer | None = None


def default_renderer() -> Renderer:
    """The renderer over the bundled templates (built once: loading templates is not free)."""
    global _default
    if _default is None:
        _default = Renderer()
    return _default


def render_reminder(reminder: Reminder, cycle: CycleInfo, link: str | None = None) -> Message:
    return default_renderer().reminder(reminder, cycle, link)


def render_announcement(recipient_name: str, cycle: CycleInfo, link: str | None = None) -> Message:
    return default_renderer().announcement(recipient_name, cycle, link)


def render_result(recipient_name: str, cycle: CycleInfo, result: ResultInfo) -> Message:
    return default_renderer().result(recipient_name, cycle, result)
