"""Tự đánh giá: a unit's self-assessment file (SPEC §3.4), and every check it must pass.

Two steps, because the criteria set depends on the unit: :func:`parse_submission` reads the
envelope (unit, year, who, the containers) and keeps the *values* as written;
:func:`check_submission` then judges every value against the unit's criteria set and reports
all problems at once, types included — so a :class:`SubmissionDoc` built by another reader
(the XLSX template) gets exactly the same checks.

Decisions where SPEC is silent:
- ``submitted_by`` is required (the report is signed by someone); ``bonus``/``penalty`` default 0.
- ``figures`` is required, but a figure *group* left out means "nothing to report": all zeros.
  A group that is present must give every field of it (a half-filled table is a mistake).
- Figures are whole numbers ≥ 0 and ≤ 10,000,000; ``3.0`` is read as 3, ``3.5``/``"3"``/``true`` are not.
- ``staff_complaints`` obeys the same consistency rules as ``petitions``.
- ``report_file`` must be a relative path inside the submission's folder (no ``..``).
- An XLSX submission is read as rows with columns ``key``/``value`` and dotted keys
  (``unit``, ``scores.1.1``, ``figures.petitions.received``).
- ``not_applicable`` (tiêu chí không phát sinh): criterion → reason, the reason required, only for
  criteria with ``not_applicable_allowed``; a criterion marked N/A *and* scored is an error
  (``score_for_not_applicable``): which of the two the unit meant cannot be guessed.
- Only the criteria of the unit's kind are scored (``kinds`` of each criterion).
- Breakdowns (SPEC §3.4) must be whole numbers like the figures, every part of one given; one
  that does not add up to its total is accepted with a warning (:func:`breakdown_warnings`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Collection
from pathlib import PurePosixPath
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import FIGURE_GROUPS, CriteriaSet, OrgUnit, SubmissionDoc
from danvan.rules.errors import Problem, Problems
from danvan.rules.text import format_int, normalize_text

_TOP = (
    "unit",
    "year",
    "submitted_by",
    "scores",
    "bonus",
    "penalty",
    "figures",
    "report_file",
    "evidence",
    "not_applicable",
)
FIGURE_LIMIT = 10_000_000

#: SPEC §3.4 optional breakdowns, per group: a table of parts (a tuple) or a single number (None).
BREAKDOWNS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "citizen_reception": {"by_receiver": ("chairman", "vice_chairmen", "departments")},
    "admin_procedures": {
        "on_time_detail": ("ahead", "on_day"),
        "in_progress": None,
        "returned": None,
    },
    "petitions": {"by_type": ("complaints", "denunciations", "petitions")},
}

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


def parse_submission(doc: object, file: str) -> SubmissionDoc:
    """Read the envelope; values are kept as written for :func:`check_submission` to judge."""
    p = Problems()
    if isinstance(doc, list) and doc and all(isinstance(row, dict) for row in doc):
        doc = _from_rows(doc, p)
    top = f.mapping(doc, "", p)
    p.raise_if_any(file)
    assert top is not None
    f.unknown_keys(top, _TOP, "", p)
    unit = f.code_field(top, "unit", "unit", p)
    year = f.year(top.get("year"), "year", p)
    submitted_by = f.text(top, "submitted_by", "submitted_by", p)
    scores = _scores(top.get("scores"), p)
    figures = _figures(top.get("figures"), p)
    report = _relative_path(top.get("report_file"), "report_file", p)
    evidence = _evidence(top.get("evidence"), p)
    not_applicable = _not_applicable(top.get("not_applicable"), p)
    p.raise_if_any(file)
    assert unit and year and submitted_by and scores is not None and figures is not None
    breakdowns = _split_breakdowns(figures)
    return SubmissionDoc(
        unit=unit,
        year=year,
        submitted_by=submitted_by,
        scores=scores,
        bonus=_as_float(top.get("bonus", 0)),
        penalty=_as_float(top.get("penalty", 0)),
        figures=figures,
        report_file=report,
        evidence=evidence,
        not_applicable=not_applicable,
        breakdowns=breakdowns,
    )


def _not_applicable(value: object, p: Problems) -> dict[str, str]:
    """``{"7": "Không phát sinh khiếu nại"}``: criterion → the reason (required)."""
    if value is None:
        return {}
    m = f.mapping(value, "not_applicable", p)
    out: dict[str, str] = {}
    for key, reason in (m or {}).items():
        criterion = f.code(key)
        at = f"not_applicable.{key}"
        if criterion is None:
            p.add("unknown_criterion", at, f"Mã tiêu chí không hợp lệ: {key!r}.")
        elif not isinstance(reason, str) or not reason.strip():
            p.add("reason_missing", at, "Cần ghi lý do tiêu chí không áp dụng.")
        else:
            out[criterion] = normalize_text(reason)
    return out


def _split_breakdowns(figures: dict[str, Any]) -> dict[str, dict[str, object]]:
    """Take the breakdowns out of their groups (they sit beside the totals in the file)."""
    out: dict[str, dict[str, object]] = {}
    for group, names in BREAKDOWNS.items():
        values = figures.get(group)
        if not isinstance(values, dict):
            continue
        for name in names:
            if name in values:
                out.setdefault(group, {})[name] = values.pop(name)
    return out


def _from_rows(rows: list[dict[str, Any]], p: Problems) -> dict[str, Any]:
    """XLSX rows ``key | value`` with dotted keys → the YAML shape."""
    out: dict[str, Any] = {}
    for i, row in enumerate(rows):
        key = f.code(row.get("key"))
        if key is None:
            p.add("missing_field", f"rows[{i}].key", "Dòng thiếu cột key.")
            continue
        head, _, rest = key.partition(".")
        target = out
        if head == "figures" and "." in rest:
            target = out.setdefault("figures", {}).setdefault(rest.split(".", 1)[0], {})
            rest = rest.split(".", 1)[1]
        elif head in ("scores", "figures", "not_applicable") and rest:
            target = out.setdefault(head, {})
        else:
            rest = key
        if rest in target:
            p.add("duplicate_key", key, f"Mục “{key}” được ghi hai lần.")
        target[rest] = row.get("value")
    return out


def _scores(value: object, p: Problems) -> dict[str, Any] | None:
    if value is None:
        p.add("missing_field", "scores", "Thiếu điểm tự chấm.")
        return None
    m = f.mapping(value, "scores", p)
    if m is None:
        return None
    out: dict[str, Any] = {}
    for key, score in m.items():
        criterion = f.code(key)
        if criterion is None:
            p.add("unknown_criterion", f"scores.{key}", f"Mã tiêu chí không hợp lệ: {key!r}.")
        elif f.valid_code(criterion, f"scores.{criterion}", p) is None:
            pass
        elif criterion in out:
            p.add(
                "criterion_duplicated",
                f"scores.{criterion}",
                f"Tiêu chí “{criterion}” được chấm hai lần.",
            )
        else:
            out[criterion] = _as_float(score)
    return out


def _as_float(value: object) -> Any:
    """A number as float; anything else kept as written, for the check to name it."""
    n = f.number(value)
    return value if n is None else n


def _as_int(value: object) -> Any:
    """A whole number as int (``3.0`` → 3); anything else kept as written."""
    n = f.integer(value)
    return value if n is None else n


def _figures(value: object, p: Problems) -> dict[str, Any] | None:
    if value is None:
        p.add("missing_field", "figures", "Thiếu các số liệu (có thể ghi figures: {}).")
        return None
    m = f.mapping(value, "figures", p)
    if m is None:
        return None
    out: dict[str, Any] = {g: dict.fromkeys(fields, 0) for g, fields in FIGURE_GROUPS.items()}
    for group, values in m.items():
        is_table = isinstance(values, dict)
        out[str(group)] = {k: _as_int(v) for k, v in values.items()} if is_table else values
    return out


def _relative_path(value: object, field: str, p: Problems) -> str | None:
    """A file sent beside the submission: relative, inside its folder (no ``..``, no URL)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        p.add("not_text", field, "Cần tên tệp.")
        return None
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or "://" in value:
        p.add("invalid_path", field, "Tệp gửi kèm phải nằm cùng thư mục với tệp nộp.")
        return None
    return str(path)


