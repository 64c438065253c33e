"""Reading a filled unit workbook (SPEC §3.4.1) back into the shape of a YAML submission.

Kept apart from :mod:`danvan.workbook.layout`, which decides what we draw: this reads what
people did to it. It works over plain grids of cell values (what python-calamine returns), so
that it can be tested with literal tables and never depends on how the bytes were parsed.

Reading never trusts row positions: rows are found by the codes in ``Mã``/``Nhóm`` under
header rows found by their names, so a person may insert rows, move a block or re-save the
file in LibreOffice. What it reads becomes a plain dict of the YAML shape (SPEC §3.4), which
then goes through :func:`~danvan.rules.submission.parse_submission` and
:func:`~danvan.rules.submission_checks.check_submission` like any YAML file: one path, not two.

Decisions where SPEC is silent (docs/choices.md):
- A score typed as text is read when it is a plain decimal number, with a comma or a point
  (``"9,5"`` and ``"9.5"`` are 9.5: scores never carry thousands separators).
- A figure typed as text is read only when it is plain digits (``"2473"``). ``"2.473"`` or
  ``"2,473"`` typed as *text* is refused with a message asking for the number without
  separators: in Vietnamese notation it means 2473, in English 2.473, and a silent guess
  could be off by a factor of a thousand. (A *number* cell showing ``2.473`` because of the
  Vietnamese display format is a number, 2473, and is read as such.)
- An empty score is a missing score (error naming the cell). A figure group left wholly empty
  means "nothing to report" (zeros), exactly like a group left out of a YAML file; a group
  filled in part names each empty cell.
- A formula is read by its cached value; a formula without one (a file written by a program
  and never opened in Excel) is refused, naming the cell.
- ``Minh chứng, ghi chú`` holds notes and evidence file names: every part (separated by
  ``;``, ``,`` or a line break) that looks like a file name (``ke-hoach.pdf``) names an
  evidence file that must be sent beside the workbook; the rest is a note.
- ``Không áp dụng``: ``x`` (or ``có``) marks the criterion N/A, its note is the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from danvan.rules import fields as f
from danvan.rules.errors import Problem, Problems, Rejected
from danvan.rules.text import normalize_text, parse_int
from danvan.workbook.layout import (
    BONUS_LABEL,
    FIGURE_HEADERS,
    IDENTITY_ROWS,
    PENALTY_LABEL,
    REPORT_LABEL,
    SCORE_HEADERS,
    SHEET_FIGURES,
    SHEET_GUIDE,
    SHEET_IDENTITY,
    SHEET_SCORES,
    SUBMITTED_BY_LABEL,
)

Grid = Sequence[Sequence[Any]]
_EVIDENCE = re.compile(
    r"^[^\\/:*?\"<>|]+\.(pdf|docx?|xlsx?|odt|ods|jpe?g|png|zip|rar|7z|txt)$", re.IGNORECASE
)
_GROUPED_TEXT = re.compile(r"^[0-9]{1,3}(?:[.,\s][0-9]{3})+$")
_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}


@dataclass
class WorkbookRead:
    """What a filled workbook says, in the YAML shape, with the cell of every value."""

    doc: dict[str, Any]
    cells: dict[str, str]
    identity: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def blamed(self) -> set[str]:
        return {p.field for p in self.problems}


def cell_ref(sheet: str, row: int, col: int) -> str:
    """``Chấm điểm!D12`` from a 0-based grid position."""
    return f"{sheet}!{column_letter(col + 1)}{row + 1}"


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_workbook(
    sheets: Mapping[str, Grid], *, no_value: Mapping[str, set[str]] | None = None
) -> WorkbookRead:
    """Read a filled workbook's grids (sheet name → rows of values) into the YAML shape.

    ``no_value`` lists, per sheet, the cells holding a formula without a cached value.
    Structural problems (a sheet or header missing) are raised at once; value problems are
    collected in :attr:`WorkbookRead.problems` so the caller can report them with the rules'.
    """
    by_name = {normalize_text(k): v for k, v in sheets.items()}
    p = Problems()
    for name in (SHEET_IDENTITY, SHEET_GUIDE, SHEET_SCORES, SHEET_FIGURES):
        if name not in by_name:
            p.add("sheet_missing", name, f"Thiếu trang tính “{name}” của mẫu (đừng đổi tên).")
    p.raise_if_any()
    read = WorkbookRead(doc={}, cells={}, identity=_identity(by_name[SHEET_IDENTITY]))
    blank = no_value or {}
    reader = _Reader(read, {normalize_text(k): v for k, v in blank.items()})
    reader.guide(by_name[SHEET_GUIDE])
    reader.scores(by_name[SHEET_SCORES])
    reader.figures(by_name[SHEET_FIGURES])
    read.doc["unit"] = read.identity.get("unit")
    read.doc["year"] = _int_or_raw(read.identity.get("year"))
    read.cells["unit"] = f"{SHEET_IDENTITY}!B{IDENTITY_ROWS['unit']}"
    read.cells["year"] = f"{SHEET_IDENTITY}!B{IDENTITY_ROWS['year']}"
    return read


def _identity(grid: Grid) -> dict[str, str]:
    out = {}
    for row in grid:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            value = row[1]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            out[row[0].strip()] = normalize_text(str(value)).strip() if value != "" else ""
    return out


def _int_or_raw(value: str | None) -> object:
    n = parse_int(value) if value else None
    return value if n is None else n


class _Reader:
    def __init__(self, read: WorkbookRead, no_value: Mapping[str, set[str]]) -> None:
        self.read = read
        self.no_value = no_value

    def add(self, code: str, at: str, message: str) -> None:
        self.read.problems.append(Problem(code, at, message))

    def value(self, sheet: str, grid: Grid, r: int, c: int | None) -> tuple[str, Any]:
        """``(cell ref, value)``; empty strings and missing cells are ``None``."""
        if c is None:
            return "", None
        at = cell_ref(sheet, r, c)
        row = grid[r]
        v = row[c] if c < len(row) else None
        if isinstance(v, str):
            v = normalize_text(v).strip().replace("\u00a0", "")
            if v == "":
                v = None
        if v is None and at.split("!")[1] in self.no_value.get(sheet, set()):
            self.add(
                "formula_no_value",
                at,
                "Ô có công thức nhưng chưa có giá trị tính sẵn: hãy mở tệp bằng Excel hoặc "
                "LibreOffice, lưu lại rồi gửi.",
            )
            return at, _BLAMED
        if isinstance(v, str) and v.upper() in _ERRORS:
            self.add("cell_error", at, f"Ô có lỗi công thức {v}.")
            return at, _BLAMED
        return at, v

    def guide(self, grid: Grid) -> None:
        for r, row in enumerate(grid):
            if row and _label(row[0]) == _label(REPORT_LABEL):
                at, v = self.value(SHEET_GUIDE, grid, r, 1)
                self.read.cells["report_file"] = at
                if v is not None and v is not _BLAMED:
                    self.read.doc["report_file"] = str(v)
        for r, row in enumerate(grid):
            if row and _label(row[0]) == _label(SUBMITTED_BY_LABEL):
                at, v = self.value(SHEET_GUIDE, grid, r, 1)
                self.read.cells["submitted_by"] = at
                if v is None:
                    self.add("missing_field", at, "Chưa ghi người lập báo cáo (họ tên, chức vụ).")
                elif v is not _BLAMED:
                    self.read.doc["submitted_by"] = None if v is None else str(v)
                return
        self.add(
            "submitted_by_missing",
            SHEET_GUIDE,
            f"Không thấy ô “{SUBMITTED_BY_LABEL}” trên trang “{SHEET_GUIDE}”.",
        )

    def scores(self, grid: Grid) -> None:
        sheet = SHEET_SCORES
        head, cols = _header(grid, sheet, SCORE_HEADERS[:4])
        code_c, label_c, score_c = cols["mã"], cols["tiêu chí"], cols["điểm tự chấm"]
        na_c, note_c = cols.get("không áp dụng"), cols.get("minh chứng, ghi chú")
        scores: dict[str, Any] = {}
        not_applicable: dict[str, str] = {}
        evidence: dict[str, list[str]] = {}
        for r in range(head + 1, len(grid)):
            _, code = self.value(sheet, grid, r, code_c)
            _, label = self.value(sheet, grid, r, label_c)
            if code is None and _label(label).startswith("tổng"):
                continue  # the live total: computed, never read
            at, score = self.value(sheet, grid, r, score_c)
            if score is _BLAMED:
                self.read.cells.setdefault(f"scores.{code}", at)
                continue
            if code is None:
                key = {_label(BONUS_LABEL): "bonus", _label(PENALTY_LABEL): "penalty"}.get(
                    _label(label)
                )
                if key:
                    self.read.cells[key] = at
                    if score is not None:
                        self.read.doc[key] = self.points(at, score, _label(label))
                elif score is not None:
                    self.add(
                        "row_without_code",
                        at,
                        f"Dòng có điểm {score!r} nhưng không có mã tiêu chí ở cột “Mã”.",
                    )
                continue
            key = str(code).removesuffix(".0") if isinstance(code, float) else str(code)
            if f"scores.{key}" in self.read.cells and key in scores:
                self.add("criterion_duplicated", at, f"Tiêu chí “{key}” được chấm hai lần.")
                continue
            self.read.cells[f"scores.{key}"] = at
            if score is not None:
                scores[key] = self.points(at, score, f"tiêu chí {key}")
            _, note = self.value(sheet, grid, r, note_c)
            notes = _parts(note)
            files = [n for n in notes if _EVIDENCE.match(n)]
            if files:
                evidence[key] = files
                self.read.cells.setdefault(f"evidence.{key}", cell_ref(sheet, r, note_c or 0))
            na_at, na = self.value(sheet, grid, r, na_c)
            if na is not None and f.boolean(na) is not False:
                reason = "; ".join(n for n in notes if not _EVIDENCE.match(n))
                not_applicable[key] = reason
                self.read.cells[f"not_applicable.{key}"] = na_at
        self.read.doc["scores"] = scores
        if not_applicable:
            self.read.doc["not_applicable"] = not_applicable
        if evidence:
            self.read.doc["evidence"] = evidence

    def points(self, at: str, value: Any, what: str) -> Any:
        """A score: a number, or text that is plainly one (``"9,5"``)."""
        if (n := f.score(value)) is not None:
            return n
        if isinstance(value, str | bool) or not isinstance(value, int | float):
            what = what if what.startswith("tiêu chí") else what.removeprefix("điểm ")
            self.add("score_not_number", at, f"Điểm {what} phải là số, không phải “{value}”.")
            return _BLAMED
        return value

    def figures(self, grid: Grid) -> None:
        sheet = SHEET_FIGURES
        head, cols = _header(grid, sheet, FIGURE_HEADERS)
        group_c, code_c, value_c = cols["nhóm"], cols["mã"], cols["số liệu"]
        groups: dict[str, dict[str, Any]] = {}
        for r in range(head + 1, len(grid)):
            _, group = self.value(sheet, grid, r, group_c)
            _, name = self.value(sheet, grid, r, code_c)
            at, v = self.value(sheet, grid, r, value_c)
            if group is None or name is None:
                if v is not None and v is not _BLAMED:
                    self.add(
                        "row_without_code",
                        at,
                        f"Dòng có số liệu {v!r} nhưng thiếu mã ở cột “Nhóm” hoặc “Mã”.",
                    )
                continue
            key = f"figures.{group}.{name}"
            if key in self.read.cells:
                self.add("duplicate_key", at, f"Số liệu “{group}.{name}” được ghi hai lần.")
                continue
            self.read.cells[key] = at
            self.read.cells.setdefault(f"figures.{group}", at)
            groups.setdefault(str(group), {})[str(name)] = self.count(at, v)
        figures = {}
        for group, values in groups.items():
            if all(v is None for v in values.values()):
                continue  # a group left wholly empty: nothing to report, as in YAML
            figures[group] = {k: v for k, v in values.items() if v is not None}
        self.read.doc["figures"] = figures

    def count(self, at: str, value: Any) -> Any:
        """A figure: a whole number, or text of plain digits (``"2473"``)."""
        if value is None or value is _BLAMED:
            return None if value is None else _BLAMED
        if isinstance(value, str):
            if (n := parse_int(value)) is not None:
                return n
            if _GROUPED_TEXT.match(value):
                digits = re.sub(r"[^0-9]", "", value)
                self.add(
                    "figure_ambiguous_text",
                    at,
                    f"Số liệu “{value}” được gõ dạng chữ có dấu phân cách: không rõ là "
                    f"{digits} hay số thập phân. Hãy gõ số {digits} (không dấu chấm, phẩy).",
                )
            else:
                self.add(
                    "figure_not_integer", at, f"Số liệu phải là số nguyên, không phải “{value}”."
                )
            return _BLAMED
        return value


class _Blamed:
    """A value the reader already reported; the rules' own complaint about it is dropped."""

    def __repr__(self) -> str:
        return "?"


