"""The units' side of the cycle at the command line: ``submit`` (files, an inbox folder),
``status`` (a cycle, or one unit's files), ``template`` (the workbooks) and ``export`` (a unit's
files as sent). Each command translates its options and calls the core; nothing is decided here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from danvan.cli import At, Cycle, Fmt, app
from danvan.cli.common import (
    Format,
    JsonOrText,
    Province,
    after_step,
    check_code_option,
    err,
    handles_rejections,
    parse_at,
    print_csv,
    print_flags,
    print_json,
    print_json_line,
    say_failure,
    tell,
)
from danvan.rules.labels import describe_field

if TYPE_CHECKING:
    from danvan.tasks.intake import CutOff


class SubmitFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


@app.command()
@handles_rejections
def submit(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Tệp tự đánh giá (XLSX từ mẫu, YAML, JSON).", metavar="TỆP"),
    ] = None,
    inbox: Annotated[
        Path | None,
        typer.Option("--inbox", help="Nhận mọi tệp mới của thư mục này (accepted/, rejected/)."),
    ] = None,
    at: At = None,
    fmt: Annotated[
        SubmitFormat,
        typer.Option(
            "--format",
            help="text: mỗi tệp một câu trả lời ngay khi xử lý xong; json: một tài liệu JSON khi "
            "xong cả lô; jsonl: mỗi tệp một dòng JSON ngay khi xử lý xong.",
        ),
    ] = SubmitFormat.text,
) -> None:
    """Nhận báo cáo tự đánh giá; từng tệp riêng: đã nhận (phiên bản, đúng hạn/trễ) hoặc bị từ chối.

    Mỗi tệp được trả lời ngay khi đã ghi nhận hoặc bị từ chối. Mã thoát 1 khi có tệp bị từ chối
    (các tệp khác vẫn được ghi nhận); mỗi tệp bị từ chối được nêu đủ mọi lỗi cùng lúc. Lô tệp bị
    dừng giữa chừng (mất kết nối cơ sở dữ liệu): các tệp đã ghi nhận đều đã có câu trả lời, cuối
    cùng là danh sách tệp chưa xử lý [not_reached], mã thoát 1; gửi lại các tệp đó là an toàn.
    Với --inbox DIR: nhận mọi tệp mới của DIR, chuyển vào DIR/accepted/ hoặc DIR/rejected/ kèm
    tệp .txt ghi câu trả lời, báo cho đơn vị qua địa chỉ liên hệ; chạy lại hay chạy song song
    đều an toàn.

    Ví dụ: danvan submit x07.xlsx x08.yaml --at 2024-11-09T15:00
    """
    from danvan.flows.intake import submit as submit_flow
    from danvan.flows.intake import submit_inbox
    from danvan.tasks.intake import CutOff

    if bool(files) == bool(inbox):
        err("Cần tệp tự đánh giá hoặc --inbox DIR (không dùng cả hai).")
        raise typer.Exit(2)
    when = parse_at(at)
    answered: list[dict] = []
    closed: list[BrokenPipeError] = []

    def answer(r: dict) -> None:  # as soon as the core has settled a file
        answered.append(r)
        if closed:
            return
        try:
            if fmt is SubmitFormat.text:
                _print_file_result(r)
            elif fmt is SubmitFormat.jsonl:
                print_json_line(r)
        except BrokenPipeError as exc:  # the reader went away (`| head`): the batch goes on
            closed.append(exc)

    try:
        if inbox:
            doc = submit_inbox(str(inbox), when, on_answer=answer)
            results = doc["files"]
        else:
            results = submit_flow([str(f) for f in files or []], when, on_answer=answer)
            doc = {"files": results}
    except CutOff as stop:
        _cut_off(stop, answered, fmt, inbox is not None)
    if any(r["accepted"] and not r.get("duplicate") for r in results):
        after_step("submit", when)
    if fmt is SubmitFormat.json:
        print_json(doc)
    elif fmt is SubmitFormat.jsonl:
        if doc.get("recovered"):
            print_json_line({"recovered": doc["recovered"]})
    elif doc.get("recovered"):
        typer.echo(f"Lấy lại {len(doc['recovered'])} tệp của lần chạy bị dừng giữa chừng.")
    if not inbox and any(not r["accepted"] for r in results):
        raise typer.Exit(1)


def _cut_off(stop: CutOff, answered: list[dict], fmt: SubmitFormat, inbox: bool) -> NoReturn:
    """A batch cut off midway: what cut it off, then the files it did not reach; exit 1. Every
    file recorded before the cut has had its answer (printed as it was settled)."""
    message, code = say_failure(stop)
    left = stop.not_reached
    if fmt is SubmitFormat.json:
        print_json(
            {"files": answered, "not_reached": left, "error": {"code": code, "message": message}}
        )
    elif fmt is SubmitFormat.jsonl:
        print_json_line({"not_reached": left, "error": {"code": code, "message": message}})
    then = (
        "vẫn nằm trong thư mục tiếp nhận: lần chạy sau sẽ nhận, khi lỗi trên đã được khắc phục"
        if inbox
        else "gửi lại các tệp này khi lỗi trên đã được khắc phục"
    )
    err(
        f"Lô tệp dừng giữa chừng: {len(answered)} tệp đã có câu trả lời, {len(left)} tệp chưa "
        f"được xử lý ({then}; tệp nào thực ra đã được ghi nhận sẽ được trả lời “đã nhận trước "
        "đó”, không tạo phiên bản mới): [not_reached]"
    )
    for name in left:
        err(f"  - {name}")
    raise typer.Exit(1)


def _print_file_result(r: dict) -> None:
    if r["accepted"]:
        when = "đúng hạn" if r["status"] == "on_time" else f"trễ {r['days_late']} ngày"
        again = " (tệp đã nhận trước đó, không tạo phiên bản mới)" if r["duplicate"] else ""
        typer.echo(f"{r['file']}: ĐÃ NHẬN {r['unit']} phiên bản {r['version']}, {when}{again}")
        for w in r.get("warnings") or ():
            typer.echo(f"  ! {w['field']}: {w['message']} [{w['code']}]")
        return
    err(f"{r['file']}: BỊ TỪ CHỐI")
    for p in r["problems"]:
        where = f"{describe_field(p['field'])}: " if p["field"] else ""
        err(f"  - {where}{p['message']} [{p['code']}]")


@app.command()
@handles_rejections
def status(
    cycle: Cycle,
    under: Annotated[
        str | None,
        typer.Option("--under", help="Chỉ đơn vị thuộc mã này.", callback=check_code_option),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit", help="Các phiên bản và tệp của một đơn vị.", callback=check_code_option
        ),
    ] = None,
    at: At = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="table: bảng; json; csv: mở bằng Excel.")
    ] = Format.table,
    every_unit: Annotated[
        bool, typer.Option("--all", help="Bảng liệt kê mọi đơn vị (quá 300: mỗi nơi một dòng).")
    ] = False,
    province: Province = None,
) -> None:
    """Tình hình nộp: ai đã nộp, ai trễ, ai chưa nộp; tiến độ theo nơi tổng hợp.

    Với --unit: các phiên bản của đơn vị đó và các tệp kèm theo (báo cáo, minh chứng).
    --format csv: tệp CSV UTF-8 có BOM, mở được ngay bằng Excel.

    Ví dụ: danvan status --cycle 2024 --under QNG.BSN --format json
    """
    from danvan.models.dbapi import reading_light
    from danvan.tasks.views import cycle_status

    if unit:
        _unit_status(cycle, unit, parse_at(at), fmt)
        return
    with reading_light() as session:  # the DB-API: no SQLAlchemy imported (issue 20)
        doc = cycle_status(session, year=cycle, at=parse_at(at), under=under,
                           every_unit=every_unit or fmt is not Format.table)  # fmt: skip
    from danvan.tasks.nudge import reachability

    tell(reachability())
    what = doc["deliveries"]["unknown"]
    if what["count"] and fmt is not Format.table:  # the table says it in its own words
        from danvan.tasks.unknown import CODE

        err(f"{what['count']} tin chưa rõ đã đến hay chưa. {what['what_to_do']} "
            f"{what['resend']} [{CODE}]")  # fmt: skip
    if fmt is Format.json:
        print_json(doc)
    elif fmt is Format.csv:
        from danvan.cli.status_csv import status_csv

        print_csv(*status_csv(doc))
    else:
        from danvan.cli.tables import print_status

        print_status(doc, every_unit=every_unit)
        print_flags(doc)


@app.command()
@handles_rejections
def template(
    cycle: Cycle,
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi các tệp mẫu.")],
    unit: Annotated[str | None, typer.Option("--unit", help="Mẫu của một đơn vị.")] = None,
    all_units: Annotated[
        bool, typer.Option("--all", help="Mẫu của mọi đơn vị tự đánh giá.")
    ] = False,
    under: Annotated[
        str | None, typer.Option("--under", help="Với --all: chỉ các đơn vị thuộc mã này.")
    ] = None,
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Ghi tệp Excel tự đánh giá của từng đơn vị, sẵn sàng gửi đi.

    Ví dụ: danvan template --cycle 2024 --all --under QNG.BSN --out mau-2024
    """
    from danvan.tasks.templates import write_templates

    if bool(unit) == all_units or (under and not all_units):
        err("Cần đúng một trong --unit CODE hoặc --all (--under chỉ dùng với --all).")
        raise typer.Exit(2)
    paths = write_templates(cycle, out=out, unit=unit, under=under)
    if fmt is JsonOrText.json:
        print_json({"files": [str(p) for p in paths]})
        return
    typer.echo(f"Đã ghi {len(paths)} tệp mẫu vào {out}/")


