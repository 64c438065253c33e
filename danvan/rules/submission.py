"""Tự đánh giá: a unit's self-assessment file (SPEC §3.4): its envelope, and who may send it.

Two steps, because the criteria set depends on the unit: :func:`parse_submission` reads the
envelope (unit, year, who, the containers) and keeps the *values* as written;
:func:`~danvan.rules.submission_checks.check_submission` then judges every value against the
unit's criteria set and reports all problems at once, types included — so a
:class:`SubmissionDoc` built by another reader (the XLSX template) gets exactly the same checks.
:func:`check_submission_context` asks whether the unit may submit to the cycle at all.

Decisions where SPEC is silent (both steps: the file's rules are read in one place):
- ``submitted_by`` is required (the report is signed by someone); ``bonus``/``penalty`` default 0.
- ``figures`` is required, but a figure *group* left out is *not reported* (kept out, never
  stored as zeros: the outputs say *chưa báo cáo*, where a 0 given reads *không phát sinh*).
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
  that does not add up to its total is accepted with a warning
  (:func:`~danvan.rules.submission_checks.breakdown_warnings`).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Collection
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import OrgUnit, SubmissionDoc
from danvan.rules.errors import Problems
from danvan.rules.text import normalize_text
from danvan.rules.timing import DEFAULT_TZ, shown

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
        bonus=_as_score(top.get("bonus", 0)),
        penalty=_as_score(top.get("penalty", 0)),
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
        else:  # an empty reason is judged by check_submission, with every other problem
            out[criterion] = normalize_text(reason).strip() if isinstance(reason, str) else ""
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
            out[criterion] = _as_score(score)
    return out


def _as_score(value: object) -> Any:
    """A score as float (``"4,5"`` too, as in a workbook); anything else kept as written."""
    n = f.score(value)
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
    # A group left out is *not reported* and stays out (issue 17): every output tells it from 0.
    out: dict[str, Any] = {}
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
    at: datetime | None = None,
    issued_at: datetime | None = None,
    tz: str = DEFAULT_TZ,
) -> None:
    """Whether this unit may submit to this cycle at all (``known``: codes to suggest from).

    ``at`` (the sending instant) before ``issued_at`` (the plan's issue) is refused: the cycle
    was not open yet, and a file dated then would read as on time before any version recorded.
    """
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
    if at is not None and issued_at is not None and at < issued_at:
        p.add(
            "before_plan",
            "",
            f"Thời điểm nộp ({shown(at, tz)}) trước khi kế hoạch năm {cycle_year} được ban hành "
            f"({shown(issued_at, tz)}): kỳ đánh giá chưa nhận báo cáo. Kiểm tra lại thời điểm "
            "nộp (--at).",
        )
    p.raise_if_any()
