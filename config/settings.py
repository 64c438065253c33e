"""One settings object, read from the environment and ``.env``, validated at start.

Each setting is declared once (``config/declared.py``). :func:`get_settings` reads them with
the light reader (``config/light.py``, no Pydantic: ``danvan status`` ≤ 0.5 s, issue 20) and
falls back to the Pydantic-settings class (:class:`Settings`, ``config/settings_model.py``)
whenever a value is not plainly valid, so that a wrong one is refused in Pydantic's words.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from danvan.config.declared import Declared
from danvan.config.light import read_light

if TYPE_CHECKING:
    from danvan.config.settings_model import Settings


@lru_cache
def get_settings() -> Declared:
    """The process's settings (``cache_clear()`` after changing the environment)."""
    light = read_light()
    if light is not None:
        return light
    from danvan.config.settings_model import Settings  # lazy: see the module's docstring

    return Settings()


def __getattr__(name: str) -> Any:
    """``Settings``, imported (with Pydantic) only when asked for by name."""
    if name == "Settings":
        from danvan.config.settings_model import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Declared", "Settings", "get_settings"]