def _unit_status(cycle: int, unit: str, at: datetime, fmt: Format) -> None:
    from danvan.models.dbapi import reading_light
    from danvan.tasks.views import unit_files

    with reading_light() as session:  # the DB-API: no SQLAlchemy imported (issue 20)
        doc = unit_files(session, year=cycle, code=unit, at=at)
    if fmt is Format.json:
        print_json(doc)
        return
    rows = []
    for v in doc["versions"]:
        rows.append(
            {
                "version": v["version"],
                "role": "tự đánh giá",
                "criterion": "",
                "file_name": v["file_name"],
                "size": "",
                "sha256": v["sha256"][:12],
            }
        )
        for f in v["files"]:
            role = "báo cáo" if f["role"] == "report" else "minh chứng"
            rows.append(
                {
                    "version": v["version"],
                    "role": role,
                    "criterion": f["criterion"] or "",
                    "file_name": f["file_name"],
                    "size": f["size"],
                    "sha256": f["sha256"][:12],
                }
            )
    if fmt is Format.csv:
        print_csv(rows, ["version", "role", "criterion", "file_name", "size", "sha256"])
        return
    typer.echo(f"{doc['unit']} — {doc['name']}: {len(doc['versions'])} phiên bản")
    for v in doc["versions"]:
        typer.echo(
            f"  phiên bản {v['version']} ({v['submitted_at']}, {v['submitted_by']}): "
            f"{v['file_name']}"
        )
        for f in v["files"]:
            what = "báo cáo" if f["role"] == "report" else f"minh chứng tiêu chí {f['criterion']}"
            typer.echo(f"    - {what}: {f['file_name']} ({f['size']:,} byte)".replace(",", "."))


@app.command()
@handles_rejections
def export(
    cycle: Cycle,
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị.")],
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi các tệp.")],
    fmt: Fmt = JsonOrText.text,
    province: Province = None,
) -> None:
    """Lấy lại hồ sơ của một đơn vị: mọi phiên bản như đã gửi, báo cáo và minh chứng.

    Ghi vào OUT/<mã>/v<N>/: tệp như đã gửi, bao-cao/ và minh-chung/<tiêu chí>/.

    Ví dụ: danvan export --cycle 2024 --unit QNG.BSN.X07 --out ho-so
    """
    from danvan.tasks.export import export_unit

    paths = export_unit(cycle, unit, out)
    if fmt is JsonOrText.json:
        print_json({"files": [str(p) for p in paths]})
        return
    typer.echo(f"Đã ghi {len(paths)} tệp của {unit} vào {out / unit}/")
