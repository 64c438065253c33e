"""Kiểm tra tự đánh giá: every check the values of a self-assessment must pass (SPEC §3.4).

The second step of :mod:`danvan.rules.submission`: :func:`check_submission` judges the values
:func:`~danvan.rules.submission.parse_submission` kept as written — scores against the unit's
criteria set, figures and breakdowns as bounded whole numbers, the consistency rules between
figures — and reports every problem at once. It stands apart from the parsing because every
reader (YAML, JSON, the XLSX template) shares it unchanged. The hints (:func:`score_hint`,
:func:`count_hint`) tell an official how to write a number typed the Vietnamese way.
The decisions where SPEC is silent are listed in :mod:`danvan.rules.submission`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import FIGURE_GROUPS, CriteriaSet, SubmissionDoc
from danvan.rules.errors import Problem, Problems
from danvan.rules.submission import BREAKDOWNS
from danvan.rules.text import format_int

FIGURE_LIMIT = 10_000_000

#: SPEC §3.4 consistency rules: (groups, field blamed, broken when, message).
_Rule = tuple[tuple[str, ...], str, Callable[[dict[str, int]], bool], str]
_PETITIONS = ("petitions", "staff_complaints")
# fmt: off
CONSISTENCY: tuple[_Rule, ...] = (
    (_PETITIONS, "resolved", lambda g: g["resolved"] > g["in_jurisdiction"],
     "Số đã giải quyết lớn hơn số thuộc thẩm quyền."),
    (_PETITIONS, "in_jurisdiction", lambda g: g["in_jurisdiction"] > g["received"],
     "Số thuộc thẩm quyền lớn hơn số tiếp nhận."),
    (_PETITIONS, "outstanding", lambda g: g["outstanding"] != g["in_jurisdiction"] - g["resolved"],
     "Số tồn đọng phải bằng số thuộc thẩm quyền trừ số đã giải quyết."),
    (("mediation",), "successful", lambda g: g["successful"] + g["unsuccessful"] > g["received"],
     "Số hòa giải thành cộng không thành lớn hơn số vụ việc tiếp nhận."),
    (("admin_procedures",), "online", lambda g: g["online"] > g["received"],
     "Số hồ sơ trực tuyến lớn hơn số hồ sơ tiếp nhận."),
    (("admin_procedures",), "on_time", lambda g: g["on_time"] + g["overdue"] > g["resolved"],
     "Số hồ sơ đúng hạn cộng trễ hạn lớn hơn số đã giải quyết."),
    (("models",), "recognised", lambda g: g["recognised"] > g["registered"],
     "Số mô hình được công nhận lớn hơn số đăng ký."),
)
# fmt: on


def check_submission(doc: SubmissionDoc, *, criteria: CriteriaSet, kind: str | None = None) -> None:
    """Every score, limit and figure rule of SPEC §3.4; raises :class:`Rejected` with all problems.

    ``kind``: the unit's kind, so that only its criteria are asked for (None: every criterion).
    """
    p = Problems()
    known = {c.code: c for c in criteria.criteria_for_kind(kind)}
    everywhere = {c.code for c in criteria.criteria}
    for code, criterion in known.items():
        if code in doc.not_applicable:
            if code in doc.scores:
                p.add(
                    "score_for_not_applicable",
                    f"scores.{code}",
                    f"Tiêu chí “{criterion.name}” được đánh dấu không áp dụng nhưng vẫn có điểm: "
                    "bỏ điểm hoặc bỏ đánh dấu.",
                )
            if not criterion.not_applicable_allowed:
                p.add(
                    "not_applicable_not_allowed",
                    f"not_applicable.{code}",
                    f"Tiêu chí “{criterion.name}” không được đánh dấu không áp dụng.",
                )
                if code not in doc.scores:  # said now, not after the mark is taken off
                    p.add(
                        "criterion_missing",
                        f"scores.{code}",
                        f"Thiếu điểm tiêu chí “{criterion.name}” (tiêu chí này phải chấm điểm).",
                    )
            elif not doc.not_applicable[code]:
                p.add(
                    "reason_missing",
                    f"not_applicable.{code}",
                    "Cần ghi lý do tiêu chí không áp dụng.",
                )
        elif code not in doc.scores:
            p.add("criterion_missing", f"scores.{code}", f"Thiếu điểm tiêu chí “{criterion.name}”.")
        else:
            _points(doc.scores[code], criterion.max, f"scores.{code}", p)
    for field, codes in (("scores", doc.scores), ("not_applicable", doc.not_applicable)):
        for code in codes:
            if code in known:
                continue
            where = f"cho loại đơn vị này ({kind})" if code in everywhere else ""
            p.add(
                "unknown_criterion",
                f"{field}.{code}",
                f"Tiêu chí “{code}” không có trong bộ tiêu chí {criteria.code}"
                + (f" {where}." if where else "."),
            )
    for code in doc.evidence:
        if code not in known:
            p.add(
                "unknown_criterion",
                f"evidence.{code}",
                f"Minh chứng cho tiêu chí “{code}” không có trong bộ tiêu chí {criteria.code}.",
            )
    _points(doc.bonus, criteria.bonus_max, "bonus", p)
    _points(doc.penalty, criteria.penalty_max, "penalty", p)
    _check_figures(doc.figures, p)
    _check_breakdowns(doc.breakdowns, p)
    p.raise_if_any()


def _check_breakdowns(breakdowns: dict[str, dict[str, object]], p: Problems) -> None:
    for group, named in breakdowns.items():
        for name, value in named.items():
            at = f"figures.{group}.{name}"
            parts = BREAKDOWNS[group][name]
            if parts is None:
                _whole(value, at, p)
                continue
            m = f.mapping(value, at, p)
            if m is None:
                continue
            f.unknown_keys(m, parts, at, p)
            for part in parts:
                _figure(m, part, f"{at}.{part}", p)


def _whole(value: object, at: str, p: Problems) -> int | None:
    """A figure's value: a whole number ≥ 0 and ≤ FIGURE_LIMIT (else a problem, None)."""
    n = f.integer(value)
    if n is None:
        p.add(
            "figure_not_integer",
            at,
            f"Số liệu phải là số nguyên, không phải {value!r}." + count_hint(value),
        )
    elif n < 0:
        p.add("figure_negative", at, f"Số liệu không được âm ({n}).")
    elif n > FIGURE_LIMIT:
        p.add("figure_too_large", at, f"Số liệu {f.num(n)} lớn bất thường.")
    else:
        return n
    return None


