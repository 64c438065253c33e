"""Biểu đồ: band distribution and totals by unit, as a PNG for the report and the officials.

A bare ``Figure`` (never pyplot): rendered by Agg, no display, no global state, DejaVu Sans (ships with matplotlib, has every Vietnamese diacritic),
no timestamp or software tag in the PNG, so the same data gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from danvan.rules.compilation import CompiledCycle
from danvan.rules.text import format_decimal

#: Above this many ranked units, names no longer fit: the right panel becomes a histogram.
MAX_LABELLED_UNITS = 40
_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6d4c41", "#546e7a")


def _short(name: str, width: int = 38) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def write_chart_png(data: CompiledCycle, path: Path) -> None:
    """Left: units per band (every band, 0 included). Right: totals by unit, rank 1 on top."""
    with rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "danvan"}):
        _draw(data).savefig(path, format="png", metadata={"Software": None})


def _draw(data: CompiledCycle) -> Figure:
    bands = list(data.summary["bands"])
    colour = {b: _COLOURS[i % len(_COLOURS)] for i, b in enumerate(bands)}
    ranked = data.ranked
    labelled = len(ranked) <= MAX_LABELLED_UNITS
    height = max(3.5, 0.28 * len(ranked) + 1.2) if labelled else 4.5
    fig = Figure(figsize=(11, height), dpi=100)
    fig.set_layout_engine("constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 2.2))
    counts = [data.summary["bands"][b] for b in bands]
    bars = left.bar(bands, counts, color=[colour[b] for b in bands])
    left.bar_label(bars, labels=[str(n) for n in counts])
    left.set_title("Số đơn vị theo xếp loại")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("Số đơn vị")
    if labelled:
        names = [_short(data.unit(r.unit).name) for r in reversed(ranked)]
        totals = [r.total for r in reversed(ranked)]
        right.barh(names, totals, color=[colour.get(r.band, "#777777") for r in reversed(ranked)])
        for y, value in enumerate(totals):
            right.text(value, y, f" {format_decimal(value)}", va="center", fontsize=8)
        right.tick_params(axis="y", labelsize=8)
        right.set_xlabel("Tổng điểm")
    else:
        right.hist([r.total for r in ranked], bins=20, color=_COLOURS[1])
        right.set_xlabel("Tổng điểm")
        right.set_ylabel("Số đơn vị")
    right.set_title(f"Tổng điểm các đơn vị ({len(ranked)} đơn vị)")
    return fig
