"""One settings object, read from the environment and ``.env``, validated at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """``DANVAN_*`` variables (and ``PREFECT_API_URL``). Nothing here is required."""

    model_config = SettingsConfigDict(env_prefix="DANVAN_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./danvan.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    out_dir: Path = Path("danvan-out")
    #: Where the CLI sends flow runs. Unset: flows run in-process, no Prefect server involved.
    prefect_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("PREFECT_API_URL", "DANVAN_PREFECT_API_URL")
    )
    #: Extra days off (government bridge days) and make-up working days, ISO dates, comma-separated.
    extra_holidays: str = ""
    extra_working_days: str = ""
    notify_timeout_seconds: float = 10.0
    notify_retries: int = 2
    notify_concurrency: int = 16
    #: SPEC §4.7 limits of what users hand in (a workbook, its content, its sheets, evidence).
    max_upload_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_submission_rows: int = 5_000
    max_org_rows: int = 100_000
    max_evidence_bytes: int = 50 * 1024 * 1024
    #: Zalo Official Account (``zalo://USER_ID`` contacts): the OA's access token (never printed)
    #: and the API's base URL (tests point it at a local endpoint).
    zalo_access_token: SecretStr | None = None
    zalo_api_url: str = "https://openapi.zalo.me"
    #: The portal's public address (``https://danvan.example.gov.vn``). Set: the plan's
    #: announcement and every reminder carry the recipient unit's personal link.
    portal_url: str | None = None
    #: Key that signs the portal's session cookies. Unset: a random key per process (sessions
    #: end when the portal restarts; links keep working). Set it when running several workers.
    portal_secret: str | None = None
    #: Addresses of the reverse proxies whose X-Forwarded-Proto/-For are believed.
    portal_trusted_proxies: str = "127.0.0.1"
    #: Largest upload (a workbook with its report and evidence files), refused while streaming.
    portal_max_upload_mb: int = 50
    #: Requests a link may make in a burst, and per minute after it (token bucket per link).
    portal_rate_burst: int = 60
    portal_rate_per_minute: int = 120

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(("sqlite:", "postgresql")):
            raise ValueError("phải có dạng sqlite:///… hoặc postgresql+psycopg://…")
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v.removeprefix("postgresql://")
        return v


@lru_cache
def get_settings() -> Settings:
    return Settings()
