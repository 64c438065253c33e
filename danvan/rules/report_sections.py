"""The prose sections of a compiled report (I, II, IV, V), built from a CompiledCycle.

VI–VIII (drafted from the units' own words) are in :mod:`danvan.rules.report_narrative`.

Section I and V are over the compiler's whole subtree (as summary.json counts); II and IV are
over the units it ranks directly, whose scores it appraised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from danvan.rules import scoring
from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import KIND_LABELS, NOT_RANKED, UNIT_KINDS, CriteriaSet
from danvan.rules.text import (
    count_words,
    fold_key,
    format_count,
    format_date_short,
    format_decimal,
    format_percent,
    mean_half_up,
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


def _set_label(name: str) -> str:
    """``Bộ tiêu chí <name>``, unless the name already says it (``Tiêu chí đánh giá…``)."""
    return name if fold_key(name).startswith(("bộ tiêu chí", "tiêu chí")) else f"Bộ tiêu chí {name}"


def _names(c: CompiledCycle, units: Sequence[UnitInput]) -> str:
    return "; ".join(c.display_name(u.code) for u in units)


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
    counts = (
        f"Nộp đúng hạn: {count_words(s['on_time'], 'đơn vị')}; nộp trễ hạn:"
        f" {count_words(s['late'], 'đơn vị')}; chưa nộp: {count_words(len(s['missing']), 'đơn vị')}."
    )
    lines = [text, counts]
    if late:
        lines.append(
            "Các đơn vị nộp trễ hạn: "
            + "; ".join(
                f"{c.display_name(u.code)} (trễ {format_count(u.days_late or 0)} ngày)"
                for u in late
            )
            + "."
        )
    return lines


def _avg(values: Sequence[float]) -> str:
    mean = mean_half_up(list(values))
    return "0" if mean is None else format_decimal(mean, 2)


_LETTERS = "abcdefghiklmnopqrstuvxy"  # Vietnamese sub-items skip j and w
ROUNDING_NOTE = (
    "Điểm bình quân tính trên các đơn vị đã được chấm điểm, làm tròn đến hai chữ số thập phân"
    " (từ 5 trở lên làm tròn lên)."
)


def _set_lines(criteria: CriteriaSet, units: Sequence[UnitInput]) -> list[str]:
    """One line per group; where the units' maxima differ (``kinds:``), a mean per maximum, each
    over the units that share it, never one mean over different maxima (issue 17)."""
    lines = []
    for i, g in enumerate(criteria.groups):
        by_max: dict[float, list[tuple[UnitInput, float, float]]] = {}
        for u in units:
            na = [k for k in u.not_applicable if k not in u.final_scores]
            final = scoring.group_points(criteria, u.final_scores, na, u.kind).get(g.code)
            own = scoring.group_points(criteria, u.self_scores, list(u.not_applicable), u.kind)
            if final is not None:
                by_max.setdefault(final[1], []).append((u, final[0], own.get(g.code, (0, 0))[0]))
        parts = []
        for most, rows in by_max.items():
            who = ""
            if len(by_max) > 1:
                kinds = ", ".join(
                    dict.fromkeys(KIND_LABELS.get(u.kind, u.kind) for u, _, _ in rows)
                )
                who = f"{kinds} ({format_count(len(rows))} đơn vị) "
            parts.append(
                f"{who}điểm bình quân {_avg([x for _, x, _ in rows])}/{format_decimal(most, 2)}"
                f" điểm (tự chấm bình quân {_avg([y for _, _, y in rows])} điểm)"
            )
        lines.append(
            f"{_LETTERS[i % len(_LETTERS)]}) Nhóm {g.code} – {g.name}: {'; '.join(parts)}."
        )
    lines.append(
        f"{_LETTERS[len(criteria.groups) % len(_LETTERS)]}) Điểm thưởng bình quân {_avg([u.final_bonus for u in units])}/"
        f"{format_decimal(criteria.bonus_max)} điểm; điểm trừ bình quân"
        f" {_avg([u.final_penalty for u in units])} điểm."
    )
    return lines


def changes(u: UnitInput) -> list[tuple[str, float, float, str]]:
    """An appraisal's real changes: (target, old, new, reason); one that changed nothing is out."""
    out = []
    for target, reason in sorted(u.reasons.items()):
        if target == "bonus":
            old, new = u.self_bonus, u.final_bonus
        elif target == "penalty":
            old, new = u.self_penalty, u.final_penalty
        else:
            old, new = u.self_scores.get(target, 0), u.final_scores.get(target, 0)
        if old != new:
            out.append((target, old, new, reason))
    return out


