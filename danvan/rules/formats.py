"""Đọc tệp: turn the bytes a user hands in into plain Python values, or a readable rejection.

Every input file (org tree, criteria, plan, submission, appraisal) passes through
:func:`load_document` first, so that the later parsers only ever see dicts, lists, strings and
numbers. The loader trusts nothing: the extension must match the bytes (a DOCX renamed ``.yaml``
is refused before YAML sees it), the text must be UTF-8, and a key written twice in one mapping
is an error, not a silent "last one wins" (a criterion scored twice must never pass).
Every string comes out through :func:`~danvan.rules.text.normalize_text` here, in one place, so
NFD text and the legacy glyphs ƣ/Ƣ never reach a comparison.

It is also the gate for hostile files (SPEC §4.7): the size is checked before any parsing, a YAML
file is first scanned as a stream of events (in C, without building anything) so that a file of a
million keys or a thousand levels is refused in a second instead of composed, and every value
that comes out is bounded — text length, control characters and lone surrogates (which later
break a workbook or a database write), numbers beyond 10^12 (a 401-digit number overflows the
float a score becomes). Each problem names its field, so the official can find it.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import PurePath
from typing import Any

import yaml

from danvan.rules.errors import Problems, Rejected, reject
from danvan.rules.limits import DEFAULT_LIMITS, Limits, describe_char, shown
from danvan.rules.text import format_int, normalize_text
from danvan.rules.xlsx_gate import XlsxLimits
from danvan.rules.xlsx_read import read_xlsx

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
#: Deeper than any of our formats (a submission is 4 levels deep); refused before composing.
MAX_DEPTH = 32
#: Characters no text field may hold: C0/C1 controls but tab and line breaks, lone surrogates.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
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
        json_or_yaml = _load_json(name, text) if ext == ".json" else None
        value = _load_yaml(name, text, limits, budget) if ext != ".json" else json_or_yaml
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


# --- YAML -------------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{format_int(n // (1024 * 1024))} MB" if n >= 1024 * 1024 else f"{format_int(n)} byte"


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _prescan_yaml(name: str, text: str, limits: Limits, budget: int) -> None:
    """Walk the YAML events (nothing is built) and refuse a file too big, too deep or too long.

    Composing a million-key file takes a minute and gigabytes; streaming its events takes a
    second and nothing. It also bounds what the composer and constructor will see: no nesting
    beyond :data:`MAX_DEPTH` (the C composer recurses), no scalar longer than a text field may be
    (a 10-million-part sexagesimal number would take hours to construct).
    """
    depth = count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(name)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        elif isinstance(event, yaml.ScalarEvent):
            if _long_number(event, limits):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise reject(
                    "number_too_large", "", f"Số ở dòng {line} dài bất thường, quá lớn.", name
                )
        elif not isinstance(event, yaml.AliasEvent):
            continue
        count += 1
        if count > budget:
            raise _too_large(name)


#: How a YAML library says it stopped a file nested too deep (PyYAML 6.0.4's own limit).
_LIBRARY_DEPTH = re.compile(r"nesting depth|too deep|recursion", re.IGNORECASE)

#: What YAML 1.1 may read as a number (ints in any base, sexagesimal, floats).
_NUMERIC = re.compile(r"[-+]?[0-9.][0-9a-fA-FxXoObB_:.eE+-]*")


def _long_number(event: yaml.ScalarEvent, limits: Limits) -> bool:
    """A plain scalar longer than any number may be, that YAML would still construct as one.

    Other long values are left to the bounds check, which names their field.
    """
    too_long = len(event.value) > len(str(limits.max_number)) + 20
    return too_long and not event.style and _NUMERIC.fullmatch(event.value) is not None


def _too_deep(name: str) -> Rejected:
    return reject("too_deep", "", "Tệp lồng nhau quá sâu hoặc có tham chiếu vòng.", file=name)


def _too_large(name: str) -> Rejected:
    return reject("too_large", "", "Tệp có quá nhiều mục (hoặc tham chiếu lồng nhau).", name)


def _load_yaml(name: str, text: str, limits: Limits = DEFAULT_LIMITS, budget: int = 0) -> object:
    budget = budget or limits.max_values(limits.max_org_rows)
    try:
        _prescan_yaml(name, text, limits, budget)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise reject("empty_file", "", "Tệp YAML không có nội dung.", file=name)
            _check_duplicate_keys(name, node, "", [budget])
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if _LIBRARY_DEPTH.search(str(exc.problem or "")):
            # PyYAML ≥ 6.0.4 stops deep nesting itself, before our event walk counts it: the
            # user gets our answer whichever layer stopped the file first.
            raise _too_deep(name) from None
        mark = exc.problem_mark or exc.context_mark
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        raise reject(
            "invalid_yaml", "", f"Tệp YAML sai cú pháp{where}: {exc.problem}.", file=name
        ) from None
    except yaml.YAMLError as exc:
        raise reject("invalid_yaml", "", f"Tệp YAML sai cú pháp: {exc}.", file=name) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date like 2024-13-45
        raise reject(
            "invalid_yaml", "", f"Giá trị không đọc được: {_short(str(exc))}.", file=name
        ) from None


def _short(text: str) -> str:
    """An error text from a parser, cut and cleaned: it may quote the file's own bytes."""
    return _BAD_CHARS.sub("?", text[:200])


