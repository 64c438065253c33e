"""Vietnamese text and number conventions of the officials' own documents (SPEC §3, §4.4).

Names arrive in NFC or NFD and with the legacy glyphs ƣ/Ƣ (U+01A3/U+01A2) that old Vietnamese
fonts used for ư/Ư; everything is normalised before it is compared or stored.
Numbers follow seed 001: thousands with ``.``, decimals with ``,``, percentages with two
decimals *truncated* (3.306/3.320 → ``99,57%``), counts below ten in prose with two digits.
Dates follow Nghị định 30/2020/NĐ-CP: *ngày 09 tháng 11 năm 2023*, with a leading zero for days
below 10 and for months 1 and 2.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

#: Digits as officials type them: ASCII only. ``str.isdigit`` accepts "¹" and ``int`` then fails;
#: ``int``, ``float`` and ``\\d`` accept other scripts' digits ("١٢", "１２"). Every number read
#: from text goes through :func:`parse_int` or :func:`parse_decimal`, never through those.
_ASCII_INT = re.compile(r"[0-9]+")
_ASCII_DECIMAL = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")


def parse_int(text: str) -> int | None:
    """A whole number written in ASCII digits (``" 2473 "`` → 2473); anything else is None.

    Any length: past Python's 4,300 digits for ``int(str)`` it is read through ``Decimal``, so
    the caller's range check, not a ``ValueError``, answers a 5,000-digit number.
    """
    t = text.strip()
    if not _ASCII_INT.fullmatch(t):
        return None
    return int(t) if len(t) <= 4000 else int(Decimal(t))


#: The largest id or version a database integer holds (PostgreSQL ``integer``: 2^31 − 1).
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """A positive whole number a database integer holds (1 … :data:`MAX_ID`): a version, a page
    or an id taken from a URL, a form or a cookie. Anything else — 0, a sign, a decimal, 20
    digits, other scripts' digits — is None, decided before any query sees it."""
    t = text.strip()
    if len(t) > len(str(MAX_ID)) or not _ASCII_INT.fullmatch(t):
        return None
    n = int(t)
    return n if 1 <= n <= MAX_ID else None


def parse_decimal(text: str) -> float | None:
    """A plain decimal in ASCII digits, point or comma (``"9,5"`` → 9.5); anything else None.

    No sign, exponent, ``nan`` or ``inf``: what ``float()`` would accept beyond that is not a
    score an official typed.
    """
    m = _ASCII_DECIMAL.fullmatch(text.strip())
    return None if m is None else float(f"{m[1]}.{m[2] or 0}")


_LEGACY = str.maketrans({"\u01a3": "ư", "\u01a2": "Ư"})


def normalize_text(value: str) -> str:
    """NFC, legacy ƣ/Ƣ → ư/Ư, inner whitespace collapsed, ends stripped."""
    text = unicodedata.normalize("NFC", value.translate(_LEGACY))
    # NFD input may carry the legacy glyph decomposed with a combining mark: translate again.
    text = unicodedata.normalize("NFC", text.translate(_LEGACY))
    return " ".join(text.split())


def fold_key(value: str) -> str:
    """A case-insensitive comparison key for names (normalised, then casefolded)."""
    return normalize_text(value).casefold()


#: The minus sign of every number written for people (U+2212, as ``Tăng (+), giảm (−)`` heads
#: the workbook's change column): a hyphen reads as a dash beside the en dash of an empty cell.
MINUS = "\u2212"


def format_int(value: int) -> str:
    """29264 → ``29.264``; −5 with the minus sign :data:`MINUS`."""
    sign = MINUS if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", ".")


def format_count(value: int) -> str:
    """Counts in prose: below ten with two digits (``06``), else as :func:`format_int`; zero is
    ``0``, never ``00`` (a sentence that would say nothing happened says *không phát sinh*)."""
    return f"{value:02d}" if 0 < value < 10 else format_int(value)


def format_decimal(value: float | Decimal | int, places: int = 2) -> str:
    """87.5 → ``87,5``; 90.0 → ``90``; 1234.25 → ``1.234,25`` (trailing zeros dropped)."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    whole, _, frac = f"{abs(d):f}".partition(".")
    frac = frac.rstrip("0")
    text = format_int(int(whole)) + ("," + frac if frac else "")
    return (MINUS if d < 0 else "") + text


def truncate_percent(fraction: Fraction | float, places: int = 2) -> Decimal:
    """The percentage of a fraction, truncated (not rounded) to ``places`` decimals."""
    exact = Fraction(fraction) * 100 if not isinstance(fraction, Fraction) else fraction * 100
    step = Decimal(1).scaleb(-places)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(step, ROUND_DOWN)


def format_percent(numerator: int, denominator: int, places: int = 2) -> str | None:
    """``70,41%`` for 20607/29264, truncated; ``None`` when the denominator is 0.

    Always with its two decimals (``100,00%``, ``95,50%``), as SPEC §4.4 writes them, so that a
    column of rates lines up and nobody wonders whether a figure was rounded.
    """
    if denominator == 0:
        return None
    value = truncate_percent(Fraction(numerator, denominator), places)
    whole, _, frac = f"{value:f}".partition(".")
    return format_int(int(whole)) + ("," + frac if frac else "") + "%"


def mean_half_up(values: list[float] | tuple[float, ...], places: int = 2) -> Decimal | None:
    """The exact mean rounded half up (as officials count: 8,125 → 8,13), None when empty."""
    if not values:
        return None
    exact = sum((Fraction(str(v)) for v in values), Fraction(0)) / len(values)
    step = Decimal(1).scaleb(-places)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(step, ROUND_HALF_UP)


def count_words(value: int, noun: str) -> str:
    """``06 đơn vị``; zero in words (``không có đơn vị``), as an official writes it."""
    return f"không có {noun}" if value == 0 else f"{format_count(value)} {noun}"


def _pad(n: int) -> str:
    return f"{n:02d}"


def format_date_long(day: date) -> str:
    """``ngày 20 tháng 11 năm 2024`` (Nghị định 30: zero before days < 10 and months 1, 2)."""
    month = _pad(day.month) if day.month < 3 else str(day.month)
    return f"ngày {_pad(day.day)} tháng {month} năm {day.year}"


def format_date_short(day: date) -> str:
    """``15/11/2024``."""
    return f"{_pad(day.day)}/{_pad(day.month)}/{day.year}"


def format_place_date(place: str, day: date) -> str:
    """The place-and-date line of an official document: ``Tháp Mười, ngày 09 tháng 11 năm 2023``."""
    return f"{place}, {format_date_long(day)}"


def compare_phrase(current: int, previous: int | None, unit_word: str, year: int) -> str:
    """Year-on-year wording of seed 001: ``tăng 06 đơn so với cùng kỳ năm 2022``."""
    if previous is None:
        return ""
    diff = current - previous
    if diff == 0:
        return f"bằng cùng kỳ năm {year}"
    verb = "tăng" if diff > 0 else "giảm"
    return f"{verb} {format_count(abs(diff))} {unit_word} so với cùng kỳ năm {year}".replace(
        "  ", " "
    )