def _change_text(target: str, old: float, new: float, reason: str) -> str:
    label = {"bonus": "điểm thưởng", "penalty": "điểm trừ"}.get(target, f"tiêu chí {target}")
    return f"{label}: {format_decimal(old)} → {format_decimal(new)} điểm, lý do: {reason}"


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
        f" {c.display_name(best.unit)} ({format_decimal(best.total)} điểm); thấp nhất:"
        f" {c.display_name(worst.unit)} ({format_decimal(worst.total)} điểm)."
    )
    lines.append(ROUNDING_NOTE)
    adjusted = [(u, ch) for u in ranked if (ch := changes(u))]
    if adjusted:
        lines.append(
            f"Qua thẩm định, đã điều chỉnh điểm của {format_count(len(adjusted))} đơn vị: "
            + "; ".join(
                f"{c.display_name(u.code)} ({'; '.join(_change_text(*x) for x in ch)})"
                for u, ch in adjusted
            )
            + "."
        )
    return lines


def ranking_section(c: CompiledCycle, appendix: str) -> list[str]:
    """IV. Kết quả xếp loại: band counts (``xếp loại Tốt: 05 đơn vị``) and the cap rule."""
    bands = c.summary["bands"]
    counts = "; ".join(
        f"xếp loại {b}: {format_count(n)} đơn vị" if n else f"không có đơn vị xếp loại {b}"
        for b, n in bands.items()
    )
    lines = [
        f"Tổng số đơn vị được xếp loại: {format_count(c.banded)} đơn vị"
        + (f", trong đó: {counts}" if counts else "")
        + f" (chi tiết tại {appendix})."
    ]
    capped = [c.unit(r.unit) for r in c.ranked if r.zero_criteria]
    if capped:
        caps = {cs.zero_criterion_caps_band for u in capped if (cs := c.criteria_for(u.kind))}
        cap = " hoặc ".join(sorted(b for b in caps if b)) or "mức quy định"
        lines.append(
            f"Có {format_count(len(capped))} đơn vị có tiêu chí bị 0 điểm nên xếp loại không quá"
            f" {cap}: {_names(c, capped)}."
        )
    return lines + band_rule_lines(c) + na_lines(c)


def na_lines(c: CompiledCycle) -> list[str]:
    """Where N/A criteria changed a ranked unit's total, how (the same words as the workbook)."""
    hits = []
    for r in c.ranked:
        u = c.unit(r.unit)
        cs = c.criteria_for(u.kind)
        na = [k for k in u.not_applicable if k not in u.final_scores]
        if cs is not None and na:
            how = scoring.na_arithmetic(cs, u.final_scores, na, u.kind)
            hits.append(f"{c.display_name(u.code)} (tiêu chí {', '.join(na)}: {how})")
    if not hits:
        return []
    return [
        f"Có {format_count(len(hits))} đơn vị có tiêu chí không áp dụng, điểm các tiêu chí được"
        f" tính theo quy định của bộ tiêu chí: {'; '.join(hits)}."
    ]


#: Why a band rule moved a unit, as the report says it (the zero-criterion rule has its own line).
RULE_REASONS: dict[str, str] = {
    "penalty_caps_band": "bị trừ điểm từ mức quy định trở lên nên bị hạ mức xếp loại",
    "late_caps_band": "nộp báo cáo trễ quá số ngày quy định nên bị hạ mức xếp loại",
    "top_band_quota": "vượt tỷ lệ tối đa được xếp loại cao nhất nên xếp xuống một mức",
}


QUOTA = "top_band_quota"


def share_text(share: float) -> str:
    """A quota's share as a rule writes it: ``20%``, ``12,5%`` (exact, never a float's tail)."""
    return format_decimal(Decimal(str(share)) * 100) + "%"


