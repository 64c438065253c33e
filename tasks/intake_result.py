"""What intake answers for each file (split out of :mod:`danvan.tasks.intake`, so that the
receipts and the set-wise recording can name it without importing the intake itself)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from danvan.rules.domain import SubmissionDoc
from danvan.rules.errors import Rejected


@dataclass
class FileResult:
    """The answer for one file: accepted (version, on time / days late) or rejected with reasons."""

    file: str
    accepted: bool
    unit: str | None = None  # for a refused file: the unit it claims to be from, if readable
    year: int | None = None
    version: int | None = None
    status: str | None = None  # on_time | late
    days_late: int | None = None
    duplicate: bool = False
    problems: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # accepted, but look again

    def to_dict(self) -> dict:
        return asdict(self)


#: Told each file's answer (``FileResult.to_dict()``) as soon as the file is settled.
OnAnswer = Callable[[dict], None]


class CutOff(Exception):
    """A batch stopped midway by a failure that is not about a file (the database went away, the
    disk is full): every file answered before it stands, its answer already handed to the
    caller's ``on_answer``; ``not_reached`` names, in order, the files that got no answer.

    Sending those again is safe: a file recorded after all (its transaction committed just as
    the connection dropped) is answered "received before" (version N), never a second version.
    """

    def __init__(self, cause: BaseException, not_reached: Sequence[str]) -> None:
        # No text of the cause: it may carry a statement's data (see ``tasks.guard``).
        super().__init__(f"{type(cause).__name__}: {len(not_reached)} files not reached")
        self.cause = cause
        self.not_reached = list(not_reached)


def rejected(path: str, exc: Rejected, doc: SubmissionDoc | None) -> FileResult:
    """A refusal with every reason, naming the unit and year the file claims when readable."""
    problems = [{"code": p.code, "field": p.field, "message": p.message} for p in exc.problems]
    claimed = (doc.unit, doc.year) if doc is not None else (None, None)
    return FileResult(
        file=path, accepted=False, unit=claimed[0], year=claimed[1], problems=problems
    )


def accepted(
    path: str,
    code: str,
    year: int,
    version: int,
    when: tuple[str, int],
    warnings: list[dict[str, str]],
    duplicate: bool = False,
) -> FileResult:
    """An acceptance: the version, on time or late (days), and warnings to look at again."""
    return FileResult(
        file=path,
        accepted=True,
        unit=code,
        year=year,
        version=version,
        status=when[0],
        days_late=when[1],
        duplicate=duplicate,
        warnings=warnings,
    )
