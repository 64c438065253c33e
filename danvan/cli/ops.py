"""Operator commands: ``serve`` (Prefect deployments) and ``bench`` (stage timings)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from danvan.cli import app
from danvan.cli.common import err, handles_rejections

if TYPE_CHECKING:
    from danvan.demo.bench import BenchRun


@app.command()
@handles_rejections
def serve(
    port: Annotated[
        int,
        typer.Option("--port", help="Cổng của Prefect server tự khởi động (khi chưa cấu hình)."),
    ] = 4200,
) -> None:
    """Chạy chu trình trên Prefect: nhắc hạn, tổng hợp, phê duyệt và công bố đúng lịch.

    Có PREFECT_API_URL (biến môi trường, hoặc 'prefect config set PREFECT_API_URL=…'): dùng
    Prefect server đó. Chưa cấu hình: tự khởi động một server cục bộ (SQLite, trong thư mục dữ
    liệu của danvan, cạnh CSDL) và in địa chỉ giao diện. Phục vụ bốn deployment (nhac-viec,
    tong-hop, xep-loai, theo-doi); lịch của mỗi kỳ là các lượt chạy trên chúng, tạo khi ban hành
    kế hoạch và được cập nhật mười phút một lần. Chạy đến khi bị dừng; lịch vẫn còn nguyên.

    Ví dụ: danvan serve
    """
    from danvan.runtime.api import configured_api_url, reachable, redacted

    _stop_on_sigterm()
    url = configured_api_url()
    with ExitStack() as stack:
        if url is None:
            url = stack.enter_context(_local_server(port))
            typer.echo(f"Prefect UI: {url.removesuffix('/api')}  (máy chủ Prefect cục bộ, SQLite)")
        elif not reachable(url):
            err(
                f"Không kết nối được Prefect server tại {redacted(url)}: hãy kiểm tra "
                "'prefect server start' đang chạy. [prefect_unavailable]"
            )
            raise typer.Exit(1)
        else:
            typer.echo(f"Prefect UI: {redacted(url).removesuffix('/api')}")
        os.environ["PREFECT_API_URL"] = url  # the profile's or danvan's setting, for Prefect too

        from danvan.deployments.serve import all_deployments, serve_all

        deployments = all_deployments()
        for d in deployments:
            typer.echo(f"deployment {d.flow_name}/{d.name}")
        _follow_now()
        serve_all(deployments)


def _stop_on_sigterm() -> None:
    """systemd stops a service with SIGTERM: leave as on ^C, through every clean-up (the local
    server stopped, its address removed). Prefect's runner, once started, installs its own
    handler, which does the same."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@app.command()
@handles_rejections
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="Tên work pool (kiểu process).")] = "danvan",
) -> None:
    """Đăng ký các deployment của chu trình lên một work pool (kiểu process) cho 'prefect worker'.

    Cách chạy cho môi trường thật thay cho 'danvan serve': các worker (bao nhiêu cũng được, đã cài
    danvan và cùng các thiết lập DANVAN_*) chạy các lượt. Cần Prefect server (PREFECT_API_URL
    trong biến môi trường hoặc trong profile đang dùng).

    Ví dụ: danvan deploy --pool danvan && prefect worker start --pool danvan
    """
    from danvan.runtime.api import configured_api_url, reachable, redacted

    url = configured_api_url()
    if not url or not reachable(url):
        err(
            f"Không kết nối được Prefect server{' tại ' + redacted(url) if url else ''}: đặt "
            "PREFECT_API_URL (hoặc 'prefect config set PREFECT_API_URL=…'). [prefect_unavailable]"
        )
        raise typer.Exit(1)
    os.environ["PREFECT_API_URL"] = url
    from danvan.deployments.serve import deploy_to_pool

    for name in deploy_to_pool(pool):
        typer.echo(f"deployment {name} → work pool '{pool}'")
    typer.echo(f"Chạy worker: prefect worker start --pool {pool}")
    _ask_follow()


def _ask_follow() -> bool:
    """One ``theo-doi`` run now: the calendar of every open cycle, created or brought in step."""
    import time

    from danvan.runtime.api import PrefectRest, PrefectUnavailable, configured_api_url
    from danvan.tasks.calendar import run_spec

    key = f"danvan:start:{os.getpid()}:{time.time():.0f}"
    try:
        with PrefectRest(configured_api_url() or "") as rest:
            spec = run_spec("theo-doi", "theo-doi", key, None, {}, ("danvan", "theo-doi"))
            return rest.create_run(spec) is not None
    except PrefectUnavailable:
        return False