def quota_lines(c: CompiledCycle) -> list[str]:
    """A ``scope: province`` quota: a lower compiler says its top band is provisional; the
    province states its count over the whole province and names every unit it moves down."""
    lines = []
    for q in c.quotas:
        rule = f"tỷ lệ không quá {share_text(q['share'])} số đơn vị được xếp loại {q['band']}"
        if not q["final"]:
            if q["held"]:
                lines.append(
                    f"Xếp loại {q['band']} của {format_count(len(q['held']))} đơn vị là tạm thời:"
                    f" {', '.join(c.display_name(u) for u in q['held'])}; {rule} được áp dụng trên"
                    " toàn tỉnh, Sở Nội vụ xác định xếp loại cuối cùng khi tổng hợp, thẩm định"
                    " cấp tỉnh."
                )
            continue
        line = (
            f"Áp dụng {rule} trên toàn tỉnh: {format_count(q['ranked'])} đơn vị được xếp loại,"
            f" được xếp loại {q['band']} không quá {format_count(q['keep'])} đơn vị;"
            f" {format_count(len(q['held']))} đơn vị đạt mức {q['band']}"
        )
        if q["moved"]:
            named = ", ".join(c.display_name(u) for u in q["moved"])
            line += f", {format_count(len(q['moved']))} đơn vị xếp xuống {q['lower']}: {named}"
        lines.append(line + ".")
    return lines


def band_rule_lines(c: CompiledCycle) -> list[str]:
    """One line per band rule (other than the zero cap) that changed a band, naming the units."""
    lines = []
    counted = {u for q in c.quotas for u in q["moved"]}  # named in the province-wide line
    for rule, why in RULE_REASONS.items():
        hit = [r for r in c.ranked if rule in r.rules and not (rule in QUOTA and r.unit in counted)]
        if hit:
            named = ", ".join(f"{c.display_name(r.unit)} ({r.band})" for r in hit)
            lines.append(f"Có {format_count(len(hit))} đơn vị {why}: {named}.")
    lines += quota_lines(c)
    unranked = [x for x in c.summary["ranking"] if "missing_band" in x["rules"]]
    for band in dict.fromkeys(x["band"] for x in unranked):
        codes = [str(x["unit"]) for x in unranked if x["band"] == band]
        verdict = "không xếp loại" if band == NOT_RANKED else f"xếp loại {band}"
        lines.append(
            f"Có {format_count(len(codes))} đơn vị không nộp báo cáo nên {verdict} theo quy định: "
            + ", ".join(c.display_name(code) for code in codes)
            + "."
        )
    return lines


def missing_section(c: CompiledCycle) -> list[str]:
    """V. Đơn vị chưa nộp báo cáo: named, in code order; stated to the recipient, not to them."""
    missing = [c.unit(code) for code in c.summary["missing"]]
    revising = revising_lines(c)
    if not missing:
        return ["Tất cả các đơn vị đã nộp báo cáo tự đánh giá, chấm điểm.", *revising]
    ranked_here = [u for u in missing if u.code in c.direct]
    text = (
        f"Có {format_count(len(missing))} đơn vị chưa nộp báo cáo tự đánh giá, chấm điểm:"
        f" {_names(c, missing)}."
    )
    banded = [u for u in ranked_here if c.missing_band(u.code) != NOT_RANKED]
    if banded:
        text += (
            " Theo quy định, đơn vị không nộp báo cáo được xếp loại như nêu tại mục IV;"
            " số liệu của các đơn vị này chưa được tổng hợp."
        )
    elif ranked_here:
        text += (
            " Các đơn vị này không được xếp loại; số liệu của các đơn vị này chưa được tổng hợp."
        )
    else:
        text += " Số liệu của các đơn vị này chưa được tổng hợp."
    return [text, *revising]


def revising_lines(c: CompiledCycle) -> list[str]:
    """Units returned for revision (đang bổ sung): compiled from their latest version meanwhile."""
    rows = c.summary.get("revising") or []
    if not rows:
        return []
    return [
        f"Có {format_count(len(rows))} đơn vị đang bổ sung báo cáo theo yêu cầu (tổng hợp theo"
        " phiên bản đã nộp gần nhất): "
        + "; ".join(
            f"{c.display_name(r['unit'])} (hạn bổ sung"
            f" {format_date_short(date.fromisoformat(r['revise_by']))}, lý do: {r['reason']})"
            for r in rows
        )
        + "."
    ]
