"""The compilers' and the province's side of the cycle at the command line: ``remind``,
``appraise``, ``return``, ``reopen``, ``compile``, ``approve``, ``publish`` and ``demo``. Each
command translates its options and calls the core (a flow or a step of ``danvan.tasks``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan.cli import At, Cycle, Fmt, app
from danvan.cli.common import (
    JsonOrText,
    Province,
    after_step,
    check_code_option,
    err,
    handles_rejections,
    on_option,
    parse_at,
    print_json,
    tell,
)


@app.command()
@handles_rejections
def remind(
    cycle: Cycle,
    at: At = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ liệt kê, không gửi.")] = False,
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Gửi các tin nhắc hạn đến hạn vào thời điểm T (trước hạn, đúng hạn, quá hạn, báo nơi tổng hợp).

    Tin gửi lỗi lần trước được gửi lại. Chạy hai lần cùng thời điểm T, lần sau không gửi gì.

    Ví dụ: danvan remind --cycle 2024 --at 2024-11-07T08:00 --format json
    """
    from danvan.flows.remind import remind as remind_flow

    when = parse_at(at)
    doc = remind_flow(cycle, when, dry_run)
    if not dry_run:
        after_step("remind", when, [cycle])
    if fmt is JsonOrText.json:
        print_json(doc)
    else:
        from danvan.cli.tables import print_reminders

        print_reminders(doc)
    tell_unknown(cycle, doc)


def tell_unknown(cycle: int, doc: dict) -> None:
    """A run that left messages ``unknown`` says so on stderr, with the command that resends."""
    if doc.get("unknown"):
        from danvan.tasks.unknown import unknown_line

        err(unknown_line(cycle, doc["unknown"]))


@app.command()
@handles_rejections
def resend(
    cycle: Cycle,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Chỉ tin gửi đơn vị này.", callback=check_code_option),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Chỉ loại tin này: before, due, overdue, escalation, digest, announcement, "
            "returned, revision, receipt, compiled, result.",
        ),
    ] = None,
    at: At = None,
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Gửi lại các tin "chưa rõ đã đến hay chưa", sau khi đã hỏi đơn vị nhận.

    Tin không có trả lời trong thời gian chờ (DANVAN_NOTIFY_TIMEOUT_SECONDS) hoặc đang gửi khi
    lượt chạy bị dừng có thể đã đến nơi, nên không bao giờ tự gửi lại; 'danvan status' liệt kê
    chúng. Lệnh này đưa các tin đó (của --unit, loại --kind) vào hàng đợi và gửi mỗi tin đúng
    một lần, có ghi nhật ký. Tin nhắc hạn mà đơn vị không còn cần (đã nộp) thì bỏ, không gửi.

    Ví dụ: danvan resend --cycle 2024 --unit QNG.BSN.X07 --kind due --at 2024-11-10T15:00
    """
    from danvan.flows.resend import resend as resend_flow

    doc = resend_flow(cycle, parse_at(at), unit, kind)
    if fmt is JsonOrText.json:
        print_json(doc)
    else:
        _print_resent(cycle, doc)
    tell_unknown(cycle, doc)


def _print_resent(cycle: int, doc: dict) -> None:
    if not doc["requeued"]:
        typer.echo(f"Kỳ {cycle}: không có tin nào ở trạng thái chưa rõ (phù hợp điều kiện).")
        return
    states = doc["states"]
    typer.echo(
        f"Kỳ {cycle}: gửi lại {len(doc['requeued'])} tin chưa rõ: {states.get('sent', 0)} đã gửi, "
        f"{states.get('failed', 0)} lỗi (sẽ gửi lại ở lần nhắc sau), "
        f"{states.get('unknown', 0)} vẫn chưa rõ."
    )
    if states.get("cancelled"):
        typer.echo(f"  {states['cancelled']} tin nhắc không gửi: đơn vị đã làm việc được nhắc.")
    if states.get("pending"):
        typer.echo(f"  {states['pending']} tin chưa kịp gửi: lần nhắc sau sẽ gửi.")
    from danvan.cli.tables import KIND_LABELS, MILESTONE_NAMES

    for s in doc["sent"]:
        mark = "✓" if s["ok"] else "✗"
        kind = KIND_LABELS.get(s["kind"], s["kind"])
        milestone = MILESTONE_NAMES.get(s["milestone"], s["milestone"])
        typer.echo(f"  {mark} {s['unit']} · {milestone} · {kind} {s['day']} → {', '.join(s['to'])}")
        for e in s.get("errors", []):
            err(f"      {e}")


@app.command()
@handles_rejections
def appraise(
    file: Annotated[Path, typer.Argument(help="Tệp thẩm định (appraisal.yaml).", metavar="TỆP")],
    at: At = None,
    fmt: Fmt = JsonOrText.text,
) -> None:
    """Ghi nhận thẩm định: nơi tổng hợp điều chỉnh điểm của đơn vị mình tổng hợp, kèm lý do.

    Ví dụ: danvan appraise appraisal.yaml --at 2024-11-25T10:00
    """
    from danvan.flows.appraise import appraise as appraise_flow

    when = parse_at(at)
    result = appraise_flow(str(file), when)
    after_step("appraise", when, [result["year"]])
    if fmt is JsonOrText.json:
        print_json(result)
        return
    typer.echo(f"{file}: đã ghi {result['adjustments']} điều chỉnh của {result['by']}.")


@app.command()
@handles_rejections
def reopen(
    cycle: Cycle,
    unit: Annotated[str, typer.Option("--unit", help="Đơn vị tổng hợp được gia hạn.")],
    until: Annotated[str, typer.Option("--until", help="Thẩm định đến hết ngày này (ISO).")],
    by: Annotated[str, typer.Option("--by", help="Mã UBND tỉnh (chỉ tỉnh được gia hạn).")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do gia hạn.")] = "",
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
    province: Province = None,
) -> None:
    """Gia hạn thẩm định: cho một đơn vị tổng hợp thẩm định lại sau hạn, đến hết ngày --until.

    Chỉ UBND tỉnh được gia hạn; gia hạn không bao giờ rút ngắn hạn đã có.

    Ví dụ: danvan reopen --cycle 2024 --unit QNG.BSN --until 2024-11-25 --by QNG
    """
    from datetime import date

    from danvan.tasks.appraise import reopen as reopen_task

    try:
        day = date.fromisoformat(until)
    except ValueError:
        raise typer.BadParameter(f"'{until}' không phải ngày ISO (vd. 2024-11-25)") from None
    result = reopen_task(cycle, unit, day, by, reason, parse_at(at))
    if fmt is JsonOrText.json:
        print_json(result)
        return
    typer.echo(f"{unit} được thẩm định kỳ {cycle} đến hết ngày {day.strftime('%d/%m/%Y')}.")


@app.command()
@handles_rejections
def publish(
    cycle: Cycle,
    at: At = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Lý do công bố trước hạn xếp loại của tỉnh (bắt buộc khi đó; ghi vào nhật ký).",
        ),
    ] = "",
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Công bố kết quả xếp loại cuối cùng, báo kết quả cho từng đơn vị, khóa kỳ đánh giá.

    Trước hạn xếp loại của tỉnh (province_scoring) cần --reason, như nút Công bố trên cổng.

    Ví dụ: danvan publish --cycle 2024 --at 2024-11-30T09:00
    """
    from danvan.flows.publish import publish as publish_flow
    from danvan.rules.errors import Rejected

    when = parse_at(at)
    try:
        # the portal's rule: a reason is always passed, so the core asks for it before the
        # scoring deadline (an empty one is refused) and audits it
        doc = publish_flow(cycle, when, "cli", reason)
    except Rejected as exc:
        raise on_option(exc, {"ly_do": "--reason"}) from None
    after_step("publish", when, [cycle])
    if fmt is JsonOrText.json:
        print_json(doc)
    else:
        state = "Đã công bố" if doc["published"] else "Đã công bố trước đó (không đổi)"
        typer.echo(f"{state} kết quả kỳ {cycle}: {len(doc['results'])} đơn vị.")
        failed = [s for s in doc["sent"] if not s["ok"]]
        typer.echo(
            f"Thông báo kết quả: {len(doc['sent']) - len(failed)} đã gửi, {len(failed)} lỗi "
            "(sẽ gửi lại)."
        )
    tell_unknown(cycle, doc)


