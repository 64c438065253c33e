"""A criteria set as stored in the database (JSON) and read back: the same checks run again on
the way back in (:func:`danvan.rules.criteria.parse_criteria`), so a stored set is never trusted
more than a file."""

from __future__ import annotations

from typing import Any

from danvan.rules.criteria import parse_criteria
from danvan.rules.domain import CriteriaSet, Criterion, TopBandQuota
from danvan.rules.quality_checks import checks_to_list


def criteria_to_dict(cs: CriteriaSet) -> dict[str, Any]:
    """The set in the file's own shape (JSON-ready), for storing its definition."""
    out: dict[str, Any] = {
        "code": cs.code,
        "name": cs.name,
        "groups": [
            {
                "code": g.code,
                "name": g.name,
                "criteria": [_criterion_dict(c) for c in g.criteria],
            }
            for g in cs.groups
        ],
        "bonus_max": _plain(cs.bonus_max),
        "penalty_max": _plain(cs.penalty_max),
        "bands": [{"name": b.name, "min": _plain(b.min)} for b in cs.bands],
    }
    rules = _rules_list(cs)
    if rules:
        out["rules"] = rules
    if cs.not_applicable != "full_marks":
        out["not_applicable"] = cs.not_applicable
    if cs.checks:
        out["checks"] = checks_to_list(cs.checks)
    return out


def _criterion_dict(c: Criterion) -> dict[str, Any]:
    d: dict[str, Any] = {"code": c.code, "name": c.name, "max": _plain(c.max)}
    if c.not_applicable_allowed:
        d["not_applicable_allowed"] = True
    if c.kinds:
        d["kinds"] = list(c.kinds)
    return d


def _rules_list(cs: CriteriaSet) -> list[dict[str, Any]]:
    r = cs.rules
    out: list[dict[str, Any]] = []
    if cs.zero_criterion_caps_band:
        out.append({"zero_criterion_caps_band": cs.zero_criterion_caps_band})
    if r.penalty_caps_band:
        low, band = r.penalty_caps_band
        out.append({"penalty_caps_band": {"min_penalty": _plain(low), "band": band}})
    if r.late_caps_band:
        out.append({"late_caps_band": {"days": r.late_caps_band[0], "band": r.late_caps_band[1]}})
    if r.missing_band:
        out.append({"missing_band": r.missing_band})
    q = r.top_band_quota
    if q is not None:
        plain = q.round == TopBandQuota.round and not q.at_least_one and q.scope == "compiler"
        arg: dict[str, Any] = {"share": q.share, "round": q.round, "at_least_one": q.at_least_one}
        if q.scope != TopBandQuota.scope:  # a set stored before scope existed reads the same
            arg["scope"] = q.scope
        out.append({"top_band_quota": q.share if plain else arg})
    return out


def criteria_from_dict(d: dict[str, Any]) -> CriteriaSet:
    """Back from :func:`criteria_to_dict` (checked again: a stored set is trusted no more)."""
    return parse_criteria(d, file="criteria")


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)