def _check_duplicate_keys(name: str, node: yaml.Node, path: str, budget: list[int]) -> None:
    """Walk the composed YAML tree: a key written twice in one mapping is rejected with its path.

    Aliases are walked again where they are used; ``budget`` caps the expanded size, so that
    a "billion laughs" file is refused instead of expanded.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise _too_large(name)
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(name, item, f"{path}[{i}]", budget)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            child = f"{path}.{key}" if path else str(key)
            if key is not None and key != "<<":
                key = normalize_text(key)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    raise _duplicate(name, path, key, line)
                seen.add(key)
            _check_duplicate_keys(name, value_node, child, budget)


def _duplicate(name: str, parent: str, key: str, line: int | None) -> Rejected:
    field = f"{parent}.{key}" if parent else key
    where = f" (dòng {line})" if line else ""
    if parent == "scores":
        return reject(
            "criterion_duplicated", field, f"Tiêu chí “{key}” được chấm hai lần{where}.", file=name
        )
    return reject("duplicate_key", field, f"Mục “{key}” được ghi hai lần{where}.", file=name)


# --- JSON -------------------------------------------------------------------------------------


class _Pairs(dict):
    """A JSON object that remembers the keys it saw twice (json keeps the last silently)."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _Pairs:
    obj = _Pairs()
    obj.duplicates = []
    seen: set[str] = set()
    for key, value in pairs:
        folded = normalize_text(key)
        if folded in seen:
            obj.duplicates.append(key)
        seen.add(folded)
        obj[key] = value
    return obj


def _no_constant(token: str) -> None:
    raise ValueError(f"giá trị {token} không hợp lệ")


class _NumberTooLong(ValueError):
    """A number written with more digits than any limit allows (Python would parse 4,300)."""


def _parse_int(token: str) -> int:
    if len(token) > 30:
        raise _NumberTooLong(token)
    return int(token)


def _load_json(name: str, text: str) -> object:
    try:
        value = json.loads(
            text, object_pairs_hook=_pairs_hook, parse_constant=_no_constant, parse_int=_parse_int
        )
    except _NumberTooLong as exc:
        raise reject(
            "number_too_large", "", f"Có số dài {len(str(exc))} chữ số, quá lớn.", file=name
        ) from None
    except json.JSONDecodeError as exc:
        raise reject(
            "invalid_json",
            "",
            f"Tệp JSON sai cú pháp (dòng {exc.lineno}, cột {exc.colno}): {exc.msg}.",
            file=name,
        ) from None
    except ValueError as exc:  # RecursionError goes up: too deep
        raise reject(
            "invalid_json", "", f"Tệp JSON không đọc được: {_short(str(exc))}.", file=name
        ) from None
    _json_duplicates(name, value, "")
    return value


def _json_duplicates(name: str, value: object, path: str) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _json_duplicates(name, item, f"{path}[{i}]")
    elif isinstance(value, dict):
        if isinstance(value, _Pairs) and value.duplicates:
            raise _duplicate(name, path, normalize_text(value.duplicates[0]), None)
        for key, item in value.items():
            _json_duplicates(name, item, f"{path}.{key}" if path else key)


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
        raise _too_large("")
    if depth > MAX_DEPTH:
        raise _too_deep("")
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
    bad = _BAD_CHARS.search(value)
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