_BLAMED: Any = _Blamed()


def _label(value: object) -> str:
    return normalize_text(str(value)).strip().lower() if value is not None else ""


def _parts(note: object) -> list[str]:
    if note is None:
        return []
    return [p.strip() for p in re.split(r"[;\n,]", str(note)) if p.strip()]


def _header(grid: Grid, sheet: str, required: Sequence[str]) -> tuple[int, dict[str, int]]:
    """The header row (found by its names, anywhere in the first 50 rows) and its columns."""
    wanted = [_label(h) for h in required]
    for r, row in enumerate(grid[:50]):
        cols = {_label(v): c for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        if all(w in cols for w in wanted):
            return r, cols
    names = ", ".join(f"“{h}”" for h in required)
    raise Rejected([Problem("header_missing", sheet, f"Không thấy dòng tiêu đề có cột {names}.")])


def clean_doc(read: WorkbookRead) -> dict[str, Any]:
    """The YAML-shaped dict with the values the reader already blamed left out."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v is not _BLAMED}
        return value

    return strip(read.doc)


def locate(problems: Sequence[Problem], read: WorkbookRead) -> list[Problem]:
    """The rules' problems, named by cell (``scores.4`` → ``Chấm điểm!D12``), without repeats.

    A problem about a value the reader already reported is dropped: one complaint per cell.
    """
    out = list(read.problems)
    blamed = read.blamed
    for problem in problems:
        at = _cell_for(problem.field, read.cells)
        if at in blamed or problem.field in blamed:
            continue
        message = problem.message
        if problem.field.startswith("scores.") and at == problem.field:
            # a criterion's row deleted or its code changed: named on its sheet, said once
            # (locating an already located problem leaves it as it is)
            at = SHEET_SCORES
            message = (
                f"Không có dòng tiêu chí mã “{problem.field[7:]}” (dòng bị xóa hoặc sửa mã?"
                f" chép lại dòng này từ mẫu). {message}"
            )
        out.append(Problem(problem.code, at, message))
    return sorted(out, key=_reading_order)


_SHEET_ORDER = (SHEET_GUIDE, SHEET_SCORES, SHEET_FIGURES, SHEET_IDENTITY)
_CELL = re.compile(r"^(.*)!([A-Z]+)(\d+)$")


def _reading_order(p: Problem) -> tuple[int, int, str]:
    """Problems in the order a person reads the workbook: sheet by sheet, top to bottom."""
    m = _CELL.match(p.field)
    sheet = m.group(1) if m else p.field
    rank = _SHEET_ORDER.index(sheet) if sheet in _SHEET_ORDER else len(_SHEET_ORDER)
    return (rank, int(m.group(3)) if m else 0, m.group(2) if m else "")


def _cell_for(field_name: str, cells: Mapping[str, str]) -> str:
    if field_name in cells:
        return cells[field_name]
    parts = field_name.split(".")
    while len(parts) > 1:
        parts.pop()
        if ".".join(parts) in cells:
            return cells[".".join(parts)]
    return field_name
