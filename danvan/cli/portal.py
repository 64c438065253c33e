"""``danvan portal``: the web portal (SPEC §4.5) and its personal links."""

from __future__ import annotations

from typing import Annotated

import typer

from danvan.cli import At, Cycle, app
from danvan.cli.common import (
    Format,
    Province,
    err,
    handles_rejections,
    parse_at,
    print_csv,
    print_json,
)

portal_app = typer.Typer(
    help="Cổng thông tin cho đơn vị và đơn vị tổng hợp (đường dẫn riêng).",
    invoke_without_command=True,
)
app.add_typer(portal_app, name="portal")


@portal_app.callback()
@handles_rejections
def portal(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cổng lắng nghe.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Số tiến trình phục vụ (nhiều tiến trình: giới hạn tần suất đếm trong cơ sở dữ "
            "liệu, nên dùng PostgreSQL).",
        ),
    ] = 1,
) -> None:
    """Cổng thông tin: trang của từng đơn vị và đơn vị tổng hợp, mở bằng đường dẫn riêng.

    Chạy sau một reverse proxy có TLS (docs/deployment.md); đặt DANVAN_PORTAL_URL là địa chỉ
    công khai để tin nhắn kèm đường dẫn, DANVAN_PORTAL_SECRET để phiên đăng nhập còn sau khi khởi
    động lại, DANVAN_PORTAL_TRUSTED_PROXIES là địa chỉ của proxy.

    Ví dụ: danvan portal --host 127.0.0.1 --port 8000 --workers 2
    """
    if ctx.invoked_subcommand is not None:
        return
    from danvan.models.db import get_engine, reading
    from danvan.portal.server import run
    from danvan.tasks.views import check_database

    with reading(get_engine()) as session:  # fail here, in one line, if the database is not set up
        check_database(session)
    each = f", {workers} tiến trình" if workers > 1 else ""
    typer.echo(f"Cổng thông tin: http://{host}:{port}/{each} (Ctrl+C để dừng)", err=True)
    run(host, port, workers)


@portal_app.command("links")
@handles_rejections
def links(
    cycle: Cycle,
    under: Annotated[str | None, typer.Option("--under", help="Chỉ đơn vị thuộc mã này.")] = None,
    renew: Annotated[
        bool,
        typer.Option("--renew", help="Gia hạn các đường dẫn đã có đến --until, không tạo mới."),
    ] = False,
    until: Annotated[
        str | None, typer.Option("--until", help="Với --renew: hiệu lực đến (ISO).")
    ] = None,
    at: At = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    province: Province = None,
) -> None:
    """Tạo một đường dẫn riêng cho mỗi đơn vị phải đánh giá và mỗi đơn vị tổng hợp (chỉ lưu mã băm).

    Danh sách chỉ in một lần: gửi cho mỗi đơn vị đúng dòng của mình. Đường dẫn hết hiệu lực khi
    kỳ được công bố; --renew --until NGÀY giữ các đường dẫn hiện có đến hết NGÀY.

    Ví dụ: danvan portal links --cycle 2024 --under QNG.BSN --format csv > links.csv
    """
    from danvan.config.settings import get_settings
    from danvan.tasks.links import issue_links, renew_links

    when = parse_at(at)
    if renew:
        if until is None:
            raise typer.BadParameter("--renew cần --until (vd. 2025-01-31)", param_hint="--until")
        n = renew_links(cycle, when, parse_at(until), under)
        typer.echo(f"Đã gia hạn {n} đường dẫn đến {until}.")
        return
    base = get_settings().portal_url
    if not base:
        err("Chưa đặt DANVAN_PORTAL_URL (địa chỉ công khai của cổng). [portal_url_missing]")
        raise typer.Exit(1)
    rows = issue_links(cycle, when, base, under)
    if fmt is Format.json:
        print_json({"cycle": cycle, "links": rows})
    elif fmt is Format.csv:
        print_csv(rows, ["unit", "name", "link"])
    else:
        for r in rows:
            typer.echo(f"{r['unit']}\t{r['name']}\t{r['link']}")


@portal_app.command("revoke")
@handles_rejections
def revoke(
    code: Annotated[str, typer.Argument(help="Mã đơn vị.")],
    at: At = None,
) -> None:
    """Thu hồi mọi đường dẫn của một đơn vị (các phiên đang mở cũng kết thúc theo).

    Ví dụ: danvan portal revoke QNG.BSN.X07
    """
    from danvan.tasks.links import revoke_unit

    n = revoke_unit(code, parse_at(at))
    typer.echo(f"Đã thu hồi {n} đường dẫn của {code}.")
