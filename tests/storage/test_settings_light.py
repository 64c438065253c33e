"""The light settings reader (``config/light.py``) and the Pydantic-settings class give the same
value for every field, from the environment, ``.env`` and the defaults; where the light one is
unsure it gives up and Pydantic decides (and words a wrong value)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from danvan.config.declared import Declared, field_names
from danvan.config.light import read_light
from danvan.config.settings import get_settings
from danvan.config.settings_model import Settings

#: A value of every field's type (the environment's text), each different from its default.
SAMPLES = {
    "database_url": "postgresql://u:pw@127.0.0.1:5432/x",
    "sqlite_busy_seconds": "2.5",
    "sqlite_synchronous": "full",
    "timezone": "UTC",
    "province": "QNG",
    "out_dir": "ra/đây",
    "compile_workers": "3",
    "prefect_api_url": "http://127.0.0.1:4200/api",
    "extra_holidays": "2024-09-03",
    "extra_working_days": "2024-09-07",
    "letterhead": "lh.yaml",
    "operator_contacts": "mailto://a@b",
    "compile_start_minutes": "15",
    "notify_timeout_seconds": "3",
    "notify_retries": "0",
    "notify_concurrency": "4",
    "max_upload_bytes": "1000",
    "max_uncompressed_bytes": "2000",
    "max_submission_rows": "10",
    "max_org_rows": "20",
    "max_evidence_bytes": "30",
    "max_text_chars": "40",
    "max_number": "50",
    "flag_yoy_factor": "4",
    "flag_yoy_min": "0",
    "flag_peer_z": "2.5",
    "flag_peer_min_units": "3",
    "flag_peer_min_denominator": "1",
    "zalo_access_token": "bí-mật",
    "zalo_api_url": "http://127.0.0.1:9/zalo",
    "notify_budget_seconds": "5",
    "portal_url": "https://danvan.example.gov.vn",
    "portal_secret": "khóa",
    "portal_trusted_proxies": "10.0.0.1",
    "portal_max_upload_mb": "5",
    "portal_rate_burst": "6",
    "portal_rate_per_minute": "7",
    "db_pool_size": "2",
    "db_pool_overflow": "0",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for k in list(os.environ):
        if k.upper().startswith("DANVAN_") or k.upper() == "PREFECT_API_URL":
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _same() -> Declared:
    light = read_light()
    assert light is not None
    heavy = Settings()
    for name in field_names():
        assert getattr(light, name) == getattr(heavy, name), name
        assert type(getattr(light, name)) is type(getattr(heavy, name)), name
    assert light.limits() == heavy.limits()
    assert light.flag_thresholds() == heavy.flag_thresholds()
    return light


def test_every_field_is_sampled() -> None:
    assert sorted(SAMPLES) == sorted(field_names())


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    _same()


def test_every_field_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in SAMPLES.items():
        clean_env.setenv(f"DANVAN_{name.upper()}", value)
    light = _same()
    assert light.database_url == "postgresql+psycopg://u:pw@127.0.0.1:5432/x"
    shown = repr(light)
    assert "bí-mật" not in shown and "khóa" not in shown and "pw" not in shown


def test_the_env_file_and_precedence(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lines = [f"DANVAN_{n.upper()}={v}" for n, v in SAMPLES.items() if n != "prefect_api_url"]
    lines += ["export danvan_province='QBH'  # a comment", "PREFECT_API_URL=http://x/api"]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _same()
    clean_env.setenv("danvan_timezone", "Asia/Bangkok")  # any case; the environment wins
    clean_env.setenv("DANVAN_PREFECT_API_URL", "http://y/api")  # the first name wins
    light = _same()
    assert (light.timezone, light.province) == ("Asia/Bangkok", "QBH")
    assert light.prefect_api_url == "http://y/api"


def test_the_second_name(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PREFECT_API_URL", "http://z/api")
    assert _same().prefect_api_url == "http://z/api"


@pytest.mark.parametrize(
    ("name", "value"),
    [("sqlite_busy_seconds", "0"), ("sqlite_busy_seconds", "1e2"), ("compile_workers", ""),
     ("compile_workers", "65"), ("sqlite_synchronous", "FULL"), ("notify_retries", "2.0"),
     ("database_url", "mysql://x"), ("max_number", " 7"), ("out_dir", "")],
)  # fmt: skip
def test_unsure_values_go_to_pydantic(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(f"DANVAN_{name.upper()}", value)
    assert read_light() is None
    try:
        heavy = Settings()
    except Exception as exc:  # Pydantic words the error, as before
        assert type(exc).__name__ == "ValidationError"
        with pytest.raises(type(exc)):
            get_settings()
    else:
        assert getattr(get_settings(), name) == getattr(heavy, name)