#: (group, breakdown, total field, what the total is called, what the parts are called)
_BREAKDOWN_TOTALS: tuple[tuple[str, str, str, str, str], ...] = (
    ("citizen_reception", "by_receiver", "regular_sessions",
     "số lượt tiếp công dân thường xuyên", "tổng theo người tiếp"),
    ("admin_procedures", "on_time_detail", "on_time",
     "số hồ sơ giải quyết đúng hạn", "tổng trước hạn và đúng hạn"),
    ("petitions", "by_type", "received",
     "số đơn tiếp nhận", "tổng theo loại đơn"),
)  # fmt: skip


def breakdown_warnings(doc: SubmissionDoc) -> list[Problem]:
    """Breakdowns that do not add up to their totals: accepted, but the compiler must see it.

    Seed 001 reports 442 regular receptions while its footnote's parts add up to 510. Also:
    ``resolved + in_progress + returned`` against ``received`` when either of the last two is given.
    Call after :func:`check_submission` (the values are then whole numbers).
    """
    out: list[Problem] = []
    for group, name, total_field, total_label, parts_label in _BREAKDOWN_TOTALS:
        parts = doc.breakdowns.get(group, {}).get(name)
        if not isinstance(parts, dict):
            continue
        got = sum(int(v) for v in parts.values())
        want = int(doc.figures.get(group, {}).get(total_field, 0))
        if got != want:
            out.append(_mismatch(f"figures.{group}.{name}", parts_label, got, total_label, want))
    admin = doc.breakdowns.get("admin_procedures", {})
    if "in_progress" in admin or "returned" in admin:
        figs = doc.figures.get("admin_procedures", {})
        extra = sum(int(admin.get(k, 0)) for k in ("in_progress", "returned"))  # type: ignore[call-overload]
        got, want = int(figs.get("resolved", 0)) + extra, int(figs.get("received", 0))
        if got != want:
            label = "đã giải quyết, đang giải quyết và trả lại"
            out.append(
                _mismatch(
                    "figures.admin_procedures.in_progress", label, got, "số hồ sơ tiếp nhận", want
                )
            )
    return out


