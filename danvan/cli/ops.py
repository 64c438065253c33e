"""Operator commands: ``serve`` (Prefect deployments) and ``bench`` (stage timings)."""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from danvan.cli import app
from danvan.cli.common import err, handles_rejections

if TYPE_CHECKING:
    from danvan.bench import BenchRun

NO_API = (
    "Chưa cấu hình Prefect server: 'danvan serve' cần một Prefect server chạy thật, vì máy chủ "
    "tạm (ephemeral) không bao giờ tạo lượt chạy theo lịch. Hãy chạy 'prefect server start' "
    "(một cửa sổ khác hoặc một dịch vụ), rồi đặt PREFECT_API_URL=http://127.0.0.1:4200/api "
    "và chạy lại 'danvan serve'. Cách dựng server: 'danvan serve --help'. [prefect_api_missing]"
)


@app.command()
@handles_rejections
def serve() -> None:
    """Chạy các lịch Prefect của mọi kỳ đang mở (nhắc hạn hằng ngày vào giờ send_at của kế hoạch).

    Cần một Prefect server đang chạy tại PREFECT_API_URL. Chạy server đó trong môi trường riêng,
    vì bộ lập lịch của prefect 3.8 không tạo lượt chạy với SQLAlchemy 2.1 (của danvan):

    python -m venv prefect-server

    prefect-server/bin/pip install "prefect==3.8.8" "sqlalchemy<2.1" "fastapi<0.155"

    prefect-server/bin/prefect server start

    Chạy đến khi bị dừng; dừng lệnh này, các lịch vẫn còn hiệu lực.

    Ví dụ: PREFECT_API_URL=http://127.0.0.1:4200/api danvan serve
    """
    from danvan.config.settings import get_settings

    api_url = get_settings().prefect_api_url
    if not api_url:
        err(NO_API)
        raise typer.Exit(1)
    _check_reachable(api_url)
    os.environ.setdefault("PREFECT_API_URL", api_url)  # DANVAN_PREFECT_API_URL alone counts too

    from danvan.db import get_engine, reading
    from danvan.deployments.serve import all_deployments, serve_all

    with reading(get_engine()) as session:
        deployments = all_deployments(session)
    if not deployments:
        err(
            "Không có kỳ đánh giá nào đang mở (mọi kỳ đã công bố hoặc chưa ban hành kế hoạch): "
            "không có gì để chạy. [no_open_cycle]"
        )
        raise typer.Exit(1)
    for d in deployments:
        schedule = d.schedules[0].schedule
        typer.echo(f"{d.name}: cron '{schedule.cron}' ({schedule.timezone}), {d.parameters}")
    serve_all(deployments)


def _check_reachable(api_url: str) -> None:
    """Fail in seconds with a clear message, not after Prefect's retries with a traceback."""
    import httpx

    try:
        httpx.get(api_url.rstrip("/") + "/health", timeout=5)
    except httpx.HTTPError as exc:
        err(
            f"Không kết nối được Prefect server tại {api_url} ({exc.__class__.__name__}): "
            "hãy kiểm tra 'prefect server start' đang chạy. [prefect_unavailable]"
        )
        raise typer.Exit(1) from None


@app.command()
@handles_rejections
def bench(
    units: Annotated[
        int, typer.Option("--units", min=4, help="Số đơn vị của tỉnh thử tải.")
    ] = 1000,
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Giữ các tệp và CSDL thử tải trong thư mục này.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="CSDL trống để thử (mặc định: SQLite tạm)."),
    ] = None,
) -> None:
    """Đo thời gian từng bước của một kỳ trên tỉnh giả lập N đơn vị (từ nạp cây đến tổng hợp).

    Dùng CSDL riêng (SQLite tạm, hoặc CSDL trống ở --database-url), không bao giờ dùng
    DANVAN_DATABASE_URL; không gửi tin nào.

    Ví dụ: danvan bench --units 1000 --database-url postgresql+psycopg://localhost/danvan_bench
    """
    from danvan import bench as b
    from danvan.config.settings import get_settings

    with ExitStack() as stack:
        if keep is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="danvan-bench-")))
        else:
            workdir = keep
            workdir.mkdir(parents=True, exist_ok=True)
        url = database_url or f"sqlite:///{(workdir / 'bench.db').absolute()}"
        stack.callback(_restore_env, os.environ.get("DANVAN_DATABASE_URL"))
        os.environ["DANVAN_DATABASE_URL"] = url
        get_settings.cache_clear()
        url = get_settings().database_url  # normalised (postgresql:// → psycopg)
        stack.callback(_dispose, url)
        run = b.run_bench(units, workdir, url)
    _print_bench(run, keep)


def _restore_env(previous: str | None) -> None:
    from danvan.config.settings import get_settings

    if previous is None:
        os.environ.pop("DANVAN_DATABASE_URL", None)
    else:
        os.environ["DANVAN_DATABASE_URL"] = previous
    get_settings.cache_clear()


def _dispose(url: str) -> None:
    """Close the bench database's connections before its folder goes."""
    from danvan.db import _engines

    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def _print_bench(run: BenchRun, keep: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"danvan bench: {run.units} đơn vị, {run.database}")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("units/s", justify="right")
    table.add_column("note")
    for s in run.stages:
        seconds = "—" if s.seconds is None else f"{s.seconds:.3f}"
        rate = "—" if s.per_second is None else f"{s.per_second:,.0f}"
        table.add_row(s.name, seconds, rate, s.note)
    console = Console()
    console.print(table)
    if keep is not None:
        console.print(f"Đã giữ tệp và CSDL thử tải trong {keep}")
