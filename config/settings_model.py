"""The settings as a Pydantic-settings class, derived from the one declaration
(``config/declared.py``): the reader of record, used whenever the light reader
(``config/light.py``) is not sure, and the one that words a wrong value's error."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from danvan.config.declared import ENV_FILE, ENV_PREFIX, Bound, Declared, Env, known_backend


class Settings(BaseSettings, Declared):
    """``DANVAN_*`` variables (and ``PREFECT_API_URL``): the fields of :class:`Declared`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        return known_backend(v)


def pydantic_metadata(metadata: list[Any]) -> tuple[list[Any], AliasChoices | None]:
    """The declaration's markers as Pydantic's: bounds as its constraints, names as aliases."""
    out: list[Any] = []
    alias = None
    for m in metadata:
        if isinstance(m, Bound):
            out += Field(**m.kwargs()).metadata
        elif isinstance(m, Env):
            alias = AliasChoices(*m.names)
        else:
            out.append(m)
    return out, alias


for _field in Settings.model_fields.values():
    _field.metadata, _alias = pydantic_metadata(_field.metadata)
    if _alias is not None:
        _field.validation_alias = _alias
Settings.model_rebuild(force=True)