@app.command("return")
@handles_rejections
def return_(
    file: Annotated[
        Path | None,
        typer.Argument(help="Tệp trả lại nhiều đơn vị (YAML/JSON), thay cho các tùy chọn."),
    ] = None,
    cycle: Annotated[int | None, typer.Option("--cycle", help="Năm của kỳ đánh giá.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị bị trả lại.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Mã đơn vị tổng hợp trả lại.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do, yêu cầu bổ sung.")] = None,
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
    province: Province = None,
) -> None:
    """Trả lại báo cáo tự đánh giá để đơn vị bổ sung (phiên bản mới nhất), kèm lý do.

    Đơn vị được thông báo lý do và hạn bổ sung (revision_days ngày làm việc).
    Đến khi gửi phiên bản mới, trạng thái của đơn vị là "returned".
    Chỉ đơn vị tổng hợp của đơn vị (trực tiếp hoặc cấp trên) được trả lại;
    không trả lại sau khi đã công bố kết quả.
    Nhiều đơn vị một lần: tệp có year, by, returns (unit, reason, version).

    Ví dụ: danvan return --cycle 2024 --unit QNG.BSN.X07 --by QNG.BSN --reason "Thiếu số liệu" --at 2024-11-18T09:00

    Ví dụ (nhiều đơn vị): danvan return tra-lai.yaml --at 2024-11-18T09:00
    """
    from danvan.flows.revision import return_for_revision

    options = (cycle, unit, by, reason)
    if file is None and any(o is None for o in options):
        raise typer.BadParameter("cần tệp trả lại, hoặc đủ --cycle, --unit, --by và --reason")
    if file is not None and any(o is not None for o in options):
        raise typer.BadParameter("dùng tệp trả lại hoặc các tùy chọn --cycle/--unit/--by/--reason")
    doc = return_for_revision(parse_at(at), str(file) if file else None, cycle, unit, by, reason)
    if fmt is JsonOrText.json:
        print_json(doc)
        return
    for r in doc["returned"]:
        typer.echo(
            f"ĐÃ TRẢ LẠI {r['unit']} phiên bản {r['version']}, hạn bổ sung {doc['revise_by']}: "
            f"{r['reason']}"
        )
    failed = [s for s in doc["sent"] if not s["ok"]]
    if failed:
        err(f"Thông báo gửi lỗi {len(failed)} (sẽ gửi lại ở lần nhắc sau).")


