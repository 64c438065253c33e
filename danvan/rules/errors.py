"""Rejections a user can read: the file, the field, the rule, in Vietnamese, with an English code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``code`` is for logs (English), ``message`` for the official (Vietnamese)."""

    code: str
    field: str
    message: str

    def render(self, file: str | None = None) -> str:
        where = f"{file}: " if file else ""
        at = f"{self.field}: " if self.field else ""
        return f"{where}{at}{self.message} [{self.code}]"


@dataclass
class Rejected(Exception):
    """An input that changes nothing. Raised by rules and loaders; the CLI prints it, exit 1."""

    problems: list[Problem]
    file: str | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)

    def with_file(self, file: str) -> Rejected:
        return Rejected(self.problems, file=file, extra=self.extra)


def reject(code: str, field: str, message: str, file: str | None = None) -> Rejected:
    """A one-problem rejection, to ``raise``."""
    return Rejected([Problem(code, field, message)], file=file)


class Problems:
    """Collects every problem of one input before rejecting it, so the user fixes all at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: str, field: str, message: str) -> None:
        self.items.append(Problem(code, field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, file: str | None = None) -> None:
        if self.items:
            raise Rejected(list(self.items), file=file)