def _evidence(value: object, p: Problems) -> dict[str, tuple[str, ...]]:
    """``{criterion: [file, …]}`` (a single name is accepted for a list of one)."""
    if value is None:
        return {}
    m = f.mapping(value, "evidence", p)
    out: dict[str, tuple[str, ...]] = {}
    for key, files in (m or {}).items():
        code = f.code(key) or str(key)
        names = [files] if isinstance(files, str) else files
        if not isinstance(names, list):
            p.add("not_list", f"evidence.{code}", "Cần danh sách tên tệp minh chứng.")
            continue
        paths = [_relative_path(n, f"evidence.{code}", p) for n in names]
        out[code] = tuple(x for x in paths if x)
    return out


# --- checks -----------------------------------------------------------------------------------


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


def _fold_code(code: str) -> str:
    """``qng.bsn.xo7`` and ``QNG.BSN.X07`` meet: no case, no diacritics, đ → d."""
    text = unicodedata.normalize("NFKD", code.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper().strip()


def close_codes(code: str, known: Collection[str]) -> list[str]:
    """The codes a mistyped one most likely meant (case, diacritics, a slipped character)."""
    folded = _fold_code(code)
    same = sorted(k for k in known if _fold_code(k) == folded)
    if same:
        return same
    by_fold = {_fold_code(k): k for k in known}
    return [by_fold[m] for m in difflib.get_close_matches(folded, list(by_fold), n=3, cutoff=0.8)]


def check_submission_context(
    doc: SubmissionDoc,
    *,
    unit: OrgUnit | None,
    cycle_year: int,
    published: bool,
    known: Collection[str] = (),
) -> None:
    """Whether this unit may submit to this cycle at all (``known``: codes to suggest from)."""
    p = Problems()
    if unit is None:
        close = close_codes(doc.unit, known)
        hint = f" Có phải là {' hoặc '.join(f'“{c}”' for c in close)}?" if close else ""
        p.add("unknown_unit", "unit", f"Không có đơn vị mã “{doc.unit}”.{hint}")
    elif not unit.active:
        p.add(
            "unit_inactive",
            "unit",
            f"Đơn vị “{unit.name}” đã ngừng hoạt động (sáp nhập, giải thể).",
        )
    elif not unit.assessed:
        p.add("unit_not_assessed", "unit", f"Đơn vị “{unit.name}” không thuộc diện tự đánh giá.")
    if doc.year != cycle_year:
        p.add(
            "wrong_year", "year", f"Năm {doc.year} không phải năm của kỳ đánh giá ({cycle_year})."
        )
    if published:
        p.add(
            "cycle_closed", "", f"Kỳ đánh giá năm {cycle_year} đã công bố kết quả, không nhận thêm."
        )
    p.raise_if_any()
