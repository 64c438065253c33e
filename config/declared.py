"""Every setting declared once: its name, type, default, bounds and environment names.

Why plain Python: two readers derive from this one declaration. The Pydantic-settings class
(``config/settings_model.py``) subclasses it (Pydantic takes fields from a plain base's
annotations; :func:`pydantic_metadata` turns the markers below into its constraints and aliases);
the light reader (``config/light.py``) reads the same fields without importing Pydantic, which
cost ``danvan status`` ~0.1 s (issue 20). ``tests/storage/test_settings_light.py`` holds both to
the same values for every field.

Nothing here is required. Environment names: ``DANVAN_<FIELD>`` unless :class:`Env` names them.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

from danvan.rules.limits import DEFAULT_LIMITS, Limits
from danvan.rules.quality import Thresholds

_L = DEFAULT_LIMITS
ENV_PREFIX = "DANVAN_"
ENV_FILE = ".env"


class Bound:
    """A number's bounds (Pydantic's ``gt``/``ge``/``le``)."""

    def __init__(self, *, gt: float | None = None, ge: float | None = None,
                 le: float | None = None) -> None:  # fmt: skip
        self.gt, self.ge, self.le = gt, ge, le

    def kwargs(self) -> dict[str, float]:
        return {
            k: v for k, v in (("gt", self.gt), ("ge", self.ge), ("le", self.le)) if v is not None
        }

    def holds(self, value: float) -> bool:
        return (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.le is None or value <= self.le)
        )


class Env:
    """The environment names a setting is read from, the first found winning (instead of
    ``DANVAN_<FIELD>``)."""

    def __init__(self, *names: str) -> None:
        self.names = names


class Secret:
    """A secret's value, never shown (``repr``, ``str``): Pydantic's ``SecretStr`` without
    Pydantic. Pydantic validates it from a string through :meth:`__get_pydantic_core_schema__`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema  # lazy: only the Pydantic reader asks

        from_str = core_schema.no_info_after_validator_function(cls, core_schema.str_schema())
        return core_schema.union_schema([core_schema.is_instance_schema(cls), from_str])


def known_backend(url: str) -> str:
    """``DANVAN_DATABASE_URL``: SQLite or PostgreSQL (``postgresql://`` means psycopg's)."""
    if not url.startswith(("sqlite:", "postgresql")):
        raise ValueError("phải có dạng sqlite:///… hoặc postgresql+psycopg://…")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Declared:
    """``DANVAN_*`` variables (and ``PREFECT_API_URL``), with their defaults."""

    database_url: str = "sqlite:///./danvan.db"
    #: SQLite only: how long a writer waits in line for the database's write lock (held by the
    #: writers ahead of it) before it gives up with ``[db_busy]``.
    sqlite_busy_seconds: Annotated[float, Bound(gt=0, le=3600)] = 30.0
    #: SQLite only: ``normal`` syncs the write-ahead log at checkpoints, not at every commit (a
    #: power cut may lose the last commits, never corrupts); ``full``, an ``fsync`` per commit.
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    timezone: str = "Asia/Ho_Chi_Minh"
    #: One database for several provinces (SPEC §4): the province this process works for, when
    #: more than one has the same year's cycle (``--province`` sets it for one command).
    province: str | None = None
    out_dir: Path = Path("danvan-out")
    #: Processes that write a compile's folders (unset: the machine's cores; 1: in-process).
    compile_workers: Annotated[int | None, Bound(ge=1, le=64)] = None
    #: Where danvan's own REST calls go (the officials' commands, and the calls a run makes).
    #: Unset: flows run in-process, no Prefect server involved. ``DANVAN_PREFECT_API_URL`` comes
    #: first: a worker sets ``PREFECT_API_URL`` for its runs, danvan's own setting still counts.
    prefect_api_url: Annotated[str | None, Env("DANVAN_PREFECT_API_URL", "PREFECT_API_URL")] = None
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
    compile_start_minutes: Annotated[float, Bound(gt=0, le=24 * 60)] = 10.0
    notify_timeout_seconds: float = 10.0
    notify_retries: int = 2
    notify_concurrency: int = 16
    #: SPEC §4.7 limits of what users hand in; every reader takes them from :meth:`limits`.
    #: A submission, workbook, org tree, plan, criteria or appraisal file.
    max_upload_bytes: Annotated[int, Bound(gt=0)] = _L.max_file_bytes
    #: The uncompressed content of a workbook.
    max_uncompressed_bytes: Annotated[int, Bound(gt=0)] = _L.max_uncompressed_bytes
    max_submission_rows: Annotated[int, Bound(gt=0)] = _L.max_submission_rows
    max_org_rows: Annotated[int, Bound(gt=0)] = _L.max_org_rows
    #: A report or evidence file.
    max_evidence_bytes: Annotated[int, Bound(gt=0)] = _L.max_attachment_bytes
    #: Any text value of an input file, and any number's magnitude.
    max_text_chars: Annotated[int, Bound(gt=0)] = _L.max_text_chars
    max_number: Annotated[int, Bound(gt=0)] = _L.max_number
    #: SPEC §3.8's data-quality thresholds (``DANVAN_FLAG_*``), defaults as the SPEC's.
    flag_yoy_factor: Annotated[float, Bound(gt=1)] = 3.0
    flag_yoy_min: Annotated[int, Bound(ge=0)] = 50
    flag_peer_z: Annotated[float, Bound(gt=0)] = 3.5
    flag_peer_min_units: Annotated[int, Bound(ge=3)] = 8
    flag_peer_min_denominator: Annotated[int, Bound(ge=1)] = 20
    #: Zalo Official Account (``zalo://USER_ID`` contacts): the OA's access token (never printed)
    #: and the API's base URL (tests point it at a local endpoint).
    zalo_access_token: Secret | None = None
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
    db_pool_size: Annotated[int, Bound(ge=1, le=200)] = 15
    db_pool_overflow: Annotated[int, Bound(ge=0, le=200)] = 5

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

    def flag_thresholds(self) -> Thresholds:
        return Thresholds(
            yoy_factor=self.flag_yoy_factor,
            yoy_min=self.flag_yoy_min,
            peer_z=self.flag_peer_z,
            peer_min_units=self.flag_peer_min_units,
            peer_min_denominator=self.flag_peer_min_denominator,
        )


def field_names() -> list[str]:
    """Every setting's name, in declaration order."""
    return list(Declared.__annotations__)


def env_names(field: str, hints: dict[str, Any]) -> tuple[str, ...]:
    """The environment names of ``field`` (``hints``: the declaration's, extras included)."""
    env = next((m for m in getattr(hints[field], "__metadata__", ()) if isinstance(m, Env)), None)
    return env.names if env is not None else (f"{ENV_PREFIX}{field.upper()}",)
