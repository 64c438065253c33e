"""A province's own checks written as data (``checks:`` in a plan or a criteria set, SPEC §3.8).

``{left: admin_procedures.online, op: ">=", right: "0.5 * admin_procedures.received",
message: "…"}``: each side a sum of terms, each term a figure (``group.field``) or a number,
optionally multiplied by a number (``0.5 * admin_procedures.received``). Arithmetic is exact
(fractions), so a check at its very edge (1.500 online of 3.000 received against 0.5×) holds.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import FIGURE_GROUPS
from danvan.rules.errors import Problems

OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_FIGURE = re.compile(r"^[a-z_]+\.[a-z_]+$")
#: A term: (factor, figure or None for a bare number).
Term = tuple[Fraction, str | None]


@dataclass(frozen=True)
class Check:
    left: tuple[Term, ...]
    op: str
    right: tuple[Term, ...]
    message: str
    left_text: str  # as written, spaces tidied (the flag's field)
    right_text: str

    def holds(self, left: Fraction, right: Fraction) -> bool:
        return OPS[self.op](left, right)

    def to_dict(self) -> dict[str, str]:
        out = {"left": self.left_text, "op": self.op, "right": self.right_text}
        return {**out, "message": self.message} if self.message else out


def evaluate(terms: tuple[Term, ...], figures: Mapping[str, Mapping[str, int]]) -> Fraction:
    """Σ factor × figure (or factor alone for a number); a figure left out counts as 0."""
    total = Fraction(0)
    for factor, ref in terms:
        if ref is None:
            total += factor
        else:
            group, name = ref.split(".")
            total += factor * int((figures.get(group) or {}).get(name, 0) or 0)
    return total


def _side(value: object, field: str, p: Problems) -> tuple[tuple[Term, ...], str] | None:
    """One side: ``a + 2 * b - 10`` → terms; every problem recorded."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        p.add("invalid_check", field, f"Cần một biểu thức, không phải {f.kind_of(value)}.")
        return None
    text = " ".join(str(value).split())
    terms: list[Term] = []
    for sign, raw in re.findall(r"([+-]?)\s*([^+-]+)", text.replace(" ", "")):
        term = _term(raw, field, p)
        if term is None:
            return None
        terms.append((-term[0], term[1]) if sign == "-" else term)
    if not terms:
        p.add("invalid_check", field, "Biểu thức trống.")
        return None
    return tuple(terms), text


def _term(raw: str, field: str, p: Problems) -> Term | None:
    factor, ref = Fraction(1), None
    for part in raw.split("*"):
        if _NUMBER.match(part):
            factor *= Fraction(part)
        elif _FIGURE.match(part) and ref is None and _known(part):
            ref = part
        else:
            p.add(
                "invalid_check",
                field,
                f"“{part}” không phải số liệu (nhóm.mục, ví dụ admin_procedures.online) hay một"
                " số; mỗi số hạng là một số liệu hoặc một số, có thể nhân với một số.",
            )
            return None
    return factor, ref


def _known(ref: str) -> bool:
    group, name = ref.split(".")
    return name in FIGURE_GROUPS.get(group, ())


def parse_checks(value: object, field: str, p: Problems) -> tuple[Check, ...]:
    """The ``checks:`` list of a plan or a criteria set; every problem recorded in ``p``."""
    if value is None:
        return ()
    items = f.sequence(value, field, p)
    out = []
    for i, item in enumerate(items or ()):
        at = f"{field}[{i}]"
        m: dict[str, Any] | None = f.mapping(item, at, p)
        if m is None:
            continue
        f.unknown_keys(m, ("left", "op", "right", "message"), at, p)
        left, right = _side(m.get("left"), f"{at}.left", p), _side(m.get("right"), f"{at}.right", p)
        op = m.get("op")
        if op not in OPS:
            p.add("invalid_check", f"{at}.op", f"Phép so sánh phải là một trong {', '.join(OPS)}.")
        message = m.get("message") or ""
        if not isinstance(message, str):
            p.add("not_text", f"{at}.message", "Cần một chuỗi chữ.")
            message = ""
        if left and right and op in OPS:
            out.append(Check(left[0], str(op), right[0], message.strip(), left[1], right[1]))
    return tuple(out)


def checks_to_list(checks: tuple[Check, ...]) -> list[dict[str, str]]:
    return [c.to_dict() for c in checks]
