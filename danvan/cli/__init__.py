"""``danvan``: one console script, a thin skin over the library (SPEC §4).

Exit status: 0 success, 1 rejected input (file, field, reason), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan.cli.common import (
    AT_HELP,
    JsonOrText,
    err,
    handles_rejections,
    parse_at,
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


def main() -> None:
    app()


# Commands defined in their own modules register themselves on `app` when imported.
from danvan.cli import cycle as _cycle  # noqa: E402, F401
from danvan.cli import ops as _ops  # noqa: E402, F401
from danvan.cli import portal as _portal  # noqa: E402, F401
