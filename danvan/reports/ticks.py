"""The chart's tick positions: matplotlib's ``MaxNLocator``, in plain Python floats.

Why not matplotlib itself: importing ``matplotlib.ticker`` (and numpy behind it) was 0.45 s of
CPU in every process that draws a chart, a compile's worker processes included, for two calls
per chart (issue 20: a compile's start-up is on its critical path). This is the same algorithm
as matplotlib 3.8–3.11's ``MaxNLocator.tick_values`` with ``axes.autolimit_mode`` left at
``data`` (the default): the same IEEE operations in the same order, so the same ticks
(``tests/adapters/test_chart.py`` compares the two over many ranges).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

#: matplotlib's default steps, and those it allows (1 first, 10 last).
DEFAULT_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def max_n_ticks(
    vmin: float,
    vmax: float,
    *,
    nbins: int = 10,
    steps: Sequence[float] | None = None,
    integer: bool = False,
    min_n_ticks: int = 2,
) -> list[float]:
    """``MaxNLocator(nbins, steps=steps, integer=integer).tick_values(vmin, vmax)``: nice ticks,
    at most ``nbins + 1`` of them within the limits, plus one beyond each edge when needed."""
    vmin, vmax = _nonsingular(vmin, vmax)
    base = list(DEFAULT_STEPS) if steps is None else _validate(steps)
    extended = [0.1 * s for s in base[:-1]] + base + [10 * base[1]]
    scale, offset = _scale_range(vmin, vmax, nbins)
    lo, hi = vmin - offset, vmax - offset
    scaled = [s * scale for s in extended]
    if integer:  # for steps > 1, integer values only
        scaled = [s for s in scaled if s < 1 or abs(s - round(s)) < 0.001]
    raw_step = (hi - lo) / nbins
    large = [i for i, s in enumerate(scaled) if s >= raw_step]
    istep = large[0] if large else len(scaled) - 1
    ticks: list[float] = []
    for step in reversed(scaled[: istep + 1]):
        if integer and math.floor(hi) - math.ceil(lo) >= min_n_ticks - 1:
            step = max(1, step)
        best = (lo // step) * step
        low = _edge_le(lo - best, step, offset)
        high = _edge_ge(hi - best, step, offset)
        ticks = [(low + i) * step + best for i in range(int(high - low) + 1)]
        if sum(1 for t in ticks if lo <= t <= hi) >= min_n_ticks:
            break
    return [t + offset for t in ticks]


def _validate(steps: Sequence[float]) -> list[float]:
    out = [float(s) for s in steps]
    if any(b <= a for a, b in pairwise(out)) or out[-1] > 10 or out[0] < 1:
        raise ValueError("steps must increase from 1 to 10")
    return ([1.0] if out[0] != 1 else []) + out + ([10.0] if out[-1] != 10 else [])


def _nonsingular(vmin: float, vmax: float) -> tuple[float, float]:
    """matplotlib's ``_nonsingular(expander=1e-13, tiny=1e-14)``."""
    expander, tiny = 1e-13, 1e-14
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        return -expander, expander
    vmin, vmax = float(min(vmin, vmax)), float(max(vmin, vmax))
    biggest = max(abs(vmin), abs(vmax))
    if biggest < (1e6 / tiny) * 2.2250738585072014e-308:  # numpy's finfo(float).tiny
        return -expander, expander
    if vmax - vmin <= biggest * tiny:
        if vmax == 0 and vmin == 0:
            return -expander, expander
        return vmin - expander * abs(vmin), vmax + expander * abs(vmax)
    return vmin, vmax


def _scale_range(vmin: float, vmax: float, n: int) -> tuple[float, float]:
    dv = abs(vmax - vmin)
    mean = (vmax + vmin) / 2
    offset = (
        0.0 if abs(mean) / dv < 100 else math.copysign(10 ** (math.log10(abs(mean)) // 1), mean)
    )
    return 10 ** (math.log10(dv / n) // 1), offset


def _close(ms: float, edge: float, step: float, offset: float) -> bool:
    # more slop when the offset is large beside the step
    slop = 10 ** (math.log10(abs(offset) / step) - 12) if offset else 0.0
    tol = min(0.4999, max(1e-10, slop))
    return abs(ms - edge) < tol


def _edge_le(x: float, step: float, offset: float) -> float:
    """The largest n with n * step <= x (matplotlib's ``_Edge_integer.le``)."""
    d, m = divmod(x, step)
    return d + 1 if _close(m / step, 1, step, offset) else d


def _edge_ge(x: float, step: float, offset: float) -> float:
    """The smallest n with n * step >= x (``_Edge_integer.ge``)."""
    d, m = divmod(x, step)
    return d if _close(m / step, 0, step, offset) else d + 1