def _follow_now() -> None:
    """Ask for ``theo-doi`` as soon as ``serve`` has registered the deployments."""
    import threading
    import time

    def later() -> None:
        for _ in range(60):
            time.sleep(1)
            if _ask_follow():
                return

    threading.Thread(target=later, daemon=True).start()


@contextmanager
def _local_server(port: int) -> Iterator[str]:
    """A Prefect server on SQLite beside danvan's database, for as long as we serve."""
    from danvan.runtime import local as prefect_local
    from danvan.runtime.api import served_api_file

    address = served_api_file()
    try:
        server = prefect_local.start(address.parent, port)
    except prefect_local.LocalServerFailed as exc:
        err(f"Prefect server không khởi động được; xem {exc}. [prefect_unavailable]")
        raise typer.Exit(1) from None
    previous = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(server.home)  # this process's own client state, beside it
    address.write_text(server.url + "\n", encoding="utf-8")  # for the officials' commands
    try:
        yield server.url
    finally:
        address.unlink(missing_ok=True)
        server.stop()
        if previous is None:
            os.environ.pop("PREFECT_HOME", None)
        else:
            os.environ["PREFECT_HOME"] = previous


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
    provinces: Annotated[
        int,
        typer.Option("--provinces", min=1, help="Số tỉnh cùng CSDL (đo tỉnh cuối)."),
    ] = 1,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help="Bỏ qua bước (lặp lại được): templates, inbox, workbooks, status, remind, compile, "
            "portal.",
        ),
    ] = None,
    portal_port: Annotated[
        int | None,
        typer.Option("--portal-port", min=1, help="Cổng cố định của cổng thông tin."),
    ] = None,
) -> None:
    """Đo thời gian từng bước của một kỳ trên tỉnh giả lập N đơn vị (từ nạp cây đến tổng hợp).

    Dùng CSDL riêng (SQLite tạm, hoặc CSDL trống ở --database-url), không bao giờ dùng
    DANVAN_DATABASE_URL; không gửi tin nào ra ngoài (biên nhận ở bước cổng thông tin gửi đến một
    điểm nhận trên 127.0.0.1). Mỗi bước có thời gian thực, thời gian CPU và "mức sàn" (cùng
    công việc tối thiểu: SQL thuần, tệp write-only) đo ngay trong lần chạy.

    Ví dụ: danvan bench --units 1000 --database-url postgresql+psycopg://localhost/danvan_bench
    """
    from danvan.config.settings import get_settings
    from danvan.demo import bench as b

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
        unknown = sorted(set(skip or ()) - set(b.SKIPPABLE))
        if unknown:
            raise typer.BadParameter(
                f"--skip: không có bước {', '.join(unknown)} (có: {', '.join(b.SKIPPABLE)})"
            )
        run = b.run_bench(
            units, workdir, url, provinces=provinces, skip=skip or (), portal_port=portal_port
        )
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
    from danvan.models.db import _engines

    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def _print_bench(run: BenchRun, keep: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    where = f"{run.provinces} tỉnh × " if run.provinces > 1 else ""
    table = Table(title=f"danvan bench: {where}{run.units} đơn vị, {run.database}")
    table.add_column("stage")
    table.add_column("wall s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("floor CPU s", justify="right")
    table.add_column("× floor", justify="right")
    table.add_column("units/s", justify="right")
    table.add_column("note (floor)")

    def num(value: float | None, fmt: str = ".3f") -> str:
        return "—" if value is None else format(value, fmt)

    long_notes: list[tuple[str, list[str]]] = []
    for s in run.stages:
        note = s.note + (f" ({s.floor_note})" if s.floor_note else "")
        if "; " in s.note:  # several figures (the portal's CPU per request): one line each, below
            long_notes.append((s.name, s.note.split("; ")))
            note = "xem dưới bảng" + (f" ({s.floor_note})" if s.floor_note else "")
        table.add_row(s.name, num(s.seconds), num(s.cpu), num(s.floor_cpu), num(s.ratio, ".1f"),
                      num(s.per_second, ",.0f"), note)  # fmt: skip
    console = Console()
    if not console.is_terminal:  # a log or a pipe: one row a line, never wrapped at 80
        console = Console(width=200)
    console.print(table)
    for name, lines in long_notes:
        console.print(f"{name}:")
        for line in lines:
            console.print(f"  {line}", soft_wrap=True)
    if keep is not None:
        console.print(f"Đã giữ tệp và CSDL thử tải trong {keep}")
