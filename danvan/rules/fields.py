"""Small readers shared by the file parsers: each reads one value or records why it cannot.

The parsers collect every problem of a file before rejecting it (the official fixes all at once),
so these helpers never raise: they return ``None`` and add a :class:`Problem` instead. Values are
strict on purpose: ``true`` is not the number 1, ``"9,5"`` is not a score, ``3.5`` is no count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from danvan.rules.errors import Problems
from danvan.rules.limits import code_problem
from danvan.rules.text import format_decimal, parse_decimal

_TYPE_NAMES = {
    dict: "một bảng (mapping)",
    list: "một danh sách",
    str: "một chuỗi chữ",
    bool: "giá trị đúng/sai",
    int: "một số",
    float: "một số",
    type(None): "để trống",
}
_TRUE = {"true", "yes", "có", "co", "x", "1", "đúng"}
_FALSE = {"false", "no", "không", "khong", "0", "sai"}


def kind_of(value: object) -> str:
    """What the user wrote, in words: ``một danh sách``, ``một chuỗi chữ``…"""
    return _TYPE_NAMES.get(type(value), "một giá trị khác")


def num(value: float) -> str:
    """A number as the official writes it: ``9,5``, ``10`` (absurd magnitudes as written)."""
    return format_decimal(value) if abs(value) < 1e15 else f"{value:g}"


def mapping(value: object, field: str, problems: Problems) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.add("not_a_mapping", field, f"Cần một bảng các mục, không phải {kind_of(value)}.")
    return None


def sequence(value: object, field: str, problems: Problems) -> list[Any] | None:
    if isinstance(value, list):
        return value
    problems.add("not_a_list", field, f"Cần một danh sách, không phải {kind_of(value)}.")
    return None


def unknown_keys(m: Mapping[Any, Any], allowed: Iterable[str], prefix: str, p: Problems) -> None:
    """Reject fields the format does not have: a typo must not be silently ignored."""
    known = set(allowed)
    for key in m:
        if key not in known:
            field = f"{prefix}.{key}" if prefix else str(key)
            names = ", ".join(sorted(known))
            hint = ""
            if m[key] is None and " " in str(key):
                hint = " Nếu đây là một phần của tên có dấu phẩy, hãy đặt cả tên trong ngoặc kép."
            p.add(
                "unknown_field", field, f"Mục “{key}” không có trong mẫu (chỉ có: {names}).{hint}"
            )


def code(value: object) -> str | None:
    """A code as written: a string, or an integer YAML read as a number (``1`` → ``"1"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def text(
    m: Mapping[str, Any], key: str, field: str, p: Problems, *, required: bool = True
) -> str | None:
    """A non-empty string field; ``None`` when absent (an error if required) or malformed."""
    value = m.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            p.add("missing_field", field, "Thiếu thông tin bắt buộc.")
        return None
    if not isinstance(value, str):
        p.add("not_text", field, f"Cần một chuỗi chữ, không phải {kind_of(value)}.")
        return None
    return value.strip()


def code_field(
    m: Mapping[str, Any], key: str, field: str, p: Problems, *, required: bool = True
) -> str | None:
    value = m.get(key)
    if value is None or value == "":
        if required:
            p.add("missing_field", field, "Thiếu mã.")
        return None
    result = code(value)
    if result is None:
        p.add("not_text", field, f"Mã phải là chuỗi chữ, không phải {kind_of(value)}.")
        return None
    return valid_code(result, field, p)


def valid_code(value: str, field: str, p: Problems) -> str | None:
    """``value`` when it is a code of SPEC §3.1's alphabet, else ``None`` and the reason recorded.

    Every code a file brings in (units, parents, criteria, sets, the plan's province, an
    appraisal's ``by``) passes here, so a path, a space or a look-alike letter never becomes a
    unit, a folder name or a key.
    """
    problem = code_problem(value)
    if problem is None:
        return value
    p.add("invalid_code", field, problem)
    return None


def number(value: object) -> float | None:
    """An int or a finite float, never a bool or a string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value)


def score(value: object) -> float | None:
    """A score, bonus or penalty: a number, or text that is plainly one (``"4,5"``, ``"4.5"``).

    The one reading of a typed score for every door: a workbook cell and a YAML/JSON value
    (issue 17: "4,5" was accepted in a workbook and refused in YAML).
    """
    if isinstance(value, str):
        return parse_decimal(value)
    return number(value)


def integer(value: object) -> int | None:
    """A whole number: an int, or a float with nothing after the point (Excel stores 3 as 3.0)."""
    n = number(value)
    if n is None or not n.is_integer():
        return None
    return int(n)


def boolean(value: object) -> bool | None:
    """``true``/``false``; from a spreadsheet also ``x``, ``có``/``không``, 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def on_step(value: float, step: float = 0.25) -> bool:
    """Is ``value`` a whole number of ``step`` (scores move by 0.25)?"""
    return (value / step).is_integer()


def year(value: object, field: str, p: Problems) -> int | None:
    y = integer(value)
    if value is None:
        p.add("missing_field", field, "Thiếu năm.")
    elif y is None or not 2000 <= y <= 2100:
        p.add("invalid_year", field, f"Năm không hợp lệ: {value!r}.")
        return None
    return y
