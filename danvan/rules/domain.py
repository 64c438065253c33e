"""The cycle's vocabulary as plain values: what rules take and return (no database, no Prefect)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from danvan.rules.quality_checks import Check

UnitKind = Literal["province", "department", "district", "district_office", "commune", "agency"]
UNIT_KINDS: tuple[str, ...] = (
    "province",
    "department",
    "district",
    "district_office",
    "commune",
    "agency",
)
#: Vietnamese labels of the kinds, as reports name the levels (*cấp huyện*, *cấp xã*, *sở, ngành*).
KIND_LABELS: dict[str, str] = {
    "province": "cấp tỉnh",
    "department": "sở, ban, ngành",
    "district": "cấp huyện",
    "district_office": "phòng, ban cấp huyện",
    "commune": "cấp xã",
    "agency": "cơ quan, đơn vị",
}

Milestone = Literal["self_assessment", "district_compilation", "province_scoring"]
MILESTONES: tuple[str, ...] = ("self_assessment", "district_compilation", "province_scoring")
MILESTONE_LABELS: dict[str, str] = {
    "self_assessment": "tự đánh giá, chấm điểm",
    "district_compilation": "tổng hợp, xếp loại cấp huyện",
    "province_scoring": "thẩm định, xếp loại cấp tỉnh",
}

UnitStatus = Literal["on_time", "late", "missing", "returned"]

#: SPEC §3.4: the figure groups and their fields (the appendix tables of the seeds).
FIGURE_GROUPS: dict[str, tuple[str, ...]] = {
    "citizen_reception": (
        "regular_sessions",
        "regular_people",
        "periodic_sessions",
        "periodic_people",
        "cases",
        "group_cases",
    ),
    "petitions": ("received", "in_jurisdiction", "resolved", "outstanding"),
    "staff_complaints": ("received", "in_jurisdiction", "resolved", "outstanding"),
    "mediation": ("received", "successful", "unsuccessful"),
    "admin_procedures": ("received", "online", "resolved", "on_time", "overdue"),
    "models": ("registered", "recognised"),
}

Figures = dict[str, dict[str, int]]


@dataclass(frozen=True)
class OrgUnit:
    """A unit of the org tree with its effective flags (defaults by kind already applied)."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    assessed: bool = True
    compiles: bool = False
    active: bool = True
    contacts: tuple[str, ...] = ()
    merged_into: str | None = None  # sáp nhập: the unit this one was merged into
    predecessors: tuple[str, ...] = ()  # the units merged to form this one


@dataclass(frozen=True)
class Criterion:
    """Tiêu chí. ``kinds`` empty: it applies to every unit kind; else only to those kinds."""

    code: str
    name: str
    max: float
    group: str
    not_applicable_allowed: bool = False
    kinds: tuple[str, ...] = ()

    def applies_to(self, kind: str | None) -> bool:
        return not self.kinds or kind is None or kind in self.kinds


@dataclass(frozen=True)
class CriteriaGroup:
    code: str
    name: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Band:
    """Xếp loại: a ranking class; a total at or above ``min`` gets it (bands highest first)."""

    name: str
    min: float


#: ``missing_band`` may name a band or say a unit that never submitted is not ranked at all.
NOT_RANKED = "không xếp loại"
NOT_APPLICABLE_METHODS: tuple[str, ...] = ("full_marks", "rescale")
#: How ``top_band_quota`` turns ``share × ranked units`` into a whole number of units.
QUOTA_ROUNDING: tuple[str, ...] = ("down", "nearest", "up")
#: Over which units ``top_band_quota`` counts: each compiler's ranked units, or the province's.
QUOTA_SCOPES: tuple[str, ...] = ("compiler", "province")


@dataclass(frozen=True)
class TopBandQuota:
    """``top_band_quota``: at most ``share`` of the units a compiler ranks hold the top band.

    ``round``: how ``share × ranked`` becomes a count (``nearest`` rounds half up: 7 × 0,5 → 4);
    ``at_least_one``: a compiler that ranks any unit may keep one in the top band whatever the
    arithmetic gives; ``scope``: ``compiler`` (each compiler's ranked units are one count) or
    ``province`` (one count over every ranked unit of the province, decided when the province
    compiles; a district's top band is provisional until then). The defaults are what the seeds'
    provinces do (docs/choices.md).
    """

    share: float
    round: str = "nearest"
    at_least_one: bool = False
    scope: str = "compiler"


@dataclass(frozen=True)
class BandRules:
    """Quy tắc xếp loại: the rules beside ``zero_criterion_caps_band`` (kept on the set itself).

    Each is optional. ``penalty_caps_band``: (min_penalty, band); ``late_caps_band``: (days, band),
    for a unit late by *more than* ``days``; ``missing_band``: a band name or :data:`NOT_RANKED`;
    ``top_band_quota``: the largest share of a compiler's ranked units in the top band.
    """

    penalty_caps_band: tuple[float, str] | None = None
    late_caps_band: tuple[int, str] | None = None
    missing_band: str | None = None
    top_band_quota: TopBandQuota | None = None


