"""Safe YAML and JSON parsing for :func:`~danvan.rules.formats.load_document`.

Both parsers are hostile-file gates (SPEC §4.7), so they live apart from the loader that calls
them, with the structural limits they enforce: a YAML file is first walked as a stream of events
(in C, nothing built) so that a file too deep (:data:`MAX_DEPTH`), too long or with a number too
long to construct is refused in a second; aliases are counted where they are used, so a
"billion laughs" file is refused instead of expanded. A key written twice in one mapping is an
error in both formats, never a silent "last one wins" (a criterion scored twice must never
pass); JSON's ``NaN``/``Infinity`` and integers of more than 30 digits are refused.
Parser messages may quote the file's own bytes: they are cut and cleaned before they are shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from danvan.rules.errors import Rejected, reject
from danvan.rules.limits import DEFAULT_LIMITS, Limits
from danvan.rules.text import normalize_text

#: Deeper than any of our formats (a submission is 4 levels deep); refused before composing.
MAX_DEPTH = 32
#: Characters no text field may hold: C0/C1 controls but tab and line breaks, lone surrogates.
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# --- YAML -------------------------------------------------------------------------------------

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
                raise too_deep(name)
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
            raise too_large(name)


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


def too_deep(name: str) -> Rejected:
    return reject("too_deep", "", "Tệp lồng nhau quá sâu hoặc có tham chiếu vòng.", file=name)


def too_large(name: str) -> Rejected:
    return reject("too_large", "", "Tệp có quá nhiều mục (hoặc tham chiếu lồng nhau).", name)


def load_yaml(name: str, text: str, limits: Limits = DEFAULT_LIMITS, budget: int = 0) -> object:
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
            raise too_deep(name) from None
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
    return BAD_CHARS.sub("?", text[:200])


def _check_duplicate_keys(name: str, node: yaml.Node, path: str, budget: list[int]) -> None:
    """Walk the composed YAML tree: a key written twice in one mapping is rejected with its path.

    Aliases are walked again where they are used; ``budget`` caps the expanded size, so that
    a "billion laughs" file is refused instead of expanded.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise too_large(name)
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


def load_json(name: str, text: str) -> object:
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
