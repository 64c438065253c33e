"""``danvan``: one console script, a thin skin over the library (SPEC §4).

Exit status: 0 success, 1 rejected input (file, field, reason), 2 usage error.

The commands import what they use (their flow, the core, the database layer, Prefect) inside the
command, not at the top, on purpose: start-up time (``danvan --help`` loads none of it, and each
command loads only what it needs). Likewise the modules that define the commands: the console
script (:func:`main`) imports only the module of the command it was asked for (``danvan status``
does not load ``serve``'s, ``portal``'s or ``compile``'s definitions); ``app``, asked for by name
(tests, ``--help``), has every command (:func:`__getattr__`).
"""

from __future__ import annotations

import copy
import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from danvan.cli import coerce, vi
from danvan.cli.common import (
    AT_HELP,
    JsonOrText,
    check_cycle,
    err,
    handles_rejections,
    parse_at,
    parse_day,
    print_json,
)

vi.install()
coerce.install()

#: Commands in the order of the cycle (SPEC §1, §4); others follow in the order they were added.
CYCLE_ORDER = ("init", "org", "plan", "template", "submit", "status", "remind", "resend", "return",
               "export", "appraise", "compile", "approve", "publish", "reopen", "portal",
               "demo", "serve", "bench")  # fmt: skip


class CycleOrderGroup(TyperGroup):
    """Lists the commands as an official meets them: set up, plan, submit, …, publish."""

    def list_commands(self, ctx):  # Typer's vendored Context
        names = super().list_commands(ctx)
        rank = {n: i for i, n in enumerate(CYCLE_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"danvan {version('danvan')}")
        raise typer.Exit()


_app = typer.Typer(
    name="danvan",
    cls=CycleOrderGroup,
    help="Công tác dân vận chính quyền: kế hoạch, tự đánh giá, nhắc hạn, tổng hợp, xếp loại."
    " Mỗi lệnh có --help kèm ví dụ.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
org_app = typer.Typer(help="Cơ cấu tổ chức: nạp, cập nhật cây đơn vị.", no_args_is_help=True)
plan_app = typer.Typer(help="Kế hoạch của kỳ đánh giá: ban hành.", no_args_is_help=True)
_app.add_typer(org_app, name="org")
_app.add_typer(plan_app, name="plan")


@_app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="In phiên bản danvan rồi thoát.", callback=_version,
                     is_eager=True),
    ] = False,
) -> None:  # fmt: skip
    """Công tác dân vận chính quyền: kế hoạch, tự đánh giá, nhắc hạn, tổng hợp, xếp loại.

    Mỗi lệnh có --help kèm ví dụ. Mã thoát: 0 thành công, 1 dữ liệu bị từ chối, 2 gọi lệnh sai.
    """


At = Annotated[str | None, typer.Option("--at", help=AT_HELP)]
Cycle = Annotated[
    int, typer.Option("--cycle", help="Năm của kỳ đánh giá, vd. 2024.", callback=check_cycle)
]
Fmt = Annotated[
    JsonOrText, typer.Option("--format", help="text: bảng dễ đọc; json: một tài liệu JSON.")
]