@dataclass(frozen=True)
class CriteriaSet:
    """Bộ tiêu chí đánh giá, xếp loại (SPEC §3.2)."""

    code: str
    name: str
    groups: tuple[CriteriaGroup, ...]
    bonus_max: float
    penalty_max: float
    bands: tuple[Band, ...]
    zero_criterion_caps_band: str | None = None
    rules: BandRules = field(default_factory=BandRules)
    not_applicable: str = "full_marks"  # full_marks | rescale
    checks: tuple[Check, ...] = ()  # the set's own data-quality checks (SPEC §3.8)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for g in self.groups for c in g.criteria)

    def criteria_for_kind(self, kind: str | None) -> tuple[Criterion, ...]:
        """The criteria a unit of ``kind`` is scored on (``kinds`` of each criterion); kept per
        kind on the set (it is frozen), since every unit's total asks again."""
        memo = self.__dict__.setdefault("_criteria_for_kind", {})
        if kind not in memo:
            memo[kind] = tuple(c for c in self.criteria if c.applies_to(kind))
        return memo[kind]

    def codes_for_kind(self, kind: str | None) -> tuple[str, ...]:
        """The codes of :meth:`criteria_for_kind`, in its order (kept per kind the same way)."""
        memo = self.__dict__.setdefault("_codes_for_kind", {})
        if kind not in memo:
            memo[kind] = tuple(c.code for c in self.criteria_for_kind(kind))
        return memo[kind]

    @property
    def max_total(self) -> float:
        return sum(c.max for c in self.criteria)


@dataclass(frozen=True)
class ReminderPolicy:
    """SPEC §3.3 ``reminders``."""

    before_days: tuple[int, ...] = (14, 7, 3, 1)
    overdue_every_days: int = 2
    escalate_after_days: int = 3
    send_at: time = time(8, 0)
    working_days_only: bool = True


@dataclass(frozen=True)
class Plan:
    """Kế hoạch: the year's plan as issued (SPEC §3.3)."""

    province: str
    year: int
    title: str
    reference: str
    issued_on: date
    criteria: dict[str, str]  # unit kind or "default" → criteria-set code
    deadlines: dict[str, date]  # milestone → date
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    timezone: str = "Asia/Ho_Chi_Minh"
    revision_days: int = 5
    request: str = ""  # optional: the request letter cited in reports (SPEC §3.3)
    checks: tuple[Check, ...] = ()  # the province's data-quality checks (SPEC §3.8)

    def criteria_for(self, kind: str) -> str:
        return self.criteria.get(kind) or self.criteria["default"]


@dataclass(frozen=True)
class SubmissionDoc:
    """Tự đánh giá: one unit's self-assessment as submitted (SPEC §3.4), already validated."""

    unit: str
    year: int
    submitted_by: str
    scores: dict[str, float]
    bonus: float
    penalty: float
    figures: Figures
    report_file: str | None = None
    #: criterion code → evidence file names (*minh chứng*), relative to the submission
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)  # criterion → reason
    breakdowns: dict[str, dict[str, object]] = field(default_factory=dict)  # group → name → value


@dataclass(frozen=True)
class Adjustment:
    """One line of an appraisal (thẩm định): a criterion score, or the bonus or the penalty."""

    unit: str
    reason: str
    criterion: str | None = None
    score: float | None = None
    bonus: float | None = None
    penalty: float | None = None

    @property
    def target(self) -> str:
        return (
            self.criterion
            if self.criterion is not None
            else ("bonus" if self.bonus is not None else "penalty")
        )

    @property
    def value(self) -> float:
        for v in (self.score, self.bonus, self.penalty):
            if v is not None:
                return v
        raise ValueError("empty adjustment")


@dataclass(frozen=True)
class Appraisal:
    year: int
    by: str
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True)
class UnitResult:
    """A unit's standing in a cycle at an instant: what ``status`` shows for it."""

    code: str
    name: str
    kind: str
    compiler: str | None
    status: str  # on_time | late | missing | returned
    version: int | None = None
    submitted_at: datetime | None = None
    first_submitted_at: datetime | None = None
    days_late: int | None = None
    self_total: float | None = None
    final_total: float | None = None
    band: str | None = None
    zero_criteria: int = 0
    timeliness: str | None = None  # on_time | late (a returned unit keeps it beside its status)
    revise_by: date | None = None
    return_reason: str | None = None
    warnings: tuple[dict[str, str], ...] = ()
    rules: tuple[str, ...] = ()  # the band rules that changed its band
    penalty: float = 0


_T = TypeVar("_T")
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def frozen_value(cls: type[_T], *values: Any) -> _T:
    """``cls(*values)`` (every field given, in order) for a frozen dataclass without
    ``__post_init__``, slots or defaults computed at init, at half the cost: a frozen dataclass
    sets each field through ``object.__setattr__``, and a country's ``status`` builds 25,000 units
    and 25,000 standings. The same value (fields, equality, hash, repr)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    value = object.__new__(cls)
    value.__dict__.update(zip(names, values, strict=True))
    return value
