"""One settings object, read from the environment and ``.env``, validated at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from danvan.rules.limits import DEFAULT_LIMITS, Limits
from danvan.rules.quality import Thresholds

_L = DEFAULT_LIMITS


class Settings(BaseSettings):
    """``DANVAN_*`` variables (and ``PREFECT_API_URL``). Nothing here is required."""

    model_config = SettingsConfigDict(env_prefix="DANVAN_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./danvan.db"
    #: SQLite only: how long a writer waits in line for the database's write lock (held by the
    #: writers ahead of it) before it gives up with ``[db_busy]``.
    sqlite_busy_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: SQLite only: ``normal`` syncs the write-ahead log at checkpoints, not at every commit (a
    #: power cut may lose the last commits, never corrupts); ``full``, an ``fsync`` per commit.
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    timezone: str = "Asia/Ho_Chi_Minh"
    #: One database for several provinces (SPEC §4): the province this process works for, when
    #: more than one has the same year's cycle (``--province`` sets it for one command).
    province: str | None = None
    out_dir: Path = Path("danvan-out")
    #: Processes that write a compile's folders (unset: the machine's cores; 1: in-process).
    compile_workers: int | None = Field(default=None, ge=1, le=64)
    #: Where danvan's own REST calls go (the officials' commands, and the calls a run makes).
    #: Unset: flows run in-process, no Prefect server involved. ``DANVAN_PREFECT_API_URL`` comes
    #: first: a worker sets ``PREFECT_API_URL`` for its runs, danvan's own setting still counts.
    prefect_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DANVAN_PREFECT_API_URL", "PREFECT_API_URL")
    )
    #: Extra days off (government bridge days) and make-up working days, ISO dates, comma-separated.
    extra_holidays: str = ""
    extra_working_days: str = ""
    #: ``letterhead.yaml`` (SPEC §3.7): who issues and signs the compiled reports. Unset: defaults.
    letterhead: Path | None = None
    #: Apprise URLs of the operators (comma- or space-separated): told once, in Vietnamese, of a
    #: Prefect run that failed or crashed, a run whose deliveries all failed, a sign-off waiting
    #: more than a day after its time (``tasks/alerts.py``). Unset: nobody is told.
    operator_contacts: str = ""
    #: Tổng hợp ngay: a compile request that no runner has started this many minutes after it
    #: was asked (a Prefect server with no worker, or its pool paused) is failed
    #: ``[compile_not_started]``, its run cancelled, the operators told, and the compiler may
    #: ask again (``tasks/compile_requests.py``).
    compile_start_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    notify_timeout_seconds: float = 10.0
    notify_retries: int = 2
    notify_concurrency: int = 16
    #: SPEC §4.7 limits of what users hand in; every reader takes them from :meth:`limits`.
    #: A submission, workbook, org tree, plan, criteria or appraisal file.
    max_upload_bytes: int = Field(default=_L.max_file_bytes, gt=0)
    #: The uncompressed content of a workbook.
    max_uncompressed_bytes: int = Field(default=_L.max_uncompressed_bytes, gt=0)
    max_submission_rows: int = Field(default=_L.max_submission_rows, gt=0)
    max_org_rows: int = Field(default=_L.max_org_rows, gt=0)
    #: A report or evidence file.
    max_evidence_bytes: int = Field(default=_L.max_attachment_bytes, gt=0)
    #: Any text value of an input file, and any number's magnitude.
    max_text_chars: int = Field(default=_L.max_text_chars, gt=0)
    max_number: int = Field(default=_L.max_number, gt=0)

    def limits(self) -> Limits:
        """The input limits as the pure rules take them."""
        return Limits(
            max_file_bytes=self.max_upload_bytes,
            max_uncompressed_bytes=self.max_uncompressed_bytes,
            max_submission_rows=self.max_submission_rows,
            max_org_rows=self.max_org_rows,
            max_attachment_bytes=self.max_evidence_bytes,
            max_text_chars=self.max_text_chars,
            max_number=self.max_number,
        )

    #: SPEC §3.8's data-quality thresholds (``DANVAN_FLAG_*``), defaults as the SPEC's.
    flag_yoy_factor: float = Field(default=3.0, gt=1)
    flag_yoy_min: int = Field(default=50, ge=0)
    flag_peer_z: float = Field(default=3.5, gt=0)
    flag_peer_min_units: int = Field(default=8, ge=3)
    flag_peer_min_denominator: int = Field(default=20, ge=1)

    def flag_thresholds(self) -> Thresholds:
        return Thresholds(
            yoy_factor=self.flag_yoy_factor,
            yoy_min=self.flag_yoy_min,
            peer_z=self.flag_peer_z,
            peer_min_units=self.flag_peer_min_units,
            peer_min_denominator=self.flag_peer_min_denominator,
        )

    #: Zalo Official Account (``zalo://USER_ID`` contacts): the OA's access token (never printed)
    #: and the API's base URL (tests point it at a local endpoint).
    zalo_access_token: SecretStr | None = None
    zalo_api_url: str = "https://openapi.zalo.me"
    #: a run stops claiming new messages after this long; the rest wait for the next run
    notify_budget_seconds: float = 60.0
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
    #: PostgreSQL connections a process keeps open for reuse, and how many more it may open
    #: for a while (closed after use): the portal's threads share them, a command uses one.
    db_pool_size: int = Field(default=15, ge=1, le=200)
    db_pool_overflow: int = Field(default=5, ge=0, le=200)

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
