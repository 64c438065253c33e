"""The command line speaks Vietnamese: every command's --help and the usage errors (issue #11).

The walker takes whatever commands exist, so a command added later with English help or an
English Click message fails here.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest
import typer

from danvan.cli import CYCLE_ORDER, app
from danvan.cli.vi import translate

#: Click/Typer boilerplate that must never reach an official.
ENGLISH = ("Usage:", "Options", "Arguments", "Commands", " Error", "Show this message",
           "Example:", "Missing argument", "Missing option", "No such", "Invalid value",
           "[default:", "[required]", "<bool>", "<int>", "<str>", "Try '", "for help",
           "Did you mean", "requires an argument", "Input should", "Got unexpected",
           "SPEC §")  # fmt: skip
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


def _walk(group: Any, prefix: list[str]) -> list[list[str]]:
    found = []
    for name, command in group.commands.items():
        path = [*prefix, name]
        found.append(path)
        if hasattr(command, "commands"):
            found += _walk(command, path)
    return found


ROOT = typer.main.get_command(app)
PATHS = [[], *_walk(ROOT, [])]


def _command(path: list[str]) -> Any:
    command: Any = ROOT
    for name in path:
        command = command.commands[name]
    return command


def _english(text: str) -> list[str]:
    return [w for w in ENGLISH if w in text]


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "danvan" for p in PATHS])
def test_every_help_is_vietnamese(cli, path: list[str]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*path, "--help")
    assert r.exit_code == 0
    assert not _english(r.stdout), f"danvan {' '.join(path)} --help: {_english(r.stdout)}"
    assert "Cách dùng: danvan" in r.stdout and "Hiện hướng dẫn này rồi thoát." in r.stdout
    summary = (_command(path).help or "").strip().splitlines()[0]
    assert VIETNAMESE.search(summary), f"danvan {' '.join(path)}: summary not Vietnamese: {summary}"
    for param in _command(path).params:
        if getattr(param, "help", None):
            assert VIETNAMESE.search(param.help), f"{path} {param.name}: {param.help}"


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "danvan" for p in PATHS])
def test_no_help_breaks_a_sentence(cli, path: list[str], monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """On a wide terminal a sentence is one line: a line that does not end a sentence is never
    followed by the rest of it (the source's wrapping does not reach the screen)."""
    monkeypatch.setenv("COLUMNS", "1000")
    out = cli(*path, "--help").stdout
    prose = [line.strip() for line in out.split("╭")[0].splitlines()]
    for line, after in pairwise(prose):
        if line and after and not line.startswith("Cách dùng"):
            assert (
                line.endswith((".", ":", ";", "!", "?"))
                or line.startswith("Ví dụ")
                or not (after[0].islower())
            ), f"danvan {' '.join(path)}: «{line}» / «{after}»"


def test_commands_are_listed_in_the_order_of_the_cycle(cli) -> None:  # type: ignore[no-untyped-def]
    text = cli("--help").stdout
    listed = [n for n in ROOT.list_commands(None) if re.search(rf"│ {n} ", text)]
    known = [n for n in listed if n in CYCLE_ORDER]
    assert known == sorted(known, key=CYCLE_ORDER.index)
    assert listed[:3] == ["init", "org", "plan"]
    assert listed.index("submit") < listed.index("appraise") < listed.index("compile")
    assert listed.index("compile") < listed.index("publish")


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--version")
    assert r.exit_code == 0 and re.fullmatch(r"danvan \d+\.\d+\.\d+\S*\n", r.stdout)


USAGE_ERRORS = [
    (["status", "--cycle", "abc"], "Giá trị không hợp lệ cho '--cycle': phải là một số nguyên"),
    (["status"], "Thiếu tùy chọn '--cycle'"),
    (["appraise"], "Thiếu tham số 'TỆP'"),
    (["status", "--cycle", "2024", "--at", "hôm qua"], "--at: “hôm qua” không phải ngày giờ ISO"),
    (["status", "--cycle", "2024", "--format", "xml"], "'xml' không có; chọn một trong"),
    (["status", "--cycle"], "Tùy chọn '--cycle' cần một giá trị"),
    (["statu"], "Không có lệnh 'statu'. Có phải ý bạn là 'status'?"),
    (["compile", "--cycle", "2024", "--bogus"], "Không có tùy chọn --bogus"),
    (["init", "thừa"], "Thừa tham số: thừa"),
]


@pytest.mark.parametrize(
    ("argv", "expected"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_usage_errors_are_vietnamese_and_name_the_option(cli, argv, expected) -> None:  # type: ignore[no-untyped-def]
    r = cli(*argv)
    assert r.exit_code == 2
    text = " ".join(r.stderr.split())  # the panel wraps lines
    assert expected in text, r.stderr
    assert not _english(r.stderr), _english(r.stderr)
    assert "Lỗi" in r.stderr
    if argv != ["status", "--cycle"]:  # Click knows no command yet when an option lacks its value
        assert f"Cách dùng: danvan {argv[0] if argv[0] != 'statu' else '[TÙY CHỌN]'}" in r.stderr


LEAVES = [p for p in PATHS if p and not hasattr(_command(p), "commands")]


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_every_command_refuses_an_unknown_option_in_vietnamese(cli, path: list[str]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*path, "--khong-co")
    assert r.exit_code == 2
    assert "Không có tùy chọn --khong-co" in " ".join(r.stderr.split())
    assert not _english(r.stderr), _english(r.stderr)


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Missing option '--by'.", "Thiếu tùy chọn '--by'."),
        ("Option '--unit' requires 2 arguments.", "Tùy chọn '--unit' cần 2 giá trị."),
        ("Invalid value for '--port': Input should be a valid integer, unable to parse",
         "Giá trị không hợp lệ cho '--port': phải là một số nguyên (vd. 2024)"),
        ("Missing parameter: file", "Thiếu file."),
    ],
)  # fmt: skip
def test_translation_table(english: str, vietnamese: str) -> None:
    assert translate(english) == vietnamese
