"""``danvan flag check``: a compiler marks a data-quality flag checked, with a note (SPEC §3.8).

The flags themselves are shown by ``status`` (table, JSON ``units[].flags``, CSV), the portal's
compiler pages, ``summary.json`` and the compiled report's appendix *Số liệu cần kiểm tra*.
"""

from __future__ import annotations

from typing import Annotated

import typer

from danvan.cli import At, Cycle, app
from danvan.cli.common import (  # noqa: F401 (print_flags: re-exported)
    JsonOrText,
    check_code_option,
    handles_rejections,
    parse_at,
    print_flags,
    print_json,
)

flag_app = typer.Typer(
    help="Số liệu cần kiểm tra: đánh dấu đã kiểm tra (có ghi chú).", no_args_is_help=True
)
app.add_typer(flag_app, name="flag")


@flag_app.command("check")
@handles_rejections
def check(
    cycle: Cycle,
    unit: Annotated[
        str,
        typer.Option(
            "--unit", help="Mã đơn vị có số liệu cần kiểm tra.", callback=check_code_option
        ),
    ],
    field: Annotated[
        str, typer.Option("--field", help="Mục số liệu, vd. admin_procedures.received.")
    ],
    by: Annotated[
        str,
        typer.Option("--by", help="Mã đơn vị tổng hợp đã kiểm tra.", callback=check_code_option),
    ],
    note: Annotated[str, typer.Option("--note", help="Đã kiểm tra thế nào, kết quả ra sao.")],
    at: At = None,
    fmt: Annotated[JsonOrText, typer.Option("--format")] = JsonOrText.text,
) -> None:
    """Đánh dấu số liệu cần kiểm tra của một đơn vị là đã kiểm tra, kèm ghi chú.

    Số liệu đã kiểm tra không còn trong phụ lục “Số liệu cần kiểm tra” của báo cáo tổng hợp;
    nếu đơn vị sửa số liệu đó, cảnh báo mới lại hiện ra.

    Ví dụ: danvan flag check --cycle 2024 --unit QNG.BSN.X07 --field admin_procedures.received --by QNG.BSN --note "Đã gọi xã: gõ nhầm, xã đã gửi lại"
    """
    from danvan.tasks.quality import check_flag

    done = check_flag(
        year=cycle, unit=unit, field=field, by=by, note=note, at=parse_at(at), actor=f"cli:{by}"
    )
    if fmt is JsonOrText.json:
        print_json(done)
        return
    if done["checked"]:
        typer.echo(f"Đã đánh dấu đã kiểm tra: {unit} — {field} ({', '.join(done['kinds'])}).")
    else:
        typer.echo(f"Đã kiểm tra trước đó: {unit} — {field} (không ghi thêm).")
