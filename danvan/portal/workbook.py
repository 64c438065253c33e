"""The unit's workbook (``danvan template``), drawn on request: the portal only serves it."""

from __future__ import annotations


def unit_workbook(year: int, code: str) -> tuple[str, bytes]:
    """``(file name, bytes)`` of the unit's workbook for the cycle of ``year``."""
    from danvan.workbook.draw import unit_workbook as draw

    return draw(year, code)
