"""Bộ tiêu chí: the criteria set file (SPEC §3.2), checked so that scoring can never be ambiguous.

A set is refused when a score could not be judged: a criterion code twice, a maximum that is not
a whole number of 0.25 steps, bands out of order, a band no total can reach, a rule naming a band
that does not exist. The lowest band must start at 0 or below, so that every total (penalties can
push it under 0) gets a band. The set is stored as JSON in the database through
:func:`danvan.rules.criteria_store.criteria_to_dict` and its inverse, which round-trip through the same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from danvan.rules import fields as f
from danvan.rules.domain import (
    NOT_APPLICABLE_METHODS,
    NOT_RANKED,
    QUOTA_ROUNDING,
    QUOTA_SCOPES,
    UNIT_KINDS,
    Band,
    BandRules,
    CriteriaGroup,
    CriteriaSet,
    Criterion,
    TopBandQuota,
)
from danvan.rules.errors import Problems
from danvan.rules.quality_checks import parse_checks
from danvan.rules.text import normalize_text

_TOP = ("code", "name", "groups", "bonus_max", "penalty_max", "bands", "rules", "not_applicable",
        "checks")  # fmt: skip
_RULES = (
    "zero_criterion_caps_band",
    "penalty_caps_band",
    "late_caps_band",
    "missing_band",
    "top_band_quota",
)
_CRITERION = ("code", "name", "max", "not_applicable_allowed", "kinds")


def parse_criteria(doc: object, file: str) -> CriteriaSet:
    """Check and build a :class:`CriteriaSet`; every problem of the file at once."""
    p = Problems()
    top = f.mapping(doc, "", p)
    p.raise_if_any(file)
    assert top is not None
    f.unknown_keys(top, _TOP, "", p)
    code = f.code_field(top, "code", "code", p)
    name = f.text(top, "name", "name", p)
    groups = _groups(top.get("groups"), p)
    bonus_max = _limit(top, "bonus_max", p)
    penalty_max = _limit(top, "penalty_max", p)
    bands = _bands(top.get("bands"), p)
    cap, rules = _rules(top.get("rules"), bands, p)
    method = _method(top.get("not_applicable", "full_marks"), p)
    checks = parse_checks(top.get("checks"), "checks", p)
    if groups and bands and not p:
        _check_reachable(groups, bonus_max or 0, bands, p, rescale=method == "rescale")
    p.raise_if_any(file)
    return CriteriaSet(
        code=code or "",
        name=name or "",
        groups=tuple(groups),
        bonus_max=bonus_max or 0.0,
        penalty_max=penalty_max or 0.0,
        bands=tuple(bands),
        zero_criterion_caps_band=cap,
        rules=rules,
        not_applicable=method,
        checks=checks,
    )


def _method(value: object, p: Problems) -> str:
    if value not in NOT_APPLICABLE_METHODS:
        p.add(
            "invalid_not_applicable",
            "not_applicable",
            f"Cách tính tiêu chí không áp dụng phải là full_marks hoặc rescale, không phải {value!r}.",
        )
        return "full_marks"
    return str(value)


def _groups(value: object, p: Problems) -> list[CriteriaGroup]:
    items = f.sequence(value, "groups", p) if value is not None else None
    if value is None or items == []:
        p.add("missing_field", "groups", "Bộ tiêu chí chưa có nhóm tiêu chí nào.")
        return []
    groups: list[CriteriaGroup] = []
    seen_groups: set[str] = set()
    seen: dict[str, str] = {}  # criterion code → where first defined
    for i, item in enumerate(items or []):
        at = f"groups[{i}]"
        g = f.mapping(item, at, p)
        if g is None:
            continue
        f.unknown_keys(g, ("code", "name", "criteria"), at, p)
        gcode = f.code_field(g, "code", f"{at}.code", p) or ""
        if gcode and gcode in seen_groups:
            p.add("duplicate_code", f"{at}.code", f"Mã nhóm “{gcode}” bị trùng.")
        seen_groups.add(gcode)
        gname = f.text(g, "name", f"{at}.name", p) or ""
        crits = _criteria(g.get("criteria"), gcode, at, seen, p)
        groups.append(CriteriaGroup(code=gcode, name=gname, criteria=tuple(crits)))
    return groups


def _criteria(
    value: object, group: str, at: str, seen: dict[str, str], p: Problems
) -> list[Criterion]:
    items = f.sequence(value, f"{at}.criteria", p) if value is not None else []
    if not items:
        p.add("missing_field", f"{at}.criteria", "Nhóm chưa có tiêu chí nào.")
        return []
    out = []
    for j, item in enumerate(items):
        cat = f"{at}.criteria[{j}]"
        c = f.mapping(item, cat, p)
        if c is None:
            continue
        f.unknown_keys(c, _CRITERION, cat, p)
        ccode = f.code_field(c, "code", f"{cat}.code", p) or ""
        if ccode in seen:
            p.add(
                "duplicate_code",
                f"{cat}.code",
                f"Mã tiêu chí “{ccode}” trùng với tiêu chí ở {seen[ccode]}.",
            )
        elif ccode:
            seen[ccode] = cat
        name = f.text(c, "name", f"{cat}.name", p) or ""
        allowed = c.get("not_applicable_allowed", False)
        if not isinstance(allowed, bool):
            p.add("not_boolean", f"{cat}.not_applicable_allowed", "Cần true hoặc false.")
        out.append(
            Criterion(
                code=ccode,
                name=name,
                max=_max(c.get("max"), f"{cat}.max", p),
                group=group,
                not_applicable_allowed=allowed is True,
                kinds=_kinds(c.get("kinds"), f"{cat}.kinds", p),
            )
        )
    return out


def _kinds(value: object, field: str, p: Problems) -> tuple[str, ...]:
    """``kinds: [commune]``: the unit kinds a criterion applies to (none written: every kind)."""
    if value is None:
        return ()
    items = f.sequence(value, field, p) or []
    bad = [k for k in items if k not in UNIT_KINDS]
    if bad or not items:
        p.add(
            "invalid_kind",
            field,
            "Loại đơn vị phải thuộc: " + ", ".join(UNIT_KINDS) + f"; không phải {bad or items!r}.",
        )
        return ()
    return tuple(dict.fromkeys(str(k) for k in items))


def _max(value: object, field: str, p: Problems) -> float:
    n = f.number(value)
    if value is None:
        p.add("missing_field", field, "Thiếu điểm tối đa.")
    elif n is None or n <= 0:
        p.add("invalid_max", field, f"Điểm tối đa phải là số dương, không phải {value!r}.")
    elif not f.on_step(n):
        p.add("invalid_max", field, f"Điểm tối đa {f.num(n)} không chia hết cho bước 0,25.")
    else:
        return n
    return 0.0


def _limit(top: dict[str, Any], key: str, p: Problems) -> float | None:
    value = top.get(key, 0)
    n = f.number(value)
    if n is None or n < 0 or not f.on_step(n):
        p.add("invalid_limit", key, f"Phải là số không âm, bội của 0,25, không phải {value!r}.")
        return None
    return n


def _bands(value: object, p: Problems) -> list[Band]:
    items = f.sequence(value, "bands", p) if value is not None else []
    if not items:
        p.add("missing_field", "bands", "Chưa có mức xếp loại nào.")
        return []
    bands: list[Band] = []
    for i, item in enumerate(items):
        at = f"bands[{i}]"
        b = f.mapping(item, at, p)
        if b is None:
            continue
        f.unknown_keys(b, ("name", "min"), at, p)
        name = f.text(b, "name", f"{at}.name", p)
        low = f.number(b.get("min"))
        if low is None:
            p.add("invalid_band", f"{at}.min", f"Điểm sàn phải là số, không phải {b.get('min')!r}.")
        elif bands and low >= bands[-1].min:
            p.add(
                "bands_order",
                f"{at}.min",
                "Các mức xếp loại phải từ cao xuống thấp, điểm sàn giảm dần.",
            )
        if name and any(x.name == name for x in bands):
            p.add("duplicate_band", f"{at}.name", f"Mức xếp loại “{name}” bị trùng.")
        if name and low is not None:
            bands.append(Band(name=name, min=low))
    if bands and bands[-1].min > 0 and not p:
        p.add(
            "lowest_band_above_zero",
            f"bands[{len(items) - 1}].min",
            "Mức thấp nhất phải có điểm sàn 0 (hoặc âm) để mọi tổng điểm đều được xếp loại.",
        )
    return bands


def _rules(value: object, bands: list[Band], p: Problems) -> tuple[str | None, BandRules]:
    """The ``rules`` list (or mapping): each rule once, each band it names one of ``bands``."""
    if value is None:
        return None, BandRules()
    if isinstance(value, dict):
        value = [{k: v} for k, v in value.items()]
    found: dict[str, Any] = {}
    for i, item in enumerate(f.sequence(value, "rules", p) or []):
        at = f"rules[{i}]"
        rule = f.mapping(item, at, p)
        if rule is None:
            continue
        for key, arg in rule.items():
            if key not in _RULES:
                p.add(
                    "unknown_rule",
                    f"{at}.{key}",
                    f"Quy tắc “{key}” không có; chỉ nhận: " + ", ".join(_RULES) + ".",
                )
            elif key in found:
                p.add("duplicate_rule", f"{at}.{key}", f"Quy tắc “{key}” được ghi hai lần.")
            else:
                parsed = _RULE_PARSERS[key](arg, f"{at}.{key}", bands, p)
                if parsed is not None:
                    found[key] = parsed
    cap = found.pop("zero_criterion_caps_band", None)
    return cap, BandRules(**found)


def _band_arg(arg: object, at: str, bands: list[Band], p: Problems) -> str | None:
    if not any(b.name == arg for b in bands):
        p.add("unknown_band", at, f"Mức xếp loại “{arg}” không có trong bands.")
        return None
    return str(arg)


def _missing_band(arg: object, at: str, bands: list[Band], p: Problems) -> str | None:
    if isinstance(arg, str) and normalize_text(arg).strip().lower() == NOT_RANKED:
        return NOT_RANKED
    return _band_arg(arg, at, bands, p)


def _threshold_cap(
    key: str, kind: type
) -> Callable[[object, str, list[Band], Problems], tuple[Any, str] | None]:
    """``{min_penalty: 5, band: Trung bình}`` / ``{days: 10, band: Khá}``."""

    def parse(arg: object, at: str, bands: list[Band], p: Problems) -> tuple[Any, str] | None:
        m = f.mapping(arg, at, p)
        if m is None:
            return None
        f.unknown_keys(m, (key, "band"), at, p)
        n = f.integer(m.get(key)) if kind is int else f.number(m.get(key))
        if n is None or n < 0:
            p.add("invalid_rule", f"{at}.{key}", f"Cần số không âm, không phải {m.get(key)!r}.")
        band = _band_arg(m.get("band"), f"{at}.band", bands, p)
        return None if n is None or n < 0 or band is None else (kind(n), band)

    return parse


def _quota(arg: object, at: str, bands: list[Band], p: Problems) -> TopBandQuota | None:
    """``0.2`` or ``{share: 0.2, round: down|nearest|up, at_least_one: true,
    scope: compiler|province}``."""
    m = f.mapping(arg, at, p) if isinstance(arg, dict) else {"share": arg}
    if m is None:
        return None
    f.unknown_keys(m, ("share", "round", "at_least_one", "scope"), at, p)
    share = f.number(m.get("share"))
    where = f"{at}.share" if isinstance(arg, dict) else at
    ok = share is not None and 0 < share <= 1
    if not ok:
        wrong = m.get("share")
        p.add("invalid_rule", where, f"Tỷ lệ phải lớn hơn 0 và không quá 1, không phải {wrong!r}.")
    rounding = m.get("round", TopBandQuota.round)
    if rounding not in QUOTA_ROUNDING:
        ok = False
        p.add(
            "invalid_rule",
            f"{at}.round",
            f"Cách làm tròn “{rounding}” không có; chỉ nhận: " + ", ".join(QUOTA_ROUNDING) + ".",
        )
    one = f.boolean(m.get("at_least_one", False))
    if one is None:
        ok = False
        p.add("invalid_rule", f"{at}.at_least_one", "Cần true hoặc false.")
    scope = m.get("scope", TopBandQuota.scope)
    if scope not in QUOTA_SCOPES:
        ok = False
        p.add(
            "invalid_rule",
            f"{at}.scope",
            f"Phạm vi áp dụng tỷ lệ “{scope}” không có; chỉ nhận: compiler (từng đơn vị tổng hợp)"
            " hoặc province (toàn tỉnh).",
        )
    if not ok or share is None or one is None:
        return None
    return TopBandQuota(share, str(rounding), one, str(scope))


_RULE_PARSERS: dict[str, Callable[[object, str, list[Band], Problems], Any]] = {
    "zero_criterion_caps_band": _band_arg,
    "penalty_caps_band": _threshold_cap("min_penalty", float),
    "late_caps_band": _threshold_cap("days", int),
    "missing_band": _missing_band,
    "top_band_quota": _quota,
}


def _check_reachable(
    groups: list[CriteriaGroup],
    bonus_max: float,
    bands: list[Band],
    p: Problems,
    rescale: bool = False,
) -> None:
    full = 100.0 if rescale else sum(c.max for g in groups for c in g.criteria)
    best = full + bonus_max
    for i, band in enumerate(bands):
        if band.min > best:
            p.add(
                "band_unreachable",
                f"bands[{i}].min",
                f"Mức “{band.name}” cần {f.num(band.min)} điểm, vượt tổng tối đa {f.num(best)}.",
            )
