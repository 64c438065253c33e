"""The command line in Vietnamese: Typer's help panels, usage line and usage errors.

Typer vendors its own copy of Click whose messages are English f-strings (``Missing argument``,
``No such option``, ``Invalid value for``): no gettext catalogue reaches them. So the CLI speaks
Vietnamese at the two places an official reads them: the help layout (Typer's panel titles are
module settings) and the error panel (each English sentence is matched and rewritten, naming the
option as Click named it). Anything not matched is shown as it came, after the Vietnamese part,
rather than hidden. :func:`install` is called once when ``danvan.cli`` is imported.
"""

from __future__ import annotations

import importlib.machinery
import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

HELP_OPTION_TEXT = "Hiện hướng dẫn này rồi thoát."
USAGE_PREFIX = "Cách dùng: "

_PANELS = {
    "ARGUMENTS_PANEL_TITLE": "Tham số",
    "OPTIONS_PANEL_TITLE": "Tùy chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi",
    "ABORTED_TEXT": "Đã dừng.",
    "RICH_HELP": "Xem hướng dẫn: [blue]{command_path} {help_option}[/]",
    "DEFAULT_STRING": "[mặc định: {}]",
    "ENVVAR_STRING": "[biến môi trường: {}]",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "DEPRECATED_STRING": "(không dùng nữa) ",
}
_GETTEXT = {
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Missing command.": "Thiếu lệnh.",
    "Aborted!": "Đã dừng.",
}
_USAGE_WORDS = (("[OPTIONS]", "[TÙY CHỌN]"), ("COMMAND [ARGS]...", "LỆNH [THAM SỐ]..."))
_TYPES = {"bool": "", "int": "<số>", "str": "<chữ>", "float": "<số>", "path": "<tệp>",
          "file": "<tệp>", "dir": "<thư mục>", "datetime": "<ngày giờ>"}  # fmt: skip

#: Reasons inside "Invalid value for X: <reason>" (Typer's coercion and Pydantic's wording).
_REASONS: list[tuple[str, str]] = [
    (r"Input should be a valid integer.*", "phải là một số nguyên (vd. 2024)"),
    (r"Input should be a valid number.*", "phải là một số"),
    (r"Input should be a valid boolean.*", "phải là có/không (true/false)"),
    (r"Value error, (.+) is not one of (.+?)\.?", "\\1 không có; chọn một trong: \\2"),
    (r"Input should be (.+)", "phải là một trong: \\1"),
    (r"Value (.+) is not a valid (\w+)\.", "\\1 không hợp lệ"),
    (r"(?:File|Path|Directory) (.+) does not exist\.", "không có \\1"),
]
#: Whole messages of Click's usage errors.
_MESSAGES: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"Invalid value for (.+?): (.*)", lambda m: f"Giá trị không hợp lệ cho {m[1]}: {reason(m[2])}"),
    (r"Invalid value: (.*)", lambda m: f"Giá trị không hợp lệ: {reason(m[1])}"),
    (r"Missing argument ('.+?'|\S+)\.\s*(.*)", lambda m: f"Thiếu tham số {m[1]}. {translate(m[2])}"),
    (r"Missing option ('.+?'|\S+)\.\s*(.*)", lambda m: f"Thiếu tùy chọn {m[1]}. {translate(m[2])}"),
    (r"Missing parameter (.+?)\.\s*(.*)", lambda m: f"Thiếu {m[1]}. {translate(m[2])}"),
    (r"Missing parameter: (.+)", lambda m: f"Thiếu {m[1]}."),
    (r"No such option: (\S+)\s*(?:\(Possible options: (.+)\))?",
     lambda m: f"Không có tùy chọn {m[1]}." + (f" Có phải ý bạn là {m[2]}?" if m[2] else "")),
    (r"No such command '(.+?)'\.(?: Did you mean (.+)\?)?",
     lambda m: f"Không có lệnh '{m[1]}'." + (f" Có phải ý bạn là {m[2]}?" if m[2] else "")),
    (r"Không có lệnh '(.+?)'\.(?: Did you mean (.+)\?)",
     lambda m: f"Không có lệnh '{m[1]}'. Có phải ý bạn là {m[2]}?"),
    (r"Option '(.+?)' requires an argument\.", lambda m: f"Tùy chọn '{m[1]}' cần một giá trị."),
    (r"Option '(.+?)' requires (\d+) arguments\.",
     lambda m: f"Tùy chọn '{m[1]}' cần {m[2]} giá trị."),
    (r"Option '(.+?)' does not take a value\.",
     lambda m: f"Tùy chọn '{m[1]}' không nhận giá trị."),
    (r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", lambda m: f"Thừa tham số: {m[1]}."),
    (r"Argument '(.+?)' takes (\d+) values\.", lambda m: f"Tham số '{m[1]}' cần {m[2]} giá trị."),
    (r"Choose from:\s*(.*)", lambda m: f"Chọn một trong: {m[1]}"),
    (r"Missing command\.", lambda m: "Thiếu lệnh."),
]  # fmt: skip