@app.command("compile")
@handles_rejections
def compile_(
    cycle: Cycle,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Chỉ tổng hợp đơn vị này.", callback=check_code_option),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Thư mục kết quả.")] = None,
    at: At = None,
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Tổng hợp từ dưới lên: báo cáo DOCX, bảng điểm XLSX, biểu đồ và summary.json.

    Mặc định: tỉnh và mọi nơi tổng hợp bên dưới, cấp huyện trước. Mỗi nơi tổng hợp một thư mục
    trong --out (mặc định DANVAN_OUT_DIR, ./danvan-out). Trước hạn nộp, báo cáo ghi là tạm thời.

    Ví dụ: danvan compile --cycle 2024 --out bao-cao --at 2024-11-29T16:00
    """
    from danvan.config.settings import get_settings
    from danvan.flows.compile import compile_reports
    from danvan.tasks.files import output_folder

    out_dir = str(out or get_settings().out_dir)
    with output_folder(out_dir):  # a compile that cannot write leaves no empty folder
        doc = compile_reports(cycle, parse_at(at), out_dir, unit)
    if fmt is JsonOrText.json:
        print_json(doc)
        return
    for c in doc["compiled"]:
        typer.echo(f"{c['compiler']}: {c['folder']} ({', '.join(c['files'])})")


@app.command()
@handles_rejections
def demo(
    out: Annotated[Path, typer.Option("--out", help="Thư mục kết quả của bản chạy thử.")] = Path(
        "demo-out"
    ),
    no_prefect: Annotated[
        bool, typer.Option("--no-prefect", help="Chạy trực tiếp, không khởi động Prefect.")
    ] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Giữ Prefect server của bản chạy thử để xem lại các lượt chạy."
        ),
    ] = False,
) -> None:
    """Chạy thử trọn một kỳ trên tỉnh mẫu kèm theo và ghi các báo cáo.

    Dùng CSDL SQLite riêng trong --out, gửi mọi tin đến một hộp thư thử trên máy này, chạy các
    luồng qua Prefect (một server tạm khởi động một lần; nhật ký của Prefect ghi vào
    --out/prefect.log). Với --keep, server Prefect của bản chạy thử được giữ lại để xem các
    lượt chạy trên giao diện của nó.

    Ví dụ: danvan demo --out demo-out
    """
    from danvan.demo.run import run

    kept = run(out, use_prefect=not no_prefect, say=typer.echo, keep=keep and not no_prefect)
    typer.echo(f"Xong. Báo cáo tổng hợp trong {out / 'bao-cao'}/")
    if kept is not None:
        typer.echo(
            f"Prefect server vẫn chạy: xem các lượt chạy tại {kept.ui} (dữ liệu trong "
            f"{kept.home}; dừng: kill {kept.process.pid})."
        )


@app.command()
@handles_rejections
def approve(
    cycle: Cycle,
    by: Annotated[str, typer.Option("--by", help="Mã của tỉnh phê duyệt, vd. QNG.")],
    note: Annotated[str, typer.Option("--note", help="Ghi chú kèm phê duyệt.")] = "",
    return_: Annotated[
        bool, typer.Option("--return", help="Trả lại (không phê duyệt), --note ghi lý do.")
    ] = False,
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
    province: Province = None,
) -> None:
    """Tỉnh phê duyệt kết quả xếp loại cuối cùng; việc công bố chờ phê duyệt (cũng là biểu mẫu Prefect).

    Ghi vào CSDL của danvan (có nhật ký), nên chạy được cả khi không có Prefect; khi có, lượt
    công bố đang chờ phê duyệt sẽ tiếp tục.

    Ví dụ: danvan approve --cycle 2024 --by QNG --note "Đồng ý kết quả"
    """
    from danvan.tasks.signoff import decide

    done = decide(
        cycle, by, parse_at(at), "returned" if return_ else "approved", note, actor=f"cli:{by}"
    )
    decision, resumed = done.decision, done.resumed
    tell(done.notices)
    if fmt is JsonOrText.json:
        print_json(decision.to_dict() | {"resumed_prefect_run": resumed})
        return
    verb = "Đã phê duyệt" if decision.approved else "Đã trả lại"
    typer.echo(f"{verb} kết quả xếp loại kỳ {cycle} ({by}, {decision.at}).")
    if resumed:
        typer.echo("Lượt chạy công bố trên Prefect đang chờ đã được tiếp tục.")
