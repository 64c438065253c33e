"""How a data-quality flag reads to an official (SPEC §3.8): one sentence per kind, written once.

A flag's ``note`` is what a person reads: on the compiler's portal pages, in ``status``, in
``summary.json`` and in the report's appendix *Số liệu cần kiểm tra*. It used to carry the
machine's words (``admin_procedures.online = 100 không thỏa >= 0.5 * …``, a modified z-score);
an official needs a sentence that names the figure as the seeds' tables do, with numbers written
as the reports write them (``24.820``, ``72,92%`` truncated, ``−`` for a minus). The machine's
codes stay in their own fields (``field``, ``kind``, ``value``, ``reference``), so
``danvan flag check --field`` and programs reading JSON are unchanged.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from danvan.rules.labels import FIELD_LABELS, GROUP_LABELS, RATE_LABELS
from danvan.rules.text import MINUS, format_decimal, format_int, format_percent

#: What was found, as the appendix's *Dấu hiệu* column and the portal name each kind.
KIND_WORDS: dict[str, str] = {
    "yoy_jump": "Tăng, giảm bất thường so với năm trước",
    "peer_outlier": "Khác xa các đơn vị cùng loại",
    "same_as_last_year": "Trùng toàn bộ số liệu năm trước",
    "rule": "Không thỏa điều kiện kiểm tra của tỉnh",
}
#: A check's comparison in words (``quality_checks.OPS``): "… phải lớn hơn hoặc bằng …".
OP_WORDS: dict[str, str] = {
    "<": "nhỏ hơn",
    "<=": "nhỏ hơn hoặc bằng",
    "==": "bằng",
    ">=": "lớn hơn hoặc bằng",
    ">": "lớn hơn",
}
#: The field of a ``same_as_last_year`` flag (the whole file).
ALL_FIGURES = "figures"
_TOKEN = re.compile(r"([a-z_]+)\.([a-z_]+)|(\d+(?:\.\d+)?)|([*+-])")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _refs(expression: str) -> list[tuple[str, str]]:
    """The figures (group, field) an expression names, known ones only."""
    return [
        (m[1], m[2])
        for m in _TOKEN.finditer(expression)
        if m[1] and m[2] in FIELD_LABELS.get(m[1], {})
    ]


def expression_words(expression: str, group_said: bool = False) -> str:
    """A figure or a check's side in words: ``0.5 * admin_procedures.received`` → ``0,5 × số hồ
    sơ tiếp nhận`` (``group_said``: the group is named before, once) or ``… (thủ tục hành
    chính)``. Numbers as the reports write them; ``*`` is ×, ``-`` a minus sign."""
    out = []
    for m in _TOKEN.finditer(expression):
        group, name, number, op = m[1], m[2], m[3], m[4]
        if group and name in FIELD_LABELS.get(group, {}):
            label = _lower_first(FIELD_LABELS[group][name])
            out.append(label if group_said else f"{label} ({_lower_first(GROUP_LABELS[group])})")
        elif group:
            out.append(f"{group}.{name}")  # not a figure: as written (a check is parsed first)
        elif number:
            out.append(format_decimal(Decimal(number), 4))
        else:
            out.append({"*": "×", "+": "+", "-": MINUS}[op])
    return " ".join(out)


def _subject(*expressions: str) -> tuple[str, bool]:
    """The group to name once before the figures (``Thủ tục hành chính: ``) when every figure of
    ``expressions`` is of one group, and whether it was."""
    groups = {g for e in expressions for g, _ in _refs(e)}
    if len(groups) == 1:
        return f"{GROUP_LABELS[groups.pop()]}: ", True
    return "", False


def figure_label(field: str) -> str:
    """A flag's ``field`` as a column or a heading names it: ``Thủ tục hành chính: Số hồ sơ tiếp
    nhận``, ``Tỷ lệ hồ sơ trực tuyến``, ``Toàn bộ số liệu``, a check's left side in words."""
    if field in RATE_LABELS:
        return RATE_LABELS[field]
    if field == ALL_FIGURES:
        return "Toàn bộ số liệu"
    group, _, name = field.partition(".")
    label = FIELD_LABELS.get(group, {}).get(name)
    if label and " " not in field:
        return f"{GROUP_LABELS[group]}: {label}"
    lead, said = _subject(field)
    return lead + (expression_words(field, said) if said else _upper_first(expression_words(field)))


def yoy_note(field: str, now: int, before: int) -> str:
    """``yoy_jump``: ``Thủ tục hành chính: số hồ sơ tiếp nhận tăng 919,72% so với năm trước
    (2.434 → 24.820), có thể gõ nhầm.`` The change is a truncated percentage of last year's
    figure; from 0 there is none, so the sentence says from what to what."""
    lead, said = _subject(field)
    what = lead + expression_words(field, said) if said else _upper_first(expression_words(field))
    both = f"({format_int(before)} → {format_int(now)})"
    if before == 0:
        change = f"tăng từ 0 năm trước lên {format_int(now)} năm nay"
        return f"{what} {change}, có thể gõ nhầm."
    verb = "tăng" if now > before else "giảm"
    pct = format_percent(abs(now - before), before)
    return f"{what} {verb} {pct} so với năm trước {both}, có thể gõ nhầm."


def peer_note(rate: str, value: Fraction, median: Fraction, peers: int) -> str:
    """``peer_outlier``: ``Tỷ lệ hồ sơ trực tuyến 8,07%, thấp bất thường so với các đơn vị cùng
    loại (trung vị 72,92% của 11 đơn vị).`` Rates truncated as the reports write them; the
    modified z-score that decided it stays out (a formula is not a reason an official reads)."""
    how = "cao" if value > median else "thấp"
    return (
        f"{RATE_LABELS[rate]} {_pct(value)}, {how} bất thường so với các đơn vị cùng loại"
        f" (trung vị {_pct(median)} của {format_int(peers)} đơn vị)."
    )


def copied_note() -> str:
    """``same_as_last_year``."""
    return "Toàn bộ số liệu trùng khớp với năm trước: có thể gửi nhầm tệp của năm trước."


def rule_note(left: str, op: str, right: str, left_value: Fraction, right_value: Fraction) -> str:
    """``rule`` without the province's own ``message``: ``Thủ tục hành chính: hồ sơ trực tuyến
    là 100, không thỏa điều kiện phải lớn hơn hoặc bằng 0,5 × số hồ sơ tiếp nhận (150).`` The
    right side's value is given when it names a figure (a bare number says itself)."""
    lead, said = _subject(left, right)
    left_words = expression_words(left, said)
    what = lead + left_words if said else _upper_first(left_words)
    value = f" ({_number(right_value)})" if _refs(right) else ""
    return (
        f"{what} là {_number(left_value)}, không thỏa điều kiện phải {OP_WORDS[op]}"
        f" {expression_words(right, said)}{value}."
    )


def _number(value: Fraction) -> str:
    return format_decimal(value.numerator / value.denominator, 2)


def _pct(value: Fraction) -> str:
    """``72,92%``: truncated, with its two decimals, as the reports write rates (SPEC §4.4)."""
    return format_percent(value.numerator, value.denominator) or ""
