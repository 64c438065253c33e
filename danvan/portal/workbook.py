"""The unit's workbook (``danvan template``), through one adapter: the portal only serves it."""

from __future__ import annotations


def unit_workbook(year: int, code: str) -> tuple[str, bytes] | None:
    """``(file name, bytes)``, or None where this installation cannot draw workbooks yet."""
    try:
        from danvan.reports.workbook import unit_workbook as draw
    except ImportError:
        return None
    return draw(year, code)  # type: ignore[no-any-return]
