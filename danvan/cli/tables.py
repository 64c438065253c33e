"""Human-readable tables (Rich) for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from danvan.rules.text import format_decimal

STATUS_LABELS = {
    "on_time": "đúng hạn",
    "late": "trễ hạn",
    "missing": "chưa nộp",
    "returned": "trả lại, đang bổ sung",
}


def _num(value: float | None) -> str:
    return "" if value is None else format_decimal(value)


def print_status(doc: dict, console: Console | None = None) -> None:
    console = console or Console()
    s = doc["summary"]
    console.print(
        f"[bold]Kỳ {doc['cycle']}[/bold] — tính đến {doc['as_of']}: "
        f"{s['submitted']}/{s['expected']} đã nộp ({s['on_time']} đúng hạn, {s['late']} trễ), "
        f"{s['missing']} chưa nộp"
        + (f", {s['returned']} đang bổ sung" if s.get("returned") else "")
        + (" — ĐÃ CÔNG BỐ" if doc.get("published") else "")
    )
    table = Table(show_lines=False)
    for col in (
        "Mã",
        "Đơn vị",
        "Nơi tổng hợp",
        "Tình trạng",
        "PB",
        "Trễ",
        "Tự chấm",
        "Cuối",
        "Xếp loại",
    ):
        table.add_column(col)
    for u in doc["units"]:
        table.add_row(
            u["code"],
            u["name"],
            u["compiler"] or "",
            STATUS_LABELS[u["status"]] + (f" (hạn {u['revise_by']})" if u.get("revise_by") else ""),
            str(u["version"] or ""),
            "" if not u["days_late"] else str(u["days_late"]),
            _num(u["self_total"]),
            _num(u["final_total"]),
            u["band"] or "",
        )
    console.print(table)
    warned = [u for u in doc["units"] if u.get("warnings")]
    for u in warned:
        for w in u["warnings"]:
            console.print(f"[yellow]! {u['code']}: {w}[/yellow]")
    progress = Table(title="Tiến độ theo nơi tổng hợp")
    for col in ("Nơi tổng hợp", "Phải nộp", "Đã nộp", "Đúng hạn", "Trễ", "Chưa nộp"):
        progress.add_column(col)
    for code, c in doc["compilers"].items():
        progress.add_row(
            code, *(str(c[k]) for k in ("expected", "submitted", "on_time", "late", "missing"))
        )
    console.print(progress)
    problems = doc.get("deliveries", {}).get("failed", [])
    failed = [f for f in problems if f.get("status") != "unknown"]
    unknown = [f for f in problems if f.get("status") == "unknown"]
    if failed:
        console.print(
            f"[red]{len(failed)} tin nhắn gửi không thành công[/red] (sẽ gửi lại ở lần nhắc sau):"
        )
    if unknown:
        console.print(
            f"[yellow]{len(unknown)} tin nhắn chưa rõ đã đến hay chưa[/yellow] "
            "(không tự gửi lại; hãy kiểm tra với đơn vị):"
        )
    for f in failed + unknown:
        console.print(f"  {f['unit']} {f['kind']} {f['day']} → {f['to']}: {f['error']}")


KIND_LABELS = {
    "before": "nhắc trước hạn",
    "due": "đến hạn",
    "overdue": "quá hạn",
    "escalation": "báo nơi tổng hợp",
    "digest": "tổng hợp tình hình",
    "announcement": "thông báo kế hoạch",
    "result": "thông báo kết quả",
    "returned": "trả lại, yêu cầu bổ sung",
    "revision": "nhắc bổ sung",
}


def print_reminders(doc: dict, console: Console | None = None) -> None:
    console = console or Console()
    if "would_send" in doc:
        console.print(
            f"[bold]Thử (không gửi)[/bold] — ngày {doc['day']}: {len(doc['would_send'])} tin"
        )
        for m in doc["would_send"]:
            console.print(
                f"  {m['unit']} · {m['milestone']} · {KIND_LABELS.get(m['kind'], m['kind'])}: {m['subject']}"
            )
        return
    sent = doc.get("sent", [])
    ok = sum(1 for s in sent if s["ok"])
    console.print(f"[bold]Nhắc hạn ngày {doc['day']}[/bold]: {ok} tin đã gửi, {len(sent) - ok} lỗi")
    for s in sent:
        mark = "✓" if s["ok"] else "✗"
        console.print(
            f"  {mark} {s['unit']} · {s['milestone']} · {KIND_LABELS.get(s['kind'], s['kind'])} → {', '.join(s['to'])}"
        )
        for e in s.get("errors", []):
            console.print(f"      [red]{e}[/red]")
    for s in doc.get("skipped_no_contact", []):
        console.print(f"  [yellow]! {s['unit']} không có địa chỉ liên hệ ({s['kind']})[/yellow]")
