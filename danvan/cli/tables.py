"""Human-readable tables (Rich) for the terminal."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from danvan.cli.status_csv import STATUS_CSV, flags_text, status_csv  # noqa: F401 (re-exported)
from danvan.rules.labels import MESSAGE_KIND_LABELS as KIND_LABELS
from danvan.rules.labels import MESSAGE_MILESTONE_LABELS as MILESTONE_NAMES
from danvan.rules.labels import STATUS_WORDS as STATUS_LABELS
from danvan.rules.labels import message_text
from danvan.rules.standing import UNITS_LISTED
from danvan.rules.text import format_decimal
from danvan.rules.timing import SHOWN


def _num(value: float | None) -> str:
    return "" if value is None else format_decimal(value)


def _short(name: str) -> str:
    """``Ủy ban nhân dân xã Bình Thạnh`` → ``UBND xã Bình Thạnh``: the officials' own abbreviation,
    so a name fits a terminal line."""
    for long in ("Ủy ban nhân dân ", "Uỷ ban nhân dân "):
        if name.startswith(long):
            return "UBND " + name[len(long) :]
    return name


def _status_text(u: dict) -> str:
    if u["status"] == "late" and u["days_late"]:
        return f"trễ {u['days_late']} ngày"
    if u["status"] == "returned" and u.get("revise_by"):
        return f"trả lại, hạn bổ sung {u['revise_by']}"
    return STATUS_LABELS.get(u["status"], u["status"])


def print_compiler_summaries(doc: dict, console: Console | None = None) -> None:
    """One line per compiler (submitted, on time, late, missing, returned): what a province of
    thousands of units reads first; every unit with ``--all``, or one compiler's with --under."""
    console = console or Console()
    names = doc.get("compiler_names") or {u["code"]: u["name"] for u in doc["units"]}
    table = Table(title="Tiến độ theo nơi tổng hợp (mọi đơn vị: --all; một nơi: --under MÃ)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    table.add_column("Mã", no_wrap=True)
    table.add_column("Tên", ratio=1, min_width=10, overflow="fold")
    for label in ("Phải nộp", "Đã nộp", "Đúng hạn", "Trễ", "Chưa nộp", "Trả lại"):
        table.add_column(label, justify="right", no_wrap=True)
    for code, p in doc["compilers"].items():
        table.add_row(code, _short(names.get(code, "")), *(format_decimal(p[k]) for k in (
            "expected", "submitted", "on_time", "late", "missing", "returned")))  # fmt: skip
    console.print(table)


def _as_of(iso: str) -> str:
    """The document's instant (ISO, local) as officials write it: ``09:00 ngày 20/11/2024``."""
    return datetime.fromisoformat(iso).strftime(SHOWN)


def print_status(doc: dict, console: Console | None = None, *, every_unit: bool = True) -> None:
    """Who has submitted, one table per compiler, readable at 80 columns.

    Codes never wrap (they are what an official types next), names wrap; column names are
    words, not abbreviations; the compiler heads its own table instead of taking a column.
    """
    console = console or Console()
    s = doc["summary"]
    console.print(
        f"[bold]Kỳ {doc['cycle']}[/bold] — tính đến {_as_of(doc['as_of'])}: "
        f"{s['submitted']}/{s['expected']} đã nộp ({s['on_time']} đúng hạn, {s['late']} trễ), "
        f"{s['missing']} chưa nộp"
        + (f", {s['returned']} đang bổ sung" if s.get("returned") else "")
        + (" — ĐÃ CÔNG BỐ" if doc.get("published") else "")
    )
    if not every_unit and s["expected"] > UNITS_LISTED:
        print_compiler_summaries(doc, console)
        _print_deliveries(doc, console)
        return
    names = {u["code"]: u["name"] for u in doc["units"]}
    by_compiler: dict[str, list[dict]] = {}
    for u in doc["units"]:
        by_compiler.setdefault(u["compiler"] or "", []).append(u)
    code_width = max((len(u["code"]) for u in doc["units"]), default=8)
    for compiler, units in by_compiler.items():
        progress = doc["compilers"].get(compiler, {})
        title = f"Nơi tổng hợp: {compiler or 'không có'}"
        if compiler in names:
            title += f" — {_short(names[compiler])}"
        if progress:
            title += f" — đã nộp {progress['submitted']}/{progress['expected']}"
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("Mã đơn vị", no_wrap=True, min_width=min(code_width, 24))
        table.add_column("Tên đơn vị", ratio=1, min_width=12, overflow="fold")
        table.add_column("Tình trạng", min_width=8, max_width=10)
        table.add_column("Phiên bản", justify="right", max_width=6)
        table.add_column("Điểm tự chấm", justify="right", max_width=6)
        table.add_column("Điểm cuối", justify="right", max_width=6)
        table.add_column("Xếp loại", min_width=8, no_wrap=True)
        for u in units:
            table.add_row(u["code"], _short(u["name"]), _status_text(u), str(u["version"] or ""),
                          _num(u["self_total"]), _num(u["final_total"]), u["band"] or "")  # fmt: skip
        console.print(table)
    for u in (u for u in doc["units"] if u.get("warnings")):
        for w in u["warnings"]:
            console.print(f"[yellow]! {u['code']}: {w}[/yellow]")
    _print_deliveries(doc, console)


def _print_deliveries(doc: dict, console: Console) -> None:
    deliveries = doc.get("deliveries", {})
    problems = deliveries.get("failed", [])
    failed = [f for f in problems if f.get("status") != "unknown"]
    unknown = [f for f in problems if f.get("status") == "unknown"]
    if failed:
        console.print(
            f"[red]{len(failed)} tin nhắn gửi không thành công[/red] (sẽ gửi lại ở lần nhắc sau):"
        )
        for f in failed:
            console.print(f"  {message_text(f)}: {f['error']}", highlight=False)
    if unknown:
        what = deliveries.get("unknown") or {}
        console.print(f"[yellow]{len(unknown)} tin nhắn chưa rõ đã đến hay chưa[/yellow]:")
        for f in unknown:
            console.print(f"  {message_text(f)}: {f['error']}", highlight=False)
        if what.get("what_to_do"):
            console.print(f"  {escape(what['what_to_do'])}", highlight=False)
            console.print(f"  [bold]{escape(what['resend'])}[/bold]", highlight=False)


def print_reminders(doc: dict, console: Console | None = None) -> None:
    console = console or Console()
    if "would_send" in doc:
        console.print(
            f"[bold]Thử (không gửi)[/bold] — ngày {doc['day']}: {len(doc['would_send'])} tin"
        )
        for m in doc["would_send"]:
            console.print(
                f"  {m['unit']} · {MILESTONE_NAMES.get(m['milestone'], m['milestone'])} · {KIND_LABELS.get(m['kind'], m['kind'])}: {m['subject']}"
            )
        return
    sent = doc.get("sent", [])
    ok = sum(1 for s in sent if s["ok"])
    console.print(f"[bold]Nhắc hạn ngày {doc['day']}[/bold]: {ok} tin đã gửi, {len(sent) - ok} lỗi")
    for s in sent:
        mark = "✓" if s["ok"] else "✗"
        console.print(
            f"  {mark} {s['unit']} · {MILESTONE_NAMES.get(s['milestone'], s['milestone'])} · {KIND_LABELS.get(s['kind'], s['kind'])} → {', '.join(s['to'])}"
        )
        for e in s.get("errors", []):
            console.print(f"      [red]{e}[/red]")
    for s in doc.get("skipped_no_contact", []):
        console.print(
            f"  [yellow]! {s['unit']} không có địa chỉ liên hệ ({KIND_LABELS.get(s['kind'], s['kind'])})[/yellow]"
        )
