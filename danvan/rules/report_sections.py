"""The prose sections of a compiled report (I, II, IV, V, VI), built from a CompiledCycle.

Section I and V are over the compiler's whole subtree (as summary.json counts); II and IV are
over the units it ranks directly, whose scores it appraised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import UNIT_KINDS, CriteriaSet
from danvan.rules.text import (
    fold_key,
    format_count,
    format_date_short,
    format_decimal,
    format_percent,
)

#: How a count of units of each kind reads in prose (``06 sở, ban, ngành``).
KIND_COUNT_WORDS: dict[str, str] = {
    "province": "đơn vị cấp tỉnh",
    "department": "sở, ban, ngành",
    "district": "UBND cấp huyện",
    "district_office": "phòng, ban cấp huyện",
    "commune": "UBND cấp xã",
    "agency": "cơ quan, đơn vị",
}
_PLACEHOLDER = "…" * 28  # one line of the body, after the number and indent


def _set_label(name: str) -> str:
    """``Bộ tiêu chí <name>``, unless the name already says it (``Tiêu chí đánh giá…``)."""
    return name if fold_key(name).startswith(("bộ tiêu chí", "tiêu chí")) else f"Bộ tiêu chí {name}"


def _names(units: Sequence[UnitInput]) -> str:
    return "; ".join(u.name for u in units)


def submissions_section(c: CompiledCycle) -> list[str]:
    """I. Tình hình tự đánh giá, chấm điểm: expected, submitted, on time, late (named)."""
    s = c.summary
    order = {k: i for i, k in enumerate(UNIT_KINDS)}
    per_kind: dict[str, int] = {}
    for u in sorted(c.units, key=lambda u: order.get(u.kind, len(order))):
        per_kind[u.kind] = per_kind.get(u.kind, 0) + 1
    breakdown = "; ".join(
        f"{format_count(n)} {KIND_COUNT_WORDS.get(k, k)}" for k, n in per_kind.items()
    )
    text = (
        "Tổng số đơn vị phải tự đánh giá, chấm điểm công tác dân vận chính quyền năm"
        f" {c.year}: {format_count(s['expected'])} đơn vị"
        + (f" ({breakdown})" if breakdown else "")
    )
    rate = format_percent(s["submitted"], s["expected"])
    text += f"; đã nộp {format_count(s['submitted'])}/{format_count(s['expected'])} đơn vị"
    text += f", đạt {rate}." if rate else "."
    late = sorted((u for u in c.units if u.status == "late"), key=lambda u: u.code)
    lines = [
        text,
        f"Nộp đúng hạn: {format_count(s['on_time'])} đơn vị; nộp trễ hạn:"
        f" {format_count(s['late'])} đơn vị; chưa nộp: {format_count(len(s['missing']))} đơn vị.",
    ]
    if late:
        lines.append(
            "Các đơn vị nộp trễ hạn: "
            + "; ".join(f"{u.name} (trễ {format_count(u.days_late or 0)} ngày)" for u in late)
            + "."
        )
    return lines


def _avg(values: Sequence[float]) -> str:
    return format_decimal(sum(values) / len(values), 2) if values else "0"


def _set_lines(criteria: CriteriaSet, units: Sequence[UnitInput]) -> list[str]:
    lines = []
    for g in criteria.groups:
        codes = [cr.code for cr in g.criteria]
        final = [sum(u.final_scores.get(code, 0) for code in codes) for u in units]
        own = [sum(u.self_scores.get(code, 0) for code in codes) for u in units]
        top = format_decimal(sum(cr.max for cr in g.criteria), 2)
        lines.append(
            f"{g.code}. {g.name}: điểm bình quân {_avg(final)}/{top} điểm"
            f" (tự chấm bình quân {_avg(own)} điểm)."
        )
    lines.append(
        f"Điểm thưởng bình quân {_avg([u.final_bonus for u in units])}/"
        f"{format_decimal(criteria.bonus_max)} điểm; điểm trừ bình quân"
        f" {_avg([u.final_penalty for u in units])} điểm."
    )
    return lines


def _reason_text(target: str, reason: str) -> str:
    label = {"bonus": "điểm thưởng", "penalty": "điểm trừ"}.get(target, f"tiêu chí {target}")
    return f"{label}: {reason}"


def scores_section(c: CompiledCycle) -> list[str]:
    """II. Kết quả chấm điểm theo nhóm tiêu chí: averages of final scores per group vs max."""
    ranked = [c.unit(r.unit) for r in c.ranked]
    if not ranked:
        return ["Chưa có đơn vị nào được chấm điểm."]
    lines: list[str] = []
    sets: dict[str, tuple[CriteriaSet, list[UnitInput]]] = {}
    for u in ranked:
        criteria = c.criteria_for(u.kind)
        if criteria is not None:
            sets.setdefault(criteria.code, (criteria, []))[1].append(u)
    for criteria, units in sets.values():
        if len(sets) > 1:
            lines.append(f"{_set_label(criteria.name)} ({format_count(len(units))} đơn vị):")
        lines += _set_lines(criteria, units)
    best, worst = c.ranked[0], c.ranked[-1]
    lines.append(
        f"Tổng điểm bình quân sau thẩm định: {_avg([r.total for r in c.ranked])} điểm; cao nhất:"
        f" {c.unit(best.unit).name} ({format_decimal(best.total)} điểm); thấp nhất:"
        f" {c.unit(worst.unit).name} ({format_decimal(worst.total)} điểm)."
    )
    adjusted = [u for u in ranked if u.adjusted]
    if adjusted:
        lines.append(
            f"Qua thẩm định, đã điều chỉnh điểm của {format_count(len(adjusted))} đơn vị: "
            + "; ".join(
                f"{u.name} ({', '.join(_reason_text(t, r) for t, r in sorted(u.reasons.items()))})"
                for u in adjusted
            )
            + "."
        )
    return lines


def ranking_section(c: CompiledCycle, appendix: str) -> list[str]:
    """IV. Kết quả xếp loại: band counts (``xếp loại Tốt: 05 đơn vị``) and the cap rule."""
    bands = c.summary["bands"]
    counts = "; ".join(f"xếp loại {b}: {format_count(n)} đơn vị" for b, n in bands.items())
    lines = [
        f"Tổng số đơn vị được xếp loại: {format_count(len(c.ranked))} đơn vị"
        + (f", trong đó: {counts}" if counts else "")
        + f" (chi tiết tại {appendix})."
    ]
    capped = [c.unit(r.unit) for r in c.ranked if r.zero_criteria]
    if capped:
        caps = {cs.zero_criterion_caps_band for u in capped if (cs := c.criteria_for(u.kind))}
        cap = " hoặc ".join(sorted(b for b in caps if b)) or "mức quy định"
        lines.append(
            f"Có {format_count(len(capped))} đơn vị có tiêu chí bị 0 điểm nên xếp loại không quá"
            f" {cap}: {_names(capped)}."
        )
    return lines + band_rule_lines(c)


#: Why a band rule moved a unit, as the report says it (the zero-criterion rule has its own line).
RULE_REASONS: dict[str, str] = {
    "penalty_caps_band": "bị trừ điểm từ mức quy định trở lên nên bị hạ mức xếp loại",
    "late_caps_band": "nộp báo cáo trễ quá số ngày quy định nên bị hạ mức xếp loại",
    "top_band_quota": "vượt tỷ lệ tối đa được xếp loại cao nhất nên xếp xuống một mức",
}


def band_rule_lines(c: CompiledCycle) -> list[str]:
    """One line per band rule (other than the zero cap) that changed a band, naming the units."""
    lines = []
    for rule, why in RULE_REASONS.items():
        hit = [r for r in c.ranked if rule in r.rules]
        if hit:
            named = ", ".join(f"{c.unit(r.unit).name} ({r.band})" for r in hit)
            lines.append(f"Có {format_count(len(hit))} đơn vị {why}: {named}.")
    unranked = [x for x in c.summary["ranking"] if "missing_band" in x["rules"]]
    if unranked:
        lines.append(
            f"Có {format_count(len(unranked))} đơn vị không nộp báo cáo: "
            + "; ".join(f"{c.unit(x['unit']).name} ({x['band']})" for x in unranked)
            + "."
        )
    return lines


def missing_section(c: CompiledCycle) -> list[str]:
    """V. Đơn vị chưa nộp báo cáo: named, in code order."""
    missing = [c.unit(code) for code in c.summary["missing"]]
    revising = revising_lines(c)
    if not missing:
        return ["Tất cả các đơn vị đã nộp báo cáo tự đánh giá, chấm điểm.", *revising]
    return [
        f"Có {format_count(len(missing))} đơn vị chưa nộp báo cáo tự đánh giá, chấm điểm:"
        f" {_names(missing)}.",
        "Đề nghị các đơn vị trên khẩn trương hoàn thành, gửi báo cáo về cơ quan tổng hợp.",
        *revising,
    ]


def revising_lines(c: CompiledCycle) -> list[str]:
    """Units returned for revision (đang bổ sung): compiled from their latest version meanwhile."""
    rows = c.summary.get("revising") or []
    if not rows:
        return []
    return [
        f"Có {format_count(len(rows))} đơn vị đang bổ sung báo cáo theo yêu cầu (tổng hợp theo"
        " phiên bản đã nộp gần nhất): "
        + "; ".join(
            f"{c.unit(r['unit']).name} (hạn bổ sung {format_date_short(date.fromisoformat(r['revise_by']))},"
            f" lý do: {r['reason']})"
            for r in rows
        )
        + "."
    ]


def proposals_section() -> list[str]:
    """VI. Đề xuất, kiến nghị: placeholders the official completes before signing."""
    return [
        "(Phần này do cán bộ tổng hợp bổ sung trước khi trình ký.)",
        f"1. {_PLACEHOLDER}",
        f"2. {_PLACEHOLDER}",
        f"3. {_PLACEHOLDER}",
    ]
