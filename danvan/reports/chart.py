"""Biểu đồ: band distribution and totals by unit, as a PNG for the report and the officials.

Drawn directly with Pillow: rectangles for the bars, frames and tick marks, and every text once
with DejaVu Sans (the font matplotlib ships, which has every Vietnamese diacritic), placed by
arithmetic. The layout is matplotlib's (this chart was a matplotlib figure until issue 20): the
same 11-inch canvas at 100 dpi, the same panels, margins, tick positions (matplotlib's tick
locator, ``reports/ticks.py``), font sizes and colours. Why not matplotlib: laying out and drawing a text costs it
about a millisecond per character (its FreeType layout), every tick label is measured several
times, and a chart was 0.4–0.9 s, half a compile; here it is a few tens of milliseconds. Text is
laid out without complex shaping (Pillow's basic layout: Vietnamese in precomposed form draws
whole), so the same data gives the same bytes wherever it is drawn; the PNG carries no time or
software tag.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.util import find_spec
from math import ceil
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from danvan.reports.ticks import max_n_ticks
from danvan.rules.compilation import CompiledCycle
from danvan.rules.text import format_decimal

#: Above this many ranked units the right panel shows the top and bottom TOP_BOTTOM units only.
MAX_LABELLED_UNITS = 40
TOP_BOTTOM = 15
_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6d4c41", "#546e7a")
_GAP_ROW = "#ffffff"
_OTHER = "#777777"

WIDTH, DPI = 11.0, 100
#: Inches: the figure's edge margin, the title band above the axes, the band below them (tick
#: labels, the axis label, the legend's title and row), the gap between the panels.
_PAD, _TOP, _BOTTOM, _GAP = 0.05, 0.36, 1.0, 0.12
_PT = DPI / 72  # pixels per point
_TICK = 3.5 * _PT  # tick length, and the gap between a tick and its label
_MARGIN = 0.05  # matplotlib's data margin on each side of a bar axis


def _short(name: str, width: int = 38) -> str:
    name = unicodedata.normalize("NFC", name)  # precomposed: drawn whole by the basic layout
    return name if len(name) <= width else name[: width - 1] + "…"


def _vi_number(value: float) -> str:
    """Axis ticks as officials write numbers: ``1.000``, ``87,5``."""
    return format_decimal(value, 2)


@cache
def _font(points: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONT), points * _PT, layout_engine=ImageFont.Layout.BASIC)


def _font_file() -> Path:
    """matplotlib's DejaVu Sans, found without importing matplotlib (0.45 s of CPU with numpy,
    in every compile worker): its ``mpl-data`` folder sits beside its ``__init__``."""
    spec = find_spec("matplotlib")
    assert spec is not None and spec.origin is not None, "matplotlib is a dependency"
    return Path(spec.origin).with_name("mpl-data") / "fonts" / "ttf" / "DejaVuSans.ttf"


_FONT = _font_file()


def _text_width(text: str, points: float) -> float:
    """``text``'s width in inches in DejaVu Sans at ``points``."""
    return _font(points).getlength(text) / DPI


def write_chart_png(data: CompiledCycle, path: Path) -> None:
    """Left: units per band (every band, 0 included). Right: totals by unit, rank 1 on top."""
    _draw(data).save(path, format="PNG", dpi=(DPI, DPI))


def _shown(data: CompiledCycle) -> tuple[list, int]:
    """The ranked units drawn (all, or the top and bottom TOP_BOTTOM) and how many are left out."""
    ranked = list(data.ranked)
    if len(ranked) <= MAX_LABELLED_UNITS:
        return ranked, 0
    return ranked[:TOP_BOTTOM] + ranked[-TOP_BOTTOM:], len(ranked) - 2 * TOP_BOTTOM