def reason(text: str) -> str:
    """Translate the reason part of an "Invalid value" message."""
    for pattern, replacement in _REASONS:
        m = re.fullmatch(pattern, text.strip(), flags=re.DOTALL)
        if m:
            return m.expand(replacement).replace(" or ", " hoặc ")
    return text


def translate(message: str) -> str:
    """Click's English usage error → Vietnamese (unknown text is kept as it came)."""
    text = message.strip()
    if not text:
        return ""
    for pattern, render in _MESSAGES:
        m = re.fullmatch(pattern, text, flags=re.DOTALL)
        if m:
            return render(m).strip()
    return text


_SENTENCE_END = (".", ":", ";", "!", "?")
_OWN_LINE = ("- ", "Ví dụ", " ")
_EXAMPLE = ("danvan ", "- ", "Ví dụ", " ")


def unwrap(help_text: str) -> str:
    """A docstring's sentence wrapped in the source is one line on screen: Typer keeps every
    newline of a paragraph, so a sentence would break mid-way at whatever width. Lines that end a
    sentence, examples (``Ví dụ: danvan …``) and list items keep their own line."""
    out: list[str] = []
    for line in help_text.split("\n"):
        prev = out[-1] if out else ""
        joins = prev.strip() and line.strip() and not prev.rstrip().endswith(_SENTENCE_END)
        if joins and not line.startswith(_OWN_LINE) and not prev.startswith(_EXAMPLE):
            out[-1] = f"{prev.rstrip()} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def _usage(args: str) -> str:
    for en, vi in _USAGE_WORDS:
        args = args.replace(en, vi)
    return args


class _PatchOnImport:
    """Finds ``typer.rich_utils`` as usual and patches it right after it runs (a meta path
    finder by its ``find_spec``: subclassing ``importlib.abc.MetaPathFinder`` imported
    ``importlib.resources``, ~6 ms of every command)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "typer.rich_utils":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = spec.loader if spec is not None else None
        if isinstance(
            loader, importlib.machinery.SourceFileLoader | importlib.machinery.SourcelessFileLoader
        ):
            run = loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                _install_rich(module)

            loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _install_rich(ru: Any) -> None:
    """The help panels' titles, the error panel and the help text, in Vietnamese."""
    if getattr(ru, "_danvan_vi", False):
        return
    ru._danvan_vi = True
    for name, text in _PANELS.items():
        setattr(ru, name, text)

    format_error = ru.rich_format_error

    def vi_format_error(self: Any) -> None:
        english = self.format_message()
        self.format_message = lambda: translate(english)
        format_error(self)

    ru.rich_format_error = vi_format_error

    get_help_text = ru._get_help_text

    def vi_help_text(*, obj: Any, markup_mode: Any) -> Any:
        if obj.help:
            obj.help = unwrap(inspect.cleandoc(obj.help))
        return get_help_text(obj=obj, markup_mode=markup_mode)

    ru._get_help_text = vi_help_text


def install() -> None:
    """Point Typer's help and error rendering at Vietnamese (idempotent).

    Typer's rich layer (``typer.rich_utils``, with rich's markdown, syntax and traceback) is
    patched when Typer first imports it — for help or an error — not here: a command that
    answers normally (``status``) never loads it, ~0.15 s of its start."""
    import typer.core
    from typer._click import core as click_core
    from typer._click import formatting

    if getattr(typer.core, "_danvan_vi", False):
        return
    typer.core._danvan_vi = True  # type: ignore[attr-defined]
    if "typer.rich_utils" in sys.modules:
        _install_rich(sys.modules["typer.rich_utils"])
    else:
        sys.meta_path.insert(0, _PatchOnImport())
    typer.core._ = lambda s: _GETTEXT.get(s, s)  # type: ignore[assignment]

    write_usage = formatting.HelpFormatter.write_usage

    def vi_write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, _usage(args), USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = vi_write_usage  # type: ignore[method-assign]

    get_help_option = click_core.Command.get_help_option

    def vi_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    click_core.Command.get_help_option = vi_help_option  # type: ignore[method-assign]

    display_type = typer.core._TyperParameter.display_type

    def vi_display_type(self: Any, ctx: Any) -> str:
        text = display_type(self, ctx)
        bare = text.strip("<>")
        return _TYPES.get(bare, text) if text.startswith("<") else text

    typer.core._TyperParameter.display_type = vi_display_type  # type: ignore[method-assign]
