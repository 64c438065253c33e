"""Đọc tệp: turn the bytes a user hands in into plain Python values, or a readable rejection.

Every input file (org tree, criteria, plan, submission, appraisal) passes through
:func:`load_document` first, so that the later parsers only ever see dicts, lists, strings and
numbers. The loader trusts nothing: the extension must match the bytes (a DOCX renamed ``.yaml``
is refused before YAML sees it), the text must be UTF-8, and a key written twice in one mapping
is an error, not a silent "last one wins" (a criterion scored twice must never pass).
Every string comes out through :func:`~danvan.rules.text.normalize_text` here, in one place, so
NFD text and the legacy glyphs ƣ/Ƣ never reach a comparison.

It is also the gate for hostile files (SPEC §4.7): the size is checked before any parsing, the
text is parsed by :mod:`danvan.rules.yaml_json` (which refuses a YAML file of a million keys or a
thousand levels in a second instead of composing it), and every value that comes out is
bounded — text length, control characters and lone surrogates (which later break a workbook or
a database write), numbers beyond 10^12 (a 401-digit number overflows the float a score
becomes). Each problem names its field, so the official can find it.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import PurePath
from typing import Any

from danvan.rules.errors import Problems, Rejected, reject
from danvan.rules.limits import DEFAULT_LIMITS, Limits, describe_char, shown
from danvan.rules.text import format_int, normalize_text
from danvan.rules.xlsx_gate import XlsxLimits
from danvan.rules.xlsx_read import read_xlsx
from danvan.rules.yaml_json import (
    BAD_CHARS,
    MAX_DEPTH,
    load_json,
    load_yaml,
    too_deep,
    too_large,
)

#: Magic numbers of files people mistake for data files.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "tệp nén ZIP (XLSX/DOCX)"),
    (b"%PDF", "tệp PDF"),
    (b"\xd0\xcf\x11\xe0", "tệp Office cũ (DOC/XLS)"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
)
_TEXT_EXTS = {".yaml": "YAML", ".yml": "YAML", ".json": "JSON"}
_UTF8_BOM = b"\xef\xbb\xbf"
#: How many problems of values one rejection lists (a hostile file could have millions).
_MAX_VALUE_PROBLEMS = 20


def load_document(
    name: str,
    data: bytes,
    xlsx: XlsxLimits | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    rows: int | None = None,
) -> object:
    """Decode ``data`` by the extension of ``name``; strings normalised. Raises :class:`Rejected`.

    An XLSX passes the safety gate first, with ``xlsx`` (SPEC §4.7 defaults when not given).
    ``rows`` is how many rows (units, lines) the kind of file may have: it sizes the value budget
    of a YAML/JSON file (default: an org tree's, the largest).
    """
    ext = PurePath(name).suffix.lower()
    if len(data) > limits.max_file_bytes:
        raise reject(
            "file_too_large",
            "",
            f"Tệp lớn hơn giới hạn {_mb(limits.max_file_bytes)}.",
            file=name,
        )
    if not data or not data.strip():
        raise reject("empty_file", "", "Tệp rỗng, không có nội dung.", file=name)
    budget = limits.max_values(limits.max_org_rows if rows is None else rows)
    if ext == ".xlsx":
        return _checked(name, _load_xlsx(name, data, xlsx or XlsxLimits()), limits, budget)
    if ext not in _TEXT_EXTS:
        raise reject(
            "unknown_extension",
            "",
            f"Không nhận loại tệp “{ext or '(không có đuôi)'}”; chỉ nhận .yaml, .yml, .json, .xlsx.",
            file=name,
        )
    text = _decode_text(name, data, _TEXT_EXTS[ext])
    try:
        json_or_yaml = load_json(name, text) if ext == ".json" else None
        value = load_yaml(name, text, limits, budget) if ext != ".json" else json_or_yaml
        return _checked(name, value, limits, budget)
    except RecursionError:
        raise reject(
            "too_deep", "", "Tệp lồng nhau quá sâu hoặc có tham chiếu vòng.", file=name
        ) from None


def _decode_text(name: str, data: bytes, kind: str) -> str:
    for magic, label in _SIGNATURES:
        if data.startswith(magic):
            raise reject(
                "wrong_file_type",
                "",
                f"Tệp có đuôi của tệp {kind} nhưng thực chất là {label}.",
                file=name,
            )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reject(
            "not_utf8",
            "",
            f"Tệp không mã hóa UTF-8 (byte thứ {exc.start + 1}); hãy lưu lại với mã UTF-8.",
            file=name,
        ) from None
    if "\x00" in text:
        raise reject("wrong_file_type", "", f"Tệp nhị phân, không phải {kind}.", file=name)
    return text


def _mb(n: int) -> str:
    return f"{format_int(n // (1024 * 1024))} MB" if n >= 1024 * 1024 else f"{format_int(n)} byte"


# --- XLSX -------------------------------------------------------------------------------------


def _load_xlsx(name: str, data: bytes, limits: XlsxLimits) -> list[dict[str, Any]]:
    """Rows of the first sheet as dicts keyed by the (normalised, lowercased) header row."""
    return xlsx_rows(read_xlsx(name, data, limits).sheets)


def xlsx_rows(sheets: dict[str, list[list[Any]]]) -> list[dict[str, Any]]:
    """The first sheet of an already read workbook as header-keyed rows (``key | value``)."""
    first = next(iter(sheets.values()), [])
    return _rows_to_dicts([list(r) for r in first])


def _rows_to_dicts(rows: list[list[Any]]) -> list[dict[str, Any]]:
    rows = [r for r in rows if any(_present(v) for v in r)]
    if not rows:
        return []
    header = [normalize_text(str(h)).lower() if _present(h) else None for h in rows[0]]
    result = []
    for row in rows[1:]:
        cells = {h: (v if _present(v) else None) for h, v in zip(header, row, strict=False) if h}
        result.append(cells)
    return result


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# --- bounds and normalisation -----------------------------------------------------------------


def bounded(name: str, value: object, limits: Limits, rows: int) -> object:
    """:func:`load_document`'s bounds for values read another way (a workbook's cells)."""
    return _checked(name, value, limits, limits.max_values(rows))


def _checked(name: str, value: object, limits: Limits, budget: int) -> object:
    """Every value bounded (SPEC §4.7), every string normalised; all problems at once (to a cap)."""
    p = Problems()
    try:
        out = _walk(value, "", 0, limits, [budget], p)
    except Rejected as exc:
        raise exc.with_file(name) from None
    if p.items:
        if len(p.items) > _MAX_VALUE_PROBLEMS:
            more = len(p.items) - _MAX_VALUE_PROBLEMS
            p.items = p.items[:_MAX_VALUE_PROBLEMS]
            p.add("too_many_problems", "", f"… và {format_int(more)} lỗi khác cùng loại.")
        p.raise_if_any(name)
    return out


def _walk(value: object, at: str, depth: int, limits: Limits, budget: list[int], p: Problems):
    budget[0] -= 1
    if budget[0] < 0:
        raise too_large("")
    if depth > MAX_DEPTH:
        raise too_deep("")
    if isinstance(value, str):
        return _text(value, at, limits, p)
    if isinstance(value, bool) or value is None or isinstance(value, date):
        return value
    if isinstance(value, int | float):
        _number(value, at, limits, p)
        return value
    if isinstance(value, list | tuple):
        return [_walk(v, f"{at}[{i}]", depth + 1, limits, budget, p) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            named = f"{at}.{shown(str(k))}" if at else shown(str(k))
            key = _walk(k, named, depth + 1, limits, budget, p) if isinstance(k, str | int) else k
            child = f"{at}.{key}" if at else str(key)
            out[key] = _walk(v, child, depth + 1, limits, budget, p)
        return out
    return value


def _text(value: str, at: str, limits: Limits, p: Problems) -> str:
    if len(value) > limits.max_text_chars:
        p.add(
            "text_too_long",
            at,
            f"Nội dung dài {format_int(len(value))} ký tự, tối đa "
            f"{format_int(limits.max_text_chars)}.",
        )
        return value[:0]
    bad = BAD_CHARS.search(value)
    if bad is not None:
        code = "invalid_character" if "\ud800" <= bad[0] <= "\udfff" else "control_character"
        p.add(code, at, f"Có ký tự điều khiển {describe_char(bad[0])} không được phép.")
        return value[:0]
    return normalize_text(value)


def _number(value: float, at: str, limits: Limits, p: Problems) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        p.add("invalid_number", at, f"Số không hợp lệ: {value}.")
    elif abs(value) > limits.max_number:
        p.add(
            "number_too_large",
            at,
            f"Số quá lớn (giới hạn {format_int(limits.max_number)}).",
        )