class _Panel:
    """One axes box in pixels and its data limits; draws bars, ticks, frame and labels."""

    def __init__(self, canvas: ImageDraw.ImageDraw, box: tuple[float, float, float, float],
                 xlim: tuple[float, float], ylim: tuple[float, float]) -> None:  # fmt: skip
        self.d, (self.x0, self.y0, self.x1, self.y1) = canvas, box  # y0 top, y1 bottom
        self.xlim, self.ylim = xlim, ylim

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return self.x0 + (v - lo) / (hi - lo) * (self.x1 - self.x0)

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.y1 - (v - lo) / (hi - lo) * (self.y1 - self.y0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: str) -> None:
        xa, xb = sorted((self.x(x0), self.x(x1)))
        ya, yb = sorted((self.y(y0), self.y(y1)))
        box = (round(xa), round(ya), round(xb) - 1, round(yb) - 1)
        if box[2] >= box[0] and box[3] >= box[1]:  # a bar of 0 draws nothing
            self.d.rectangle(box, fill=colour)

    def frame(self) -> None:
        self.d.rectangle((round(self.x0), round(self.y0), round(self.x1), round(self.y1)),
                         outline="black", width=1)  # fmt: skip

    def text(self, xy: tuple[float, float], text: str, points: float, anchor: str) -> None:
        self.d.text(xy, text, fill="black", font=_font(points), anchor=anchor)

    def xticks(self, ticks: list[tuple[float, str]], points: float) -> float:
        """Ticks below the axis; returns the pixel row under their labels."""
        top = self.y1 + 2 * _TICK
        for v, label in ticks:
            px = round(self.x(v))
            self.d.line((px, self.y1, px, self.y1 + _TICK), fill="black", width=1)
            self.text((px, top), label, points, "ma")
        return top + _font(points).getbbox("0Ấy")[3]

    def yticks(self, ticks: list[tuple[float, str]], points: float) -> float:
        """Ticks left of the axis; returns the pixel column left of their labels."""
        right = self.x0 - 2 * _TICK
        widest = 0.0
        for v, label in ticks:
            py = round(self.y(v))
            self.d.line((self.x0 - _TICK, py, self.x0, py), fill="black", width=1)
            self.text((right, py), label, points, "rm")
            widest = max(widest, _font(points).getlength(label))
        return right - widest

    def title(self, text: str) -> None:
        self.text(((self.x0 + self.x1) / 2, self.y0 - 6 * _PT), text, 12, "ms")


def _locator_ticks(lo: float, hi: float, **locator: Any) -> list[float]:
    """matplotlib's ``MaxNLocator(**locator)`` ticks within the limits."""
    return [t for t in max_n_ticks(lo, hi, **locator) if lo - 1e-9 <= t <= hi + 1e-9]


def _bar_limits(n: int) -> tuple[float, float]:
    """matplotlib's limits of an axis of n bars 0.8 wide at 0 … n-1, with its 5 % margins."""
    lo, hi = -0.4, n - 1 + 0.4
    return lo - _MARGIN * (hi - lo), hi + _MARGIN * (hi - lo)


def _draw(data: CompiledCycle) -> Image.Image:
    bands = list(data.summary["bands"])
    colour = {b: _COLOURS[i % len(_COLOURS)] for i, b in enumerate(bands)}
    shown, hidden = _shown(data)
    height = max(3.8, 0.27 * (len(shown) + (1 if hidden else 0)) + 1.6)
    counts = [data.summary["bands"][b] for b in bands]
    names = [_short(data.display_name(r.unit)) for r in shown]
    totals = [float(r.total) for r in shown]
    colours = [colour.get(r.band, _OTHER) for r in shown]
    if hidden:  # a gap row between the top and the bottom
        names = [*names[:TOP_BOTTOM], f"… {format_decimal(hidden)} đơn vị khác …",
                 *names[TOP_BOTTOM:]]  # fmt: skip
        totals = [*totals[:TOP_BOTTOM], 0.0, *totals[TOP_BOTTOM:]]
        colours = [*colours[:TOP_BOTTOM], _GAP_ROW, *colours[TOP_BOTTOM:]]
    image = Image.new("RGB", (round(WIDTH * DPI), round(height * DPI)), "white")
    canvas = ImageDraw.Draw(image)
    left_box, right_box = _boxes(height, counts, names)
    _band_panel(_Panel(canvas, left_box, _bar_limits(len(bands)),
                       (0.0, max([*counts, 1]) * 1.18)), bands, counts, colour)  # fmt: skip
    top = max([*totals, 1.0])
    right = _Panel(canvas, right_box, (0.0, top * 1.14), _bar_limits(len(names)))
    _totals_panel(right, names, totals, colours, len(data.ranked), hidden)
    _legend(canvas, image.size, bands, colour)
    return image


def _band_panel(p: _Panel, bands: list[str], counts: list[int], colour: dict[str, str]) -> None:
    for i, (band, n) in enumerate(zip(bands, counts, strict=True)):
        p.rect(i - 0.4, 0, i + 0.4, n, colour[band])
        p.text((p.x(i), p.y(n) - 2 * _PT), format_decimal(n), 10, "md")
    p.frame()
    p.xticks([(float(i), b) for i, b in enumerate(bands)], 9)
    ticks = _locator_ticks(*p.ylim, integer=True)
    label_left = p.yticks([(t, _vi_number(t)) for t in ticks], 10)
    _vertical_label(p, "Số đơn vị", label_left - 4 * _PT)
    p.title("Số đơn vị theo xếp loại")


