"""Ai còn nợ: who still owes what at T, per milestone (SPEC §4.1), and each compiler's counts.

* ``self_assessment``: the active assessed units of the province that have not submitted;
* ``district_compilation``: the active compilers below the province that have not compiled;
* ``province_scoring``: the province itself, until it publishes.
Nothing is owed once the cycle is published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from danvan.rules.domain import MILESTONES, OrgUnit
from danvan.rules.reminders import Progress
from danvan.rules.standing import expected_units


@dataclass(frozen=True)
class Owing:
    units: dict[str, list[OrgUnit]]  # milestone → the units that still owe, by code
    progress: dict[str, dict[str, Progress]]  # milestone → compiler → expected/done counts


def compilers_below(
    units: Mapping[str, OrgUnit], province_units: Sequence[str], province: str
) -> list[str]:
    """The active compilers of the province other than the province (districts, usually)."""
    return [c for c in province_units if c != province and units[c].compiles and units[c].active]


def progress(
    expected: Sequence[str], compilers: Mapping[str, str | None], done: set[str]
) -> dict[str, Progress]:
    """Per compiler, how many of the units it compiles are expected and how many are done."""
    counts: dict[str, list[int]] = {}
    for code in expected:
        compiler = compilers.get(code)
        if compiler is not None:
            c = counts.setdefault(compiler, [0, 0])
            c[0] += 1
            c[1] += code in done
    return {k: Progress(expected=v[0], submitted=v[1]) for k, v in counts.items()}


def owing(
    units: Mapping[str, OrgUnit],
    province_units: Sequence[str],
    province: str,
    compilers: Mapping[str, str | None],
    *,
    submitted: set[str],
    compiled: set[str],
    published: bool,
) -> Owing:
    expected = expected_units(units, province_units)
    below = compilers_below(units, province_units, province)
    prog = {
        "self_assessment": progress(expected, compilers, submitted),
        "district_compilation": progress(below, compilers, compiled),
        "province_scoring": {},
    }
    if published:
        return Owing({m: [] for m in MILESTONES}, prog)
    return Owing(
        {
            "self_assessment": [units[c] for c in expected if c not in submitted],
            "district_compilation": [units[c] for c in below if c not in compiled],
            "province_scoring": [units[province]],
        },
        prog,
    )