@_app.command()
@handles_rejections
def init() -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu (DANVAN_DATABASE_URL, mặc định sqlite:///./danvan.db).

    Ví dụ: danvan init
    """
    from danvan.models.db import get_engine
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
    file: Annotated[Path, typer.Argument(help="Tệp cây đơn vị (org.yaml hoặc org.xlsx).")],
    at: At = None,
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            help="Ngày các thay đổi có hiệu lực (ISO, vd. 2025-07-01: sáp nhập, đổi cấp trên). "
            "Không ghi: sửa bản ghi hiện hành, không chạm tới kỳ đã công bố.",
        ),
    ] = None,
    fmt: Fmt = JsonOrText.text,
) -> None:
    """Nạp hoặc cập nhật cây đơn vị; đơn vị khớp theo mã, không bao giờ bị xóa.

    Mỗi kỳ dùng cây đơn vị có hiệu lực tại hạn tự đánh giá của kỳ; --effective ghi ngày
    hiệu lực của việc sắp xếp lại (sáp nhập, huyện giải thể và các xã chuyển về tỉnh).

    Ví dụ: danvan org import org.yaml
    Ví dụ (sắp xếp lại): danvan org import org-2025.yaml --effective 2025-07-01
    """
    from danvan.tasks.org import import_org

    result = import_org(str(file), parse_at(at), effective=parse_day(effective, "--effective"))
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
    file: Annotated[Path, typer.Argument(help="Tệp kế hoạch (plan.yaml).")],
    at: At = None,
    fmt: Fmt = JsonOrText.text,
) -> None:
    """Ban hành kế hoạch: tạo kỳ đánh giá, đặt các mốc, thông báo cho mọi đơn vị phải đánh giá.

    Các tệp bộ tiêu chí nằm cạnh tệp kế hoạch. Cho biết đơn vị nào chưa có địa chỉ liên hệ.

    Ví dụ: danvan plan issue plan.yaml --at 2024-02-17T09:00
    """
    from danvan.cli.common import after_step
    from danvan.flows.plan import issue_plan

    when = parse_at(at)
    result = issue_plan(str(file), when)
    after_step("plan", when, [result["year"]])
    from danvan.models.db import get_engine, reading
    from danvan.tasks.views import units_without_contact

    with reading(get_engine()) as session:
        no_contact = units_without_contact(
            session, year=result["year"], province=result["province"]
        )
    if fmt is JsonOrText.json:
        print_json(result | {"no_contact": no_contact})
        return
    verb = "Đã ban hành" if result["created"] else "Đã có (không đổi)"
    typer.echo(f"{verb} kế hoạch năm {result['year']} của {result['province']}.")
    for warning in result.get("warnings", []):
        err(f"Cảnh báo: {warning}")
    sent = result["sent"]
    failed = [s for s in sent if not s["ok"]]
    typer.echo(f"Thông báo: {len(sent) - len(failed)} đơn vị đã nhận, {len(failed)} gửi lỗi.")
    for s in failed:
        err(f"  ✗ {s['unit']}: {'; '.join(s['errors'])}")
    if no_contact:
        typer.echo(
            f"Chưa có địa chỉ liên hệ: {len(no_contact)} đơn vị (không nhận được thông báo, nhắc"
            " hạn; bổ sung 'contacts' trong tệp cây đơn vị rồi chạy lại 'danvan org import'):"
        )
        for u in no_contact:
            typer.echo(f"  - {u['code']}: {u['name']}")
    else:
        typer.echo("Mọi đơn vị đều có địa chỉ liên hệ.")


#: The module (``danvan/cli/<name>.py``) that defines each command the console script may be
#: asked for; a command defined here needs none (``init``, ``org``), ``plan`` needs ``amend``.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "init": (), "org": (), "plan": ("amend",),
    "submit": ("intake",), "status": ("intake",), "template": ("intake",), "export": ("intake",),
    "remind": ("cycle",), "resend": ("cycle",), "appraise": ("cycle",), "reopen": ("cycle",),
    "publish": ("cycle",), "return": ("cycle",), "compile": ("cycle",), "demo": ("cycle",),
    "approve": ("cycle",), "serve": ("ops",), "deploy": ("ops",), "bench": ("ops",),
    "portal": ("portal",), "flag": ("quality",),
}  # fmt: skip
#: Every module that defines commands (``--help``, an unknown command, ``app`` by name).
ALL_MODULES = ("amend", "cycle", "intake", "ops", "portal", "quality")
_loading = False


def load_commands(modules: tuple[str, ...] = ALL_MODULES) -> typer.Typer:
    """Import the modules defining ``modules``' commands (they register on the app as they
    are imported) and return the app; with every module, ``danvan.cli.app`` is then bound."""
    global _loading
    _loading = True
    try:
        for name in modules:
            importlib.import_module(f"danvan.cli.{name}")
    finally:
        _loading = False
    if modules == ALL_MODULES:
        globals()["app"] = _app
    return _app


def __getattr__(name: str) -> typer.Typer:
    """``danvan.cli.app``: the app with every command (the command modules themselves, while
    they are imported, get it as it is)."""
    if name == "app":
        return _app if _loading else load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The console script: only the asked command's module is imported (start-up time: issue
    20, ``danvan status`` ≤ 0.5 s); ``--help``, ``--version``, no command or an unknown one
    load every command, so that they are listed."""
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    wanted = COMMAND_MODULES.get(words[0]) if words else None
    if wanted is None or any(a in ("--help", "-h") for a in sys.argv[1:]):
        load_commands(ALL_MODULES)()
        return
    only(load_commands(wanted), words[0])()


def only(app: typer.Typer, name: str) -> typer.Typer:
    """A copy of ``app`` with just the command or group ``name``: Typer builds every registered
    command's Click command (signatures, annotations, help) before running one, ~30 ms of
    ``danvan status`` for the six others its module and this one define (issue 20). The asked
    command's usage line and errors are its own, so they read the same."""
    from typer.main import get_command_name

    def named(info: typer.models.CommandInfo) -> str | None:
        if info.name:
            return info.name
        return get_command_name(info.callback.__name__) if info.callback else None

    mine = copy.copy(app)
    mine.registered_commands = [c for c in app.registered_commands if named(c) == name]
    mine.registered_groups = [g for g in app.registered_groups if g.name == name]
    return mine
