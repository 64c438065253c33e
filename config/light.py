"""The settings read without Pydantic, by the rules Pydantic-settings follows, from the one
declaration (``config/declared.py``).

Why: importing Pydantic and Pydantic-settings was ~0.1 s of ``danvan status`` (issue 20: the
command ≤ 0.5 s). The rules, as ``pydantic_settings`` 2 applies them to :class:`Settings`:
environment names are matched without regard to case; a variable set in the environment wins
over the same in ``.env`` (read with python-dotenv, as Pydantic-settings reads it); of several
names (:class:`danvan.config.declared.Env`) the first one found counts; unset, the default. A
value is taken only where Pydantic's lax mode plainly gives the same (digits for a number, one of
a ``Literal``'s words…); anything else — and any value out of its bounds — makes
:func:`read_light` give up (``None``), and the Pydantic reader reads everything, so a wrong value
is still worded by Pydantic. ``tests/storage/test_settings_light.py`` compares both.
"""

from __future__ import annotations

import os
import re
import types
import typing
from pathlib import Path
from typing import Any

from danvan.config.declared import ENV_FILE, Bound, Declared, Secret, env_names, known_backend

_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,15})?")
#: Fields whose value is never shown, not even by ``repr`` (with the database URL's password).
SECRET_FIELDS = ("zalo_access_token", "portal_secret")


class _Unsure(Exception):
    """A value the light reader does not take on itself: Pydantic reads it."""


class LightSettings(Declared):
    """The settings as the light reader found them (same fields and methods as ``Settings``)."""

    def __repr__(self) -> str:
        shown = {
            k: ("'**********'" if k in SECRET_FIELDS and v is not None else repr(v))
            for k, v in vars(self).items()
        }
        shown["database_url"] = re.sub(r"(://[^/\s:@]*):[^@\s/]*@", r"\1:****@",
                                       shown["database_url"])  # fmt: skip
        return "LightSettings(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"


def _env_file() -> dict[str, str | None]:
    path = Path(ENV_FILE).expanduser()
    if not (path.is_file() or path.is_fifo()):
        return {}
    from dotenv import dotenv_values  # lazy: only where a .env file is

    return {k.lower(): v for k, v in dotenv_values(path, encoding=None).items()}


def read_light() -> LightSettings | None:
    """Every setting, or None when a value needs Pydantic (see the module's docstring)."""
    hints = typing.get_type_hints(Declared, include_extras=True)
    env = {k.lower(): v for k, v in os.environ.items()}
    dotenv = _env_file()
    values: dict[str, Any] = {}
    try:
        for name, hint in hints.items():
            raw = None
            for env_name in (n.lower() for n in env_names(name, hints)):
                raw = env.get(env_name)
                if raw is None:
                    raw = dotenv.get(env_name)
                if raw is not None:
                    break
            values[name] = getattr(Declared, name) if raw is None else _value(raw, hint)
        values["database_url"] = known_backend(values["database_url"])
    except (_Unsure, ValueError):
        return None
    settings = LightSettings()
    settings.__dict__.update(values)
    return settings


def _value(raw: str, hint: Any) -> Any:
    """``raw`` as the declared type, where Pydantic would plainly give the same."""
    bounds = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Bound)]
    kind = getattr(hint, "__origin__", hint) if bounds or hasattr(hint, "__metadata__") else hint
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType) and type(None) in args:
        (kind,) = [a for a in args if a is not type(None)]
    if kind is str:
        return raw
    if typing.get_origin(kind) is typing.Literal:
        if raw in typing.get_args(kind):
            return raw
        raise _Unsure
    if kind is Path and raw:
        return Path(raw)
    if kind is Secret:
        return Secret(raw)
    number: float
    if kind is int and _INT.fullmatch(raw):
        number = int(raw)
    elif kind is float and _FLOAT.fullmatch(raw):
        number = float(raw)
    else:
        raise _Unsure
    if not all(b.holds(number) for b in bounds):
        raise _Unsure
    return number
