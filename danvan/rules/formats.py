"""Đọc tệp: turn the bytes a user hands in into plain Python values, or a readable rejection.

Every input file (org tree, criteria, plan, submission, appraisal) passes through
:func:`load_document` first, so that the later parsers only ever see dicts, lists, strings and
numbers. The loader trusts nothing: the extension must match the bytes (a DOCX renamed ``.yaml``
is refused before YAML sees it), the text must be UTF-8, and a key written twice in one mapping
is an error, not a silent "last one wins" (a criterion scored twice must never pass).
Every string comes out through :func:`~danvan.rules.text.normalize_text` here, in one place, so
NFD text and the legacy glyphs ƣ/Ƣ never reach a comparison.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import yaml

from danvan.rules.errors import Rejected, reject
from danvan.rules.text import normalize_text
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
#: More values than any org tree of a province (25,000 units × a dozen fields) could need.
_MAX_NODES = 1_000_000


def load_document(name: str, data: bytes, limits: XlsxLimits | None = None) -> object:
    """Decode ``data`` by the extension of ``name``; strings normalised. Raises :class:`Rejected`.

    An XLSX passes the safety gate first, with ``limits`` (SPEC §4.7 defaults when not given).
    """
    ext = PurePath(name).suffix.lower()
    if not data or not data.strip():
        raise reject("empty_file", "", "Tệp rỗng, không có nội dung.", file=name)
    if ext == ".xlsx":
        return _normalized(_load_xlsx(name, data, limits or XlsxLimits()))
    if ext not in _TEXT_EXTS:
        raise reject(
            "unknown_extension",
            "",
            f"Không nhận loại tệp “{ext or '(không có đuôi)'}”; chỉ nhận .yaml, .yml, .json, .xlsx.",
            file=name,
        )
    text = _decode_text(name, data, _TEXT_EXTS[ext])
    try:
        value = _load_json(name, text) if ext == ".json" else _load_yaml(name, text)
        return _normalized(value)
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


def _load_yaml(name: str, text: str) -> object:
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise reject("empty_file", "", "Tệp YAML không có nội dung.", file=name)
            _check_duplicate_keys(name, node, "", [_MAX_NODES])
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        raise reject(
            "invalid_yaml", "", f"Tệp YAML sai cú pháp{where}: {exc.problem}.", file=name
        ) from None
    except yaml.YAMLError as exc:
        raise reject("invalid_yaml", "", f"Tệp YAML sai cú pháp: {exc}.", file=name) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date like 2024-13-45
        raise reject("invalid_yaml", "", f"Giá trị không đọc được: {exc}.", file=name) from None


def _check_duplicate_keys(name: str, node: yaml.Node, path: str, budget: list[int]) -> None:
    """Walk the composed YAML tree: a key written twice in one mapping is rejected with its path.

    Aliases are walked again where they are used; ``budget`` caps the expanded size, so that
    a "billion laughs" file is refused instead of expanded.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise reject("too_large", "", "Tệp có quá nhiều mục (hoặc tham chiếu lồng nhau).", name)
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
    for key, value in pairs:
        if normalize_text(key) in {normalize_text(k) for k in obj}:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _no_constant(token: str) -> None:
    raise ValueError(f"giá trị {token} không hợp lệ")


def _load_json(name: str, text: str) -> object:
    try:
        value = json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise reject(
            "invalid_json",
            "",
            f"Tệp JSON sai cú pháp (dòng {exc.lineno}, cột {exc.colno}): {exc.msg}.",
            file=name,
        ) from None
    except ValueError as exc:  # RecursionError goes up: too deep
        raise reject("invalid_json", "", f"Tệp JSON không đọc được: {exc}.", file=name) from None
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


# --- normalisation ----------------------------------------------------------------------------


def _normalized(value: object) -> object:
    """Every string, keys included, through :func:`normalize_text`; other values unchanged."""
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {
            (normalize_text(k) if isinstance(k, str) else k): _normalized(v)
            for k, v in value.items()
        }
    return value