def _mismatch(field: str, parts: str, got: int, total: str, want: int) -> Problem:
    message = (
        f"Số liệu chi tiết không khớp: {parts} là {format_int(got)}, "
        f"{total} là {format_int(want)} (vẫn tiếp nhận, đề nghị kiểm tra lại)."
    )
    return Problem("breakdown_mismatch", field, message)


_DECIMAL_COMMA = re.compile(r"^\s*([0-9]+),([0-9]+)\s*$")
_THOUSANDS_DOT = re.compile(r"^\s*[0-9]{1,3}(\.[0-9]{3})+\s*$")


def score_hint(value: object) -> str:
    """How to write a score an official typed the Vietnamese way: ``4,5`` → ``viết 4.5``."""
    if isinstance(value, str) and (m := _DECIMAL_COMMA.match(value)):
        return f" Viết {m[1]}.{m[2]} (dấu chấm thập phân), không viết “{value.strip()}”."
    return ""


def count_hint(value: object) -> str:
    """A count written with a thousands dot (``2.473`` read as 2,473) → ``viết 2473``."""
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, float) and not value.is_integer():
        text = repr(value)
        if len(text.partition(".")[2]) < 3:
            text = f"{value:.3f}"  # 29.26 was typed 29.260
    if text and _THOUSANDS_DOT.match(text):
        return f" Nếu là {text.replace('.', '')}, viết {text.replace('.', '')} (không có dấu chấm)."
    if isinstance(value, str) and _DECIMAL_COMMA.match(value):
        return " Số liệu là số nguyên (số lượt, số hồ sơ)."
    return ""


def _points(value: object, most: float, field: str, p: Problems) -> None:
    what = {"bonus": "thưởng", "penalty": "trừ"}.get(field, f"tiêu chí {field[7:]}")
    n = f.number(value)
    if n is None:
        p.add(
            "score_not_number",
            field,
            f"Điểm {what} phải là số, không phải {value!r}." + score_hint(value),
        )
    elif not 0 <= n <= most:
        code = "score_out_of_range" if field.startswith("scores") else f"{field}_out_of_range"
        why = f"vượt điểm tối đa {f.num(most)}" if n > most else "không được âm"
        p.add(code, field, f"Điểm {what} là {f.num(n)}, {why}.")
    elif not f.on_step(n):
        p.add("score_off_step", field, f"Điểm {what} là {f.num(n)}: phải chấm theo bước 0,25.")


def _check_figures(figures: dict[str, Any], p: Problems) -> None:
    valid: dict[str, dict[str, int]] = {}
    for group, values in figures.items():
        at = f"figures.{group}"
        if group not in FIGURE_GROUPS:
            p.add(
                "unknown_figure_group",
                at,
                "Nhóm số liệu không có; chỉ nhận: " + ", ".join(FIGURE_GROUPS) + ".",
            )
            continue
        m = f.mapping(values, at, p)
        if m is not None:
            valid[group] = _group(group, m, p)
    for groups, blamed, broken, message in CONSISTENCY:
        for group in groups:
            g = valid.get(group)
            if g is not None and len(g) == len(FIGURE_GROUPS[group]) and broken(g):
                p.add("figure_inconsistent", f"figures.{group}.{blamed}", message)


def _group(group: str, m: dict[str, Any], p: Problems) -> dict[str, int]:
    fields = FIGURE_GROUPS[group]
    f.unknown_keys(m, fields, f"figures.{group}", p)
    good: dict[str, int] = {}
    for name in fields:
        n = _figure(m, name, f"figures.{group}.{name}", p)
        if n is not None:
            good[name] = n
    return good


def _figure(m: dict[str, Any], name: str, at: str, p: Problems) -> int | None:
    """One figure of a table: present, a whole number, within limits (else a problem, None)."""
    if name not in m or m[name] is None:
        p.add("figure_missing", at, "Thiếu số liệu (ghi 0 nếu không có).")
        return None
    return _whole(m[name], at, p)
