"""The chart drawn with Pillow (issue 20): the size matplotlib gave it (the report's layout is
unchanged), every band's bars in its colour, the ranked units' names laid out, a gap row when
only the top and bottom are shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from danvan.reports.chart import _COLOURS, TOP_BOTTOM, write_chart_png
from danvan.rules.compilation import assess_unit, compile_cycle
from danvan.rules.domain import OrgUnit
from tests.adapters.test_reports import CRITERIA, thap_muoi

T0 = datetime(2024, 11, 10, 2, tzinfo=UTC)


def _colours(path: Path) -> dict[tuple[int, int, int], int]:
    """How many pixels of each colour."""
    with Image.open(path) as im:
        return {c: n for n, c in im.convert("RGB").getcolors(1 << 20) or []}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_a_small_chart_has_matplotlibs_size_and_each_bands_colour(tmp_path: Path) -> None:
    c = thap_muoi()
    write_chart_png(c, tmp_path / "c.png")
    with Image.open(tmp_path / "c.png") as im:
        assert im.size == (1100, 380)  # 11 × 3,8 inches at 100 dpi, as before
        assert [round(d) for d in im.info["dpi"]] == [100, 100]  # 3.937 pixels a metre
    bands = [b for b, n in c.summary["bands"].items() if n]
    colours = _colours(tmp_path / "c.png")
    for i, band in enumerate(c.summary["bands"]):
        swatch = 25 * 9  # the legend's: every band has one
        assert (colours.get(_rgb(_COLOURS[i]), 0) > 2 * swatch) == (band in bands), band


def test_a_large_compiler_shows_the_top_and_bottom_with_a_gap(tmp_path: Path) -> None:
    units = [
        assess_unit(unit=OrgUnit(f"P.U{i:03d}", f"Ủy ban nhân dân xã Số {i}", "commune"),
                    criteria=CRITERIA, status="on_time", submitted_at=T0, days_late=0,
                    scores={"1": i % 11, "2": 40 + i % 50})
        for i in range(100)
    ]  # fmt: skip
    prov = OrgUnit("P", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province")
    c = compile_cycle(compiler=prov, cycle_year=2024, units=units, direct={u.code for u in units},
                      previous=None, criteria_by_kind={"default": CRITERIA})  # fmt: skip
    write_chart_png(c, tmp_path / "c.png")
    with Image.open(tmp_path / "c.png") as im:
        assert im.size == (1100, round(100 * (0.27 * (2 * TOP_BOTTOM + 1) + 1.6)))
        middle = im.convert("RGB").crop((700, 0, 1000, im.size[1]))
        # the gap row: a band of white across the bars' column, between the top and the bottom
        rows = [middle.crop((0, y, 300, y + 1)).getcolors() for y in range(middle.size[1])]
        assert any(r == [(300, (255, 255, 255))] for r in rows[400:600])


def test_ticks_are_matplotlibs_max_n_locator() -> None:
    """``reports/ticks.py`` (the chart no longer imports matplotlib, issue 20) places the very
    ticks ``MaxNLocator`` places, for the chart's two axes and many other ranges."""
    import random

    from matplotlib.ticker import MaxNLocator

    from danvan.reports.ticks import max_n_ticks

    rng = random.Random(20)
    ranges = [(0.0, n * 1.18) for n in range(0, 1200)]  # units per band (integer ticks)
    ranges += [(0.0, t * 1.14) for t in (1.0, 55.5, 93.25, 100.0, 104.5, 115.0)]  # totals
    ranges += [(rng.uniform(-1e4, 1e4), rng.uniform(-1e4, 1e4)) for _ in range(300)]
    ranges += [(1e6 + rng.random(), 1e6 + 1 + rng.random()) for _ in range(50)]  # an offset
    ranges += [(rng.random() * 1e-3, rng.random()) for _ in range(100)] + [(5.0, 5.0)]
    for lo, hi in ranges:
        for kwargs in ({"integer": True}, *({"nbins": b, "steps": [1, 2, 2.5, 5, 10]}
                                            for b in range(1, 10))):  # fmt: skip
            expected = [float(t) for t in MaxNLocator(**kwargs).tick_values(lo, hi)]
            assert max_n_ticks(lo, hi, **kwargs) == expected, (lo, hi, kwargs)
