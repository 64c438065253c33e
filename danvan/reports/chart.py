"""Biểu đồ: band distribution and totals by unit, as a PNG for the report and the officials.

A bare ``Figure`` (never pyplot): rendered by Agg, no display, no global state, DejaVu Sans (ships with matplotlib, has every Vietnamese diacritic),
no timestamp or software tag in the PNG, so the same data gives the same bytes.

Laid out by arithmetic, not by a layout engine: the margins come from the widths of the few texts
that decide them (the longest unit name, the widest count), measured once with the font's
metrics. Matplotlib's constrained layout drew the whole figure once more and measured every tick
label several times to find the same margins: two thirds of a chart's time, and a chart was more
than half of a compile (issue 20).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from danvan.rules.compilation import CompiledCycle
from danvan.rules.text import format_decimal

#: Above this many ranked units the right panel shows the top and bottom TOP_BOTTOM units only.
MAX_LABELLED_UNITS = 40
TOP_BOTTOM = 15
_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6d4c41", "#546e7a")


def _short(name: str, width: int = 38) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _vi_number(value: float, _pos: object = None) -> str:
    """Axis ticks as officials write numbers: ``1.000``, ``87,5``."""
    return format_decimal(value, 2)


def write_chart_png(data: CompiledCycle, path: Path) -> None:
    """Left: units per band (every band, 0 included). Right: totals by unit, rank 1 on top."""
    with rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "danvan"}):
        _draw(data).savefig(path, format="png", metadata={"Software": None})


def _shown(data: CompiledCycle) -> tuple[list, int]:
    """The ranked units drawn (all, or the top and bottom TOP_BOTTOM) and how many are left out."""
    ranked = list(data.ranked)
    if len(ranked) <= MAX_LABELLED_UNITS:
        return ranked, 0
    return ranked[:TOP_BOTTOM] + ranked[-TOP_BOTTOM:], len(ranked) - 2 * TOP_BOTTOM


def _draw(data: CompiledCycle) -> Figure:
    bands = list(data.summary["bands"])
    colour = {b: _COLOURS[i % len(_COLOURS)] for i, b in enumerate(bands)}
    shown, hidden = _shown(data)
    height = max(3.8, 0.27 * (len(shown) + (1 if hidden else 0)) + 1.6)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    counts = [data.summary["bands"][b] for b in bands]
    names = [_short(data.display_name(r.unit)) for r in shown]
    totals = [r.total for r in shown]
    if hidden:  # a gap row between the top and the bottom
        names = [
            *names[:TOP_BOTTOM],
            f"… {format_decimal(hidden)} đơn vị khác …",
            *names[TOP_BOTTOM:],
        ]
        totals = [*totals[:TOP_BOTTOM], 0.0, *totals[TOP_BOTTOM:]]
    left, right = _axes(fig, height, counts, names)
    bars = left.bar(bands, counts, color=[colour[b] for b in bands])
    left.bar_label(bars, labels=[format_decimal(n) for n in counts], padding=2)
    left.set_ylim(0, max([*counts, 1]) * 1.18)  # the count labels stay inside the frame
    left.set_title("Số đơn vị theo xếp loại")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.yaxis.set_major_formatter(FuncFormatter(_vi_number))
    left.set_ylabel("Số đơn vị")
    left.tick_params(axis="x", labelrotation=0, labelsize=9)
    colours = [colour.get(r.band, "#777777") for r in shown]
    if hidden:
        colours = [*colours[:TOP_BOTTOM], "#ffffff", *colours[TOP_BOTTOM:]]
    y = list(range(len(names)))[::-1]  # rank 1 on top
    right.barh(y, totals, color=colours)
    right.set_yticks(y, names)
    right.tick_params(axis="y", labelsize=8)
    top = max([*totals, 1.0])
    right.set_xlim(0, top * 1.14)  # room for the value labels inside the frame
    for yy, value, name in zip(y, totals, names, strict=True):
        if not name.startswith("…"):
            right.text(value, yy, f" {format_decimal(value)}", va="center", fontsize=8)
    right.xaxis.set_major_formatter(FuncFormatter(_vi_number))
    right.set_xlabel("Tổng điểm")
    scope = f"{format_decimal(len(data.ranked))} đơn vị"
    if hidden:
        scope += f"; {TOP_BOTTOM} cao nhất và {TOP_BOTTOM} thấp nhất"
    right.set_title(f"Tổng điểm các đơn vị ({scope})")
    legend = [Patch(color=colour[b], label=b) for b in bands]
    fig.legend(handles=legend, title="Xếp loại (màu)", loc="lower center",
               bbox_to_anchor=(0.5, _PAD / height), ncols=max(1, len(bands)), fontsize=9,
               title_fontsize=9, frameon=False)  # fmt: skip
    return fig


WIDTH, DPI = 11.0, 100
#: Inches: the figure's edge margin, the title band above the axes, the band below them (tick
#: labels, the axis label, the legend's title and row), the gap between the panels.
_PAD, _TOP, _BOTTOM, _GAP = 0.05, 0.36, 1.0, 0.12


def _text_width(text: str, size: float) -> float:
    """``text``'s width in inches in DejaVu Sans at ``size`` points (the font's own metrics)."""
    renderer = RendererAgg(1, 1, DPI)
    font = FontProperties(family="DejaVu Sans", size=size)
    width, _h, _d = renderer.get_text_width_height_descent(text, font, ismath=False)
    return float(width) / DPI


def _axes(fig: Figure, height: float, counts: list[int], names: list[str]) -> tuple[Any, Any]:
    """The two panels placed where constrained layout put them: the left one after its axis
    label and widest count, the right one after the longest unit name, widths 1 : 2.4."""
    top_count = format_decimal(max([*counts, 1]) * 1.18, 0)
    left_margin = _PAD + 0.2 + _text_width(top_count, 10) + 0.1
    name_width = max([_text_width(n, 8) for n in names], default=0.0) + 0.1
    free = WIDTH - left_margin - _GAP - name_width - 2 * _PAD
    left_width = free / 3.4
    bottom, axes_height = _BOTTOM / height, (height - _TOP - _BOTTOM) / height
    left = fig.add_axes((left_margin / WIDTH, bottom, left_width / WIDTH, axes_height))
    right_at = left_margin + left_width + _GAP + name_width
    right = fig.add_axes((right_at / WIDTH, bottom, 2.4 * left_width / WIDTH, axes_height))
    return left, right
