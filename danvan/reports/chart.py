"""Biểu đồ: band distribution and totals by unit, as a PNG for the report and the officials.

A bare ``Figure`` (never pyplot): rendered by Agg, no display, no global state, DejaVu Sans (ships with matplotlib, has every Vietnamese diacritic),
no timestamp or software tag in the PNG, so the same data gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure
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
    fig = Figure(figsize=(11, height), dpi=100)
    fig.set_layout_engine("constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 2.4))
    counts = [data.summary["bands"][b] for b in bands]
    bars = left.bar(bands, counts, color=[colour[b] for b in bands])
    left.bar_label(bars, labels=[format_decimal(n) for n in counts], padding=2)
    left.set_ylim(0, max([*counts, 1]) * 1.18)  # the count labels stay inside the frame
    left.set_title("Số đơn vị theo xếp loại")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.yaxis.set_major_formatter(FuncFormatter(_vi_number))
    left.set_ylabel("Số đơn vị")
    left.tick_params(axis="x", labelrotation=0, labelsize=9)
    names = [_short(data.display_name(r.unit)) for r in shown]
    totals = [r.total for r in shown]
    if hidden:  # a gap row between the top and the bottom
        names = [
            *names[:TOP_BOTTOM],
            f"… {format_decimal(hidden)} đơn vị khác …",
            *names[TOP_BOTTOM:],
        ]
        totals = [*totals[:TOP_BOTTOM], 0.0, *totals[TOP_BOTTOM:]]
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
    fig.legend(handles=legend, title="Xếp loại (màu)", loc="outside lower center",
               ncols=max(1, len(bands)), fontsize=9, title_fontsize=9, frameon=False)  # fmt: skip
    return fig
