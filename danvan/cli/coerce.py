"""Typer's coercion of the simple option types without Pydantic.

Typer 0.29 coerces every parameter through a Pydantic ``TypeAdapter``
(``typer._coercion.build_runtime_param``): importing Pydantic and building the adapters was
~0.15 s of ``danvan status`` (issue 20: the command ≤ 0.5 s). The types the commands use —
``str``, ``int``, ``float``, ``bool``, ``Path``, an ``Enum``, an ``Optional`` of these (Typer
strips the ``None``), ``list`` of them — are coerced here with the very functions Typer's
adapters call (``coerce_cli_choice``, ``coerce_cli_path``) or with plain Python where Pydantic's
lax mode gives the same value. Anything else, and any value not plainly valid (a number out of
range, ``1e3`` for an int, bytes…), goes to Typer's own adapter, so values and error messages
(which ``danvan/cli/vi.py`` translates) are unchanged; ``tests/doors/test_cli_coerce.py``
compares both on every command's parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer.core
from typer._click.exceptions import BadParameter
from typer._click.utils import _escape_control_characters
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path

#: What Pydantic reads as the same int (and float) as Python does: plain ASCII digits.
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,15})?")


class _Unsure(Exception):
    """The value is not plainly valid: Typer's adapter decides (and words the error)."""


@dataclass(frozen=True)
class LightRuntimeParam(RuntimeParam):
    """Coerces a simple type itself; hands anything unsure to Typer's adapter."""

    leaf: Any
    is_list: bool

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            if self.is_list:
                items = value if isinstance(value, list | tuple) else [value]
                return [self._leaf(item, param, ctx) for item in items]
            return self._leaf(value, param, ctx)
        except _Unsure:
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)

    def _leaf(self, value: Any, param: Any, ctx: Any) -> Any:
        leaf, info = self.leaf, self.parameter_info
        if isinstance(leaf, type) and issubclass(leaf, Enum):
            try:
                return coerce_cli_choice(
                    value, choices=list(leaf), case_sensitive=info.case_sensitive, ctx=ctx
                )
            except ValueError as exc:  # as Pydantic words a validator's ValueError
                message = _escape_control_characters(f"Value error, {exc}")
                raise BadParameter(message, ctx=ctx, param=param) from None
        if not isinstance(value, str):
            if leaf is bool and isinstance(value, bool):
                return value
            raise _Unsure
        if leaf is str:
            return value
        if leaf is int and _INT.fullmatch(value):
            return _ranged(int(value), info)
        if leaf is float and _FLOAT.fullmatch(value):
            return _ranged(float(value), info)
        if leaf is Path and value and "\0" not in value:
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        raise _Unsure


def _ranged(number: Any, info: Any) -> Any:
    low, high = info.min, info.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Unsure  # Typer clamps or words "greater than or equal to"
    return number


def light_param(descriptor: Any) -> LightRuntimeParam | None:
    """The light coercion of ``descriptor``'s type, None when Typer's must be used."""
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    is_list = get_origin(annotation) is list
    leaf = get_args(annotation)[0] if is_list else annotation
    simple = leaf in (str, int, float, bool) or (isinstance(leaf, type) and issubclass(leaf, Enum))
    if leaf is Path:
        simple = info.path_type is None and routes_to_path(leaf, info)
    if not simple or (is_list and leaf not in (str, Path)):
        return None
    if leaf in (str, bool, Path) and (info.min, info.max) != (None, None):
        return None
    return LightRuntimeParam(parameter_info=info, annotation=annotation, leaf=leaf,
                             is_list=is_list)  # fmt: skip


def install() -> None:
    """Typer's parameters take the light coercion where it applies (idempotent)."""
    cls = typer.core._TyperParameter
    if getattr(cls, "_danvan_light", False):
        return
    cls._danvan_light = True  # type: ignore[attr-defined]
    get_runtime_param = cls.get_runtime_param

    def light_runtime_param(self: Any) -> RuntimeParam:
        if self._runtime_param is None:
            self._runtime_param = light_param(self.type_descriptor)
        return self._runtime_param or get_runtime_param(self)

    cls.get_runtime_param = light_runtime_param  # type: ignore[method-assign]
