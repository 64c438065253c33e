"""The light coercion (``danvan/cli/coerce.py``) gives what Typer's Pydantic adapter gives: the
same value, or the same error message, for every parameter of every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from danvan.cli import app
from danvan.cli.coerce import light_param

RAW = ["2024", "0", "-3", "+7", "0123", "1e3", "2024.0", " 12", "12 ", "", "x", "١٢",
       "99999999999999999999", "3.5", "-0.25", "table", "JSON", "csv", "text", "jsonl", "nope",
       "a.yaml", "./b/c.xlsx", "-", "QNG.BSN", "Đồng ý", "a\tb"]  # fmt: skip


def _params() -> list[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    out = []

    def walk(cmd: Any, path: str) -> None:
        for p in cmd.params:
            out.append((f"{path} {p.name}", cmd, p))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "danvan")
    return out


def _outcome(runtime: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return "value", runtime._coerce_value(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "error", exc.format_message()


@pytest.mark.parametrize(("where", "cmd", "param"), _params(), ids=lambda x: str(x))
def test_light_coercion_is_typers(where: str, cmd: Any, param: Any, tmp_path: Path) -> None:
    light = light_param(param.type_descriptor)
    if light is None:
        pytest.skip(f"{where}: Typer's own coercion")
    typers = build_runtime_param(param.type_descriptor)
    ctx = Context(cmd)
    (tmp_path / "a.yaml").write_text("x")
    values: list[Any] = [*RAW, str(tmp_path / "a.yaml"), str(tmp_path)]
    if light.is_list:
        values = [[v] for v in values] + [values[:3], ()]
    for value in values:
        assert _outcome(light, value, param, ctx) == _outcome(typers, value, param, ctx), (
            where,
            value,
        )


def test_status_options_are_coerced_lightly() -> None:
    """Every option of ``status`` takes the light path (no Pydantic for the common read)."""
    root = typer.main.get_command(app)
    status = root.commands["status"]  # type: ignore[attr-defined]
    assert all(light_param(p.type_descriptor) is not None for p in status.params)


@pytest.mark.parametrize(
    "argv",
    [["--cycle", "abc"], ["--cycle", "1e3"], ["--cycle", "1999"], ["--format", "xml"],
     ["--format", "JSON", "--under", "bad code!"], ["--cycle", "99999999999999999999"],
     ["--all", "--format", "csv", "--unit", ""]],
)  # fmt: skip
def test_status_errors_read_the_same(
    argv: list[str], cli: Any, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    """The Vietnamese usage errors of ``status``'s options, light coercion or Typer's."""
    import typer.core

    args = ["status", "--cycle", "2024", *argv]
    light = cli(*args)
    monkeypatch.setattr("danvan.cli.coerce.light_param", lambda descriptor: None)
    for p in _params():  # the built parameters keep their coercion: start them afresh
        p[2]._runtime_param = None
    typers = cli(*args)
    assert (light.exit_code, light.stdout, light.stderr) == (
        typers.exit_code,
        typers.stdout,
        typers.stderr,
    )
    assert (light.exit_code == 2 and "Lỗi" in light.stderr) or light.exit_code == 1
    assert typer.core._TyperParameter.get_runtime_param  # patched once, still in place
