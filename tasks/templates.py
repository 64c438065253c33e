"""Mẫu tự đánh giá for a cycle: which units get which workbook (``danvan template``, the portal's
download, the announcement's attachments).

The workbook itself is laid out and read in :mod:`danvan.workbook.layout` and drawn in
:mod:`danvan.workbook.draw`; here the cycle is loaded and each unit gets the drawing of its
criteria set, stamped with its code and name.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from danvan.models.context import CycleContext, load_context
from danvan.models.db import get_engine, reading
from danvan.rules.domain import OrgUnit
from danvan.rules.errors import reject
from danvan.rules.org import subtree
from danvan.workbook import layout as layout_rules
from danvan.workbook.draw import DrawnLayout


def unit_workbook(year: int, code: str) -> tuple[str, bytes]:
    """``(file name, bytes)`` of ``code``'s workbook for the cycle of ``year`` (the portal's
    download)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    stamps = Stamps(ctx)
    unit = stamps.unit(code)
    return layout_rules.file_name(code, year), stamps.drawn(unit).for_unit(unit)


def write_templates(
    year: int, *, out: Path, unit: str | None = None, under: str | None = None
) -> list[Path]:
    """Write the workbooks of one unit, or of every assessed unit (under ``under``)."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    stamps = Stamps(ctx)
    units = [stamps.unit(unit)] if unit else stamps.assessed(under)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for u in units:
        path = out / layout_rules.file_name(u.code, year)
        path.write_bytes(stamps.drawn(u).for_unit(u))
        written.append(path)
    return written


class Stamps:
    """One drawn layout per criteria set of the cycle, the units to stamp it for."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self._drawn: dict[tuple[str, tuple[str, ...]], DrawnLayout] = {}

    def unit(self, code: str) -> OrgUnit:
        u = self.ctx.units.get(code)
        if u is None or code not in self.ctx.in_province:
            raise reject("unknown_unit", "--unit", f"Không có đơn vị mã “{code}”.")
        if not (u.active and u.assessed):
            raise reject(
                "unit_not_assessed", "--unit", f"Đơn vị “{u.name}” không thuộc diện tự đánh giá."
            )
        return u

    def assessed(self, under: str | None) -> list[OrgUnit]:
        root = under or self.ctx.province
        if root not in self.ctx.in_province:
            raise reject("unknown_unit", "--under", f"Không có đơn vị mã “{root}”.")
        codes: Iterable[str] = subtree(self.ctx.units, root)
        return [u for c in codes if (u := self.ctx.units[c]).active and u.assessed]

    def drawn(self, unit: OrgUnit) -> DrawnLayout:
        criteria = self.ctx.criteria_for(unit)
        # one drawing per set and list of criteria: a kind with fewer (``kinds:``) gets its own
        key = (criteria.code, layout_rules.criteria_shown(criteria, unit.kind))
        if key not in self._drawn:
            cycle = self.ctx.cycle
            layout = layout_rules.build_layout(
                criteria,
                year=cycle.year,
                reference=cycle.reference,
                title=cycle.title,
                deadline=cycle.self_assessment_deadline,
                kind=unit.kind,
            )
            self._drawn[key] = DrawnLayout.of(layout)
        return self._drawn[key]
