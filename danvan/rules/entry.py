"""Nhập trên trang: the portal's entry form as pure data (SPEC §4.5).

The form's field names are the very paths the submission rules name their problems by
(``scores.1.2``, ``not_applicable.7``, ``figures.petitions.received``, ``bonus``, ``penalty``,
``submitted_by``), so each problem the rules find goes beside its field with no translation
table, and the form is sent as the submission document the workbook's reader would have made:
the same parse and checks (``rules.submission``, ``rules.submission_checks``), the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from danvan.rules.domain import FIGURE_GROUPS, CriteriaSet
from danvan.rules.errors import Problem
from danvan.rules.labels import FIELD_LABELS, GROUP_LABELS, TARGET_LABELS
from danvan.rules.text import format_decimal, parse_decimal, parse_int

#: SPEC §4.7: a text field holds at most 2,000 characters; a draft keeps no more.
MAX_FIELD = 2000
_THOUSANDS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")


def field_names(criteria: CriteriaSet, kind: str | None) -> list[str]:
    """Every input the unit's form has, in the order it shows them."""
    names = ["submitted_by"]
    for c in criteria.criteria_for_kind(kind):
        names.append(f"scores.{c.code}")
        if c.not_applicable_allowed:
            names.append(f"not_applicable.{c.code}")
    names += ["bonus", "penalty"]
    names += [f"figures.{g}.{k}" for g, keys in FIGURE_GROUPS.items() for k in keys]
    return names


def figure_fields() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(group, its label, [(field name, label)]) of every figure group, as the workbook shows."""
    return [
        (
            g,
            GROUP_LABELS.get(g, g),
            [(f"figures.{g}.{k}", FIELD_LABELS.get(g, {}).get(k, k)) for k in keys],
        )
        for g, keys in FIGURE_GROUPS.items()
    ]


def kept(values: Mapping[str, object], names: list[str]) -> dict[str, str]:
    """What a draft keeps of a posted form: the form's own fields, as text, cut to the limit."""
    out = {}
    for name in names:
        value = values.get(name)
        if isinstance(value, str) and value.strip():
            out[name] = value.strip()[:MAX_FIELD]
    return out


def document(
    values: Mapping[str, str], *, unit: str, year: int, criteria: CriteriaSet, kind: str | None
) -> dict[str, Any]:
    """The submission document the form stands for. A value that is not a number is passed on as
    typed, so the submission rules answer it with their own message; an empty score is left out
    (the rules say which criterion is missing, by name)."""
    scores: dict[str, object] = {}
    not_applicable: dict[str, str] = {}
    for c in criteria.criteria_for_kind(kind):
        if text := values.get(f"scores.{c.code}", "").strip():
            scores[c.code] = _number(text)
        if reason := values.get(f"not_applicable.{c.code}", "").strip():
            not_applicable[c.code] = reason
    figures: dict[str, dict[str, object]] = {}
    for g, keys in FIGURE_GROUPS.items():
        typed = {k: values.get(f"figures.{g}.{k}", "").strip() for k in keys}
        if any(typed.values()):  # a group left wholly blank is not reported (issue 17); a 0 typed
            figures[g] = {k: _whole(v or "0") for k, v in typed.items()}  # is a figure
    doc: dict[str, Any] = {
        "unit": unit,
        "year": year,
        "submitted_by": values.get("submitted_by", "").strip(),
        "scores": scores,
        "bonus": _number(values.get("bonus", "").strip() or "0"),
        "penalty": _number(values.get("penalty", "").strip() or "0"),
        "figures": figures,
    }
    if not_applicable:
        doc["not_applicable"] = not_applicable
    return doc


def from_version(
    *,
    submitted_by: str,
    scores: Mapping[str, float],
    not_applicable: Mapping[str, str],
    bonus: float,
    penalty: float,
    figures: Mapping[str, Mapping[str, int]],
) -> dict[str, str]:
    """The form filled with a recorded version (a unit revising what it sent)."""
    out = {"submitted_by": submitted_by}
    out |= {f"scores.{c}": format_decimal(v) for c, v in scores.items()}
    out |= {f"not_applicable.{c}": r for c, r in not_applicable.items()}
    out |= {"bonus": format_decimal(bonus), "penalty": format_decimal(penalty)}
    for g, fields in figures.items():
        out |= {f"figures.{g}.{k}": str(v) for k, v in fields.items() if isinstance(v, int)}
    return out


def _number(text: str) -> object:
    n = parse_decimal(text)
    return text if n is None else n


def _whole(text: str) -> object:
    """``1.234`` (thousands with a point, as officials write) or ``1234``; else as typed."""
    plain = text.replace(".", "") if _THOUSANDS.fullmatch(text) else text
    n = parse_int(plain)
    return text if n is None else n


_LINE = re.compile(r"adjustments\[(\d+)\](?:\.(\w+))?")


def appraisal_problems(
    problems: Iterable[Problem], targets: list[str], criteria: CriteriaSet
) -> dict[str, list[dict[str, str]]]:
    """A compiler's appraisal form answered as the unit's entry form is: each problem of line
    ``adjustments[i]`` beside the input it came from (``diem_<criterion>``, ``ly_do_<criterion>``,
    ``bonus``, ``ly_do_bonus``, …) with the criterion's name in its message, never the file's
    path (``adjustments[0].reason``) or a unit code. ``targets[i]``: line i's criterion code, or
    ``bonus``/``penalty``. A problem of no line goes under ``""`` (shown above the form)."""
    names = {c.code: c.name for c in criteria.criteria} | TARGET_LABELS
    out: dict[str, list[dict[str, str]]] = {}
    for p in problems:
        m = _LINE.fullmatch(p.field or "")
        if m is None or int(m[1]) >= len(targets):
            out.setdefault("", []).append({"code": p.code, "field": "", "message": p.message})
            continue
        target = targets[int(m[1])]
        is_reason = m[2] == "reason"
        if target in TARGET_LABELS:
            field = f"ly_do_{target}" if is_reason else target
        else:
            field = f"{'ly_do' if is_reason else 'diem'}_{target}"
        label = names.get(target, target)
        message = f"{label}: {p.message}" if target in TARGET_LABELS else f"“{label}”: {p.message}"
        out.setdefault(field, []).append({"code": p.code, "field": field, "message": message})
    return out