def _totals_panel(p: _Panel, names: list[str], totals: list[float], colours: list[str],
                  ranked: int, hidden: int) -> None:  # fmt: skip
    rows = len(names)
    for k, (name, value, fill) in enumerate(zip(names, totals, colours, strict=True)):
        yy = rows - 1 - k  # rank 1 on top
        p.rect(0, yy - 0.4, value, yy + 0.4, fill)
        if not name.startswith("…"):
            p.text((p.x(value), p.y(yy)), f" {format_decimal(value)}", 8, "lm")
    p.frame()
    p.yticks([(float(rows - 1 - k), name) for k, name in enumerate(names)], 8)
    # matplotlib's "auto": a tick per 3 ems of the axis, 9 at most
    bins = min(9, max(1, int((p.x1 - p.x0) / DPI * 72 // 30)))
    ticks = _locator_ticks(*p.xlim, nbins=bins, steps=[1, 2, 2.5, 5, 10])
    below = p.xticks([(t, _vi_number(t)) for t in ticks], 10)
    p.text(((p.x0 + p.x1) / 2, below + 4 * _PT), "Tổng điểm", 10, "ma")
    scope = f"{format_decimal(ranked)} đơn vị"
    if hidden:
        scope += f"; {TOP_BOTTOM} cao nhất và {TOP_BOTTOM} thấp nhất"
    p.title(f"Tổng điểm các đơn vị ({scope})")


def _vertical_label(p: _Panel, text: str, right: float) -> None:
    """An axis label turned a quarter left, its right edge at ``right``, centred on the axes."""
    font = _font(10)
    box = font.getbbox(text)
    mask = Image.new("L", (ceil(box[2]), ceil(box[3])), 0)
    ImageDraw.Draw(mask).text((0, 0), text, fill=255, font=font)
    turned = mask.rotate(90, expand=True)
    at = (round(right - turned.width), round((p.y0 + p.y1) / 2 - turned.height / 2))
    p.d.bitmap(at, turned, fill="black")


def _legend(canvas: ImageDraw.ImageDraw, size: tuple[int, int], bands: list[str],
            colour: dict[str, str]) -> None:  # fmt: skip
    """The band colours in one row under both panels, titled, centred (matplotlib's legend
    metrics at 9 pt: a 2 × 0,7 em swatch, 0,8 em to its text, 2 em between entries)."""
    font, em = _font(9), 9 * _PT
    widths = [2 * em + 0.8 * em + font.getlength(b) for b in bands]
    total = sum(widths) + 2 * em * (len(bands) - 1)
    x = size[0] / 2 - total / 2
    row = size[1] - _PAD * DPI - 1.6 * em  # the row's middle: border pad, half a row, descent
    canvas.text((size[0] / 2, row - em), "Xếp loại (màu)", fill="black", font=font, anchor="md")
    for band, w in zip(bands, widths, strict=True):
        canvas.rectangle((round(x), round(row - 0.35 * em), round(x + 2 * em) - 1,
                          round(row + 0.35 * em) - 1), fill=colour[band])  # fmt: skip
        canvas.text((x + 2.8 * em, row), band, fill="black", font=font, anchor="lm")
        x += w + 2 * em


def _boxes(
    height: float, counts: list[int], names: list[str]
) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """The two panels in pixels (left, top, right, bottom), placed where matplotlib's
    constrained layout put them: the left one after its axis label and widest count, the right
    one after the longest unit name, widths 1 : 2.4."""
    top_count = format_decimal(max([*counts, 1]) * 1.18, 0)
    left_margin = _PAD + 0.2 + _text_width(top_count, 10) + 0.1
    name_width = max([_text_width(n, 8) for n in names], default=0.0) + 0.1
    free = WIDTH - left_margin - _GAP - name_width - 2 * _PAD
    left_width = free / 3.4
    top, bottom = _TOP * DPI, (height - _BOTTOM) * DPI
    right_at = left_margin + left_width + _GAP + name_width
    return (
        (left_margin * DPI, top, (left_margin + left_width) * DPI, bottom),
        (right_at * DPI, top, (right_at + 2.4 * left_width) * DPI, bottom),
    )
