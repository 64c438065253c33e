"""``danvan``: one console script, a thin skin over the library (SPEC §4).

Exit status: 0 success, 1 rejected input (file, field, reason), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan.cli.common import (
    AT_HELP,
    Format,
    JsonOrText,
    err,
    handles_rejections,
    parse_at,
    print_csv,
    print_json,
)

app = typer.Typer(
    name="danvan",
    help="Công tác dân vận chính quyền: kế hoạch, tự đánh giá, nhắc hạn, tổng hợp, xếp loại.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
org_app = typer.Typer(help="Cơ cấu tổ chức (org tree).", no_args_is_help=True)
plan_app = typer.Typer(help="Kế hoạch (plan) của kỳ đánh giá.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(plan_app, name="plan")

At = Annotated[str | None, typer.Option("--at", help=AT_HELP)]
Cycle = Annotated[int, typer.Option("--cycle", help="Năm của kỳ đánh giá, vd. 2024.")]


@app.command()
@handles_rejections
def init() -> None:
    """Create or upgrade the database (DANVAN_DATABASE_URL, default sqlite:///./danvan.db).

    Example: danvan init
    """
    from danvan.db import get_engine
    from danvan.models.schema import upgrade

    engine = get_engine()
    before, after = upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        typer.echo(f"Cơ sở dữ liệu {where} đã ở phiên bản mới nhất ({after}).")
    else:
        typer.echo(f"Đã khởi tạo/nâng cấp cơ sở dữ liệu {where}: {before or 'trống'} → {after}.")


@org_app.command("import")
@handles_rejections
def org_import(
    file: Annotated[Path, typer.Argument(help="org.yaml hoặc org.xlsx")],
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Load or update the org tree; units are matched by code and never deleted.

    Example: danvan org import org.yaml
    """
    from danvan.tasks.org import import_org

    result = import_org(str(file), parse_at(at))
    if fmt is JsonOrText.json:
        print_json(result.to_dict())
        return
    typer.echo(
        f"{file}: thêm {len(result.created)}, cập nhật {len(result.updated)}, "
        f"không đổi {result.unchanged} đơn vị."
    )


@plan_app.command("issue")
@handles_rejections
def plan_issue(
    file: Annotated[Path, typer.Argument(help="plan.yaml")],
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Create the cycle from a plan, schedule its milestones, announce it to every assessed unit.

    Example: danvan plan issue plan.yaml --at 2024-02-17T09:00
    """
    from danvan.flows.plan import issue_plan

    result = issue_plan(str(file), parse_at(at))
    if fmt is JsonOrText.json:
        print_json(result)
        return
    verb = "Đã ban hành" if result["created"] else "Đã có (không đổi)"
    typer.echo(f"{verb} kế hoạch năm {result['year']} của {result['province']}.")
    sent = result["sent"]
    failed = [s for s in sent if not s["ok"]]
    typer.echo(f"Thông báo: {len(sent) - len(failed)} đơn vị đã nhận, {len(failed)} gửi lỗi.")
    for s in failed:
        err(f"  ✗ {s['unit']}: {'; '.join(s['errors'])}")


@app.command()
@handles_rejections
def submit(
    files: Annotated[list[Path], typer.Argument(help="Tệp tự đánh giá (YAML/JSON).")],
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Record self-assessments; each file on its own: accepted (version, on time / late) or rejected.

    Exit 1 when any file was rejected (the others are still recorded).

    Example: danvan submit x07.yaml x08.yaml --at 2024-11-09T15:00
    """
    from danvan.flows.intake import submit as submit_flow

    results = submit_flow([str(f) for f in files], parse_at(at))
    if fmt is JsonOrText.json:
        print_json({"files": results})
    else:
        for r in results:
            _print_file_result(r)
    if any(not r["accepted"] for r in results):
        raise typer.Exit(1)


def _print_file_result(r: dict) -> None:
    if r["accepted"]:
        when = "đúng hạn" if r["status"] == "on_time" else f"trễ {r['days_late']} ngày"
        again = " (tệp đã nhận trước đó, không tạo phiên bản mới)" if r["duplicate"] else ""
        typer.echo(f"{r['file']}: ĐÃ NHẬN {r['unit']} phiên bản {r['version']}, {when}{again}")
        return
    err(f"{r['file']}: BỊ TỪ CHỐI")
    for p in r["problems"]:
        where = f"{p['field']}: " if p["field"] else ""
        err(f"  - {where}{p['message']} [{p['code']}]")


@app.command()
@handles_rejections
def status(
    cycle: Cycle,
    under: Annotated[str | None, typer.Option("--under", help="Chỉ đơn vị thuộc mã này.")] = None,
    at: At = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Who has submitted, who is late, who is missing; progress per compiler.

    Example: danvan status --cycle 2024 --under QNG.BSN --format json
    """
    from danvan.db import get_engine, reading
    from danvan.views import cycle_status

    with reading(get_engine()) as session:
        doc = cycle_status(session, year=cycle, at=parse_at(at), under=under)
    if fmt is Format.json:
        print_json(doc)
    elif fmt is Format.csv:
        cols = ["code", "name", "kind", "compiler", "status", "version", "submitted_at"]
        print_csv(doc["units"], [*cols, "days_late", "self_total", "final_total", "band"])
    else:
        from danvan.cli.tables import print_status

        print_status(doc)


@app.command()
@handles_rejections
def remind(
    cycle: Cycle,
    at: At = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ liệt kê, không gửi.")] = False,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Send the reminders due at T (before/due/overdue/escalation/digest), once each.

    Failed deliveries of earlier runs are retried. Running it twice at the same T sends nothing
    the second time.

    Example: danvan remind --cycle 2024 --at 2024-11-07T08:00 --format json
    """
    from danvan.flows.remind import remind as remind_flow

    doc = remind_flow(cycle, parse_at(at), dry_run)
    if fmt is JsonOrText.json:
        print_json(doc)
        return
    from danvan.cli.tables import print_reminders

    print_reminders(doc)


@app.command()
@handles_rejections
def appraise(
    file: Annotated[Path, typer.Argument(help="appraisal.yaml")],
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Record an appraisal: a compiler adjusts scores of units it compiles, each with a reason.

    Example: danvan appraise appraisal.yaml --at 2024-11-25T10:00
    """
    from danvan.flows.appraise import appraise as appraise_flow

    result = appraise_flow(str(file), parse_at(at))
    if fmt is JsonOrText.json:
        print_json(result)
        return
    typer.echo(f"{file}: đã ghi {result['adjustments']} điều chỉnh của {result['by']}.")


@app.command()
@handles_rejections
def publish(
    cycle: Cycle,
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Publish the final ranking, tell every unit its result, close the cycle to submissions.

    Example: danvan publish --cycle 2024 --at 2024-11-30T09:00
    """
    from danvan.flows.publish import publish as publish_flow

    doc = publish_flow(cycle, parse_at(at))
    if fmt is JsonOrText.json:
        print_json(doc)
        return
    state = "Đã công bố" if doc["published"] else "Đã công bố trước đó (không đổi)"
    typer.echo(f"{state} kết quả kỳ {cycle}: {len(doc['results'])} đơn vị.")
    failed = [s for s in doc["sent"] if not s["ok"]]
    typer.echo(
        f"Thông báo kết quả: {len(doc['sent']) - len(failed)} đã gửi, {len(failed)} lỗi (sẽ gửi lại)."
    )


@app.command("compile")
@handles_rejections
def compile_(
    cycle: Cycle,
    unit: Annotated[str | None, typer.Option("--unit", help="Chỉ tổng hợp đơn vị này.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Thư mục kết quả.")] = None,
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Compile bottom-up: summary.json, score workbook, chart and report per compiler.

    Default: the province and every compiler under it, districts first. Output: one folder per
    compiler code in --out (default DANVAN_OUT_DIR, ./danvan-out).

    Example: danvan compile --cycle 2024 --out bao-cao --at 2024-11-29T16:00
    """
    from danvan.config.settings import get_settings
    from danvan.flows.compile import compile_reports

    out_dir = str(out or get_settings().out_dir)
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
) -> None:
    """Run a whole simulated cycle on the bundled sample province and write its reports.

    Uses its own SQLite database in --out, delivers every message to a local HTTP endpoint it
    starts itself, and runs the flows through Prefect (a temporary server starts once).

    Example: danvan demo --out demo-out
    """
    from danvan.demo import run

    run(out, use_prefect=not no_prefect, say=typer.echo)
    typer.echo(f"Xong. Báo cáo tổng hợp trong {out / 'bao-cao'}/")


def main() -> None:
    app()


# Commands defined in their own modules register themselves on `app` when imported.
from danvan.cli import ops as _ops  # noqa: E402, F401
