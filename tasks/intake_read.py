"""Reading an intake file before it meets the database (split out of :mod:`danvan.tasks.intake`):
the submission itself (YAML, JSON, a workbook from ``danvan template`` or a sheet of rows), the
report and evidence files it names, and the cycle it is meant for. All of it happens outside
any transaction, so a batch holds the database only while it records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from danvan.config.settings import get_settings
from danvan.models.context import CycleContext
from danvan.rules.domain import SubmissionDoc
from danvan.rules.errors import Problem, Problems, Rejected
from danvan.rules.formats import bounded, load_document, xlsx_rows
from danvan.rules.submission import parse_submission
from danvan.rules.text import normalize_text
from danvan.rules.xlsx_read import read_xlsx
from danvan.tasks.files import limits, read_attachment, read_input, xlsx_limits
from danvan.tasks.guard import PASS_THROUGH, internal_error
from danvan.tasks.intake_contexts import CycleContexts
from danvan.tasks.intake_result import FileResult, rejected
from danvan.workbook.layout import is_template
from danvan.workbook.read import WorkbookRead, clean_doc, locate, read_workbook


def read_submission(name: str, data: bytes) -> tuple[SubmissionDoc, WorkbookRead | None]:
    """A YAML/JSON file, or a workbook from ``danvan template`` (with the cell of every value)."""
    xlimits, bounds = xlsx_limits("submission"), limits()
    rows_allowed = bounds.max_submission_rows
    if not name.lower().endswith(".xlsx"):
        doc = load_document(name, data, xlimits, limits=bounds, rows=rows_allowed)
        return parse_submission(doc, name), None
    book = read_xlsx(name, data, xlimits)
    if not is_template(list(book.sheets)):  # a sheet of ``key | value`` rows
        rows = [
            {k: normalize_text(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in xlsx_rows(book.sheets)
        ]
        return parse_submission(bounded(name, rows, bounds, rows_allowed), name), None
    sheet = read_workbook(book.sheets, no_value=book.no_value)
    try:
        doc = parse_submission(bounded(name, clean_doc(sheet), bounds, rows_allowed), name)
    except Rejected as exc:
        raise Rejected(locate(exc.problems, sheet), file=name) from None
    return doc, sheet


def located(exc: Rejected, sheet: WorkbookRead | None) -> Rejected:
    """The problems of a workbook named by their cells."""
    if sheet is None:
        return exc
    return Rejected(locate(exc.problems, sheet), file=exc.file, extra=exc.extra)


@dataclass
class Attachment:
    """A report or evidence file read from beside the submission."""

    role: str  # report | evidence
    criterion: str | None
    name: str
    data: bytes


def read_files(base: Path, doc: SubmissionDoc) -> list[Attachment]:
    """The report and every evidence file; every missing or refused file reported at once."""
    limit = get_settings().max_evidence_bytes
    wanted: list[tuple[str, str | None, str]] = []
    if doc.report_file:
        wanted.append(("report", None, doc.report_file))
    wanted += [("evidence", c, n) for c, names in doc.evidence.items() for n in names]
    out, p = [], Problems()
    for role, criterion, rel in wanted:
        field = "report_file" if role == "report" else f"evidence.{criterion}"
        label = "tệp báo cáo" if role == "report" else "tệp minh chứng"
        try:
            data = read_attachment(base / rel, field=field, label=label, limit=limit, base=base)
            out.append(Attachment(role, criterion, rel, data))
        except Rejected as exc:
            p.items.extend(exc.problems)
    p.raise_if_any()
    return out


@dataclass(frozen=True)
class Incoming:
    """One file as read, before it is checked against the cycle: what the sender sent."""

    path: str  # as given (the answer names it)
    name: str  # the file's own name
    data: bytes
    doc: SubmissionDoc
    sheet: WorkbookRead | None  # a workbook: where each value sat
    files: list[Attachment]  # the report and evidence files found beside it
    pending: list[Problem]  # problems found reading those files, answered with the rest
    ctx: CycleContext  # the cycle the file is meant for


def prepare(
    path: str, contexts: CycleContexts, base_dir: str | None = None
) -> Incoming | FileResult:
    """Read one file, what lies beside it and its cycle; a file refused already at reading is
    answered here (nothing of it reaches the database)."""
    doc: SubmissionDoc | None = None
    sheet: WorkbookRead | None = None
    try:
        name, data = read_input(path)
        doc, sheet = read_submission(name, data)
        pending: list[Problem] = []  # a missing report must not hide the scores' problems
        try:
            files = read_files(Path(base_dir) if base_dir else Path(path).parent, doc)
        except Rejected as exc:
            files, pending = [], list(exc.problems)
        ctx = contexts.get(doc.year, doc.unit)
        return Incoming(path, name, data, doc, sheet, files, pending, ctx)
    except Rejected as exc:
        return rejected(path, located(exc, sheet).with_file(path), doc)
    except PASS_THROUGH:
        raise
    except Exception as exc:  # the last resort: this file is answered, the batch goes on
        return rejected(path, internal_error(exc, path), doc)
