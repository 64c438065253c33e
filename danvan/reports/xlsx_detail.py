"""Điểm chi tiết: each unit under its own criteria set, its criteria and their maxima (issue 17).

One block per criteria set in play, in the order the plan names them: the set's criteria as
columns (``2. Tiếp công dân (tối đa 15)``), a dash where a criterion does not apply to the unit's
kind (``kinds:``), *Không áp dụng* where the unit marked it N/A, then the maximum that applies to
the unit, the criteria part as danvan computes it (at the N/A criterion's max with ``full_marks``,
earned ÷ applicable max × 100 with ``rescale``), bonus, penalty, final total, a note with the
appraisal's changes and the N/A arithmetic, and the code. The trailing columns sit at the same
places in every block, so the last column is always the code and the one before it the note.

Printed: each block starts a page; a block longer than a page goes on with its header row again
(the row heights are set, so the rows on a page are counted, not guessed).
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from danvan.reports.xlsx_rows import SheetRows
from danvan.reports.xlsx_sheet import (
    BODY_PT,
    SCORE,
    Column,
    cell,
    header_height,
    lines_needed,
    page_break,
    page_rows,
    setup_print,
    styled,
    wrapped_height,
)
from danvan.rules import scoring
from danvan.rules.compilation import CompiledCycle, UnitInput
from danvan.rules.domain import KIND_LABELS, CriteriaSet
from danvan.rules.report_sections import changes
from danvan.rules.text import format_decimal

NOT_APPLICABLE = "Không áp dụng"
NOT_FOR_KIND = "–"
_TRAILING = ("Tối đa áp dụng", "Điểm các tiêu chí", "Điểm thưởng", "Điểm trừ",
             "Tổng điểm thẩm định", "Điều chỉnh khi thẩm định, tiêu chí không áp dụng",
             "Mã đơn vị")  # fmt: skip
_TRAILING_WIDTHS = (10, 11, 9, 9, 11, 45, 16)
#: A criteria column another block has and this one has not: left empty, no border.
_GAP = Column("", 14)


def name_width(c: CompiledCycle) -> float:
    longest = max((len(c.display_name(u.code)) for u in c.units), default=20)
    return float(min(60, max(28, longest * 0.9)))


def still_not_applicable(u: UnitInput) -> list[str]:
    """The criteria that count as N/A in the final total (an appraised one is scored again)."""
    return [k for k in u.not_applicable if k not in u.final_scores]


def applicable_max(cs: CriteriaSet, u: UnitInput) -> float:
    """The maximum of the unit's criteria part before rescaling: the criteria of its kind, the
    N/A ones at their max under ``full_marks``, left out under ``rescale``."""
    groups = scoring.group_points(cs, u.final_scores, still_not_applicable(u), u.kind)
    return float(sum(most for _, most in groups.values()))


def na_note(cs: CriteriaSet, u: UnitInput) -> str:
    """How the unit's N/A criteria changed its criteria part, in the figures of its own total."""
    na = still_not_applicable(u)
    if not na:
        return ""
    reasons = "; ".join(
        f"Tiêu chí {k} {NOT_APPLICABLE.lower()} ({u.not_applicable[k]})" for k in na
    )
    return f"{reasons}: {scoring.na_arithmetic(cs, u.final_scores, na, u.kind)}"


def _adjusted(u: UnitInput) -> str:
    return "; ".join(
        f"{'Điểm thưởng' if t == 'bonus' else 'Điểm trừ' if t == 'penalty' else 'Tiêu chí ' + t}:"
        f" {format_decimal(old)} → {format_decimal(new)} ({reason})"
        for t, old, new, reason in changes(u)
    )


def _quota_note(c: CompiledCycle, code: str) -> str:
    """A unit a province-wide quota moved down (``scope: province``), or holds provisionally."""
    for q in c.quotas:
        if code in q["moved"]:
            return f"xếp loại {q['lower']} do vượt tỷ lệ xếp loại {q['band']} trên toàn tỉnh"
        if code in q["held"] and not q["final"]:
            return f"xếp loại {q['band']} tạm thời, chờ áp dụng tỷ lệ trên toàn tỉnh"
    return ""


def _blocks(c: CompiledCycle) -> list[tuple[CriteriaSet, list[UnitInput]]]:
    """(set, its submitted units in code order), sets in the plan's order, empty ones left out."""
    units: dict[str, list[UnitInput]] = {}
    sets: dict[str, CriteriaSet] = {}
    for cs in c.criteria_by_kind.values():
        sets.setdefault(cs.code, cs)
        units.setdefault(cs.code, [])
    for u in sorted((u for u in c.units if u.submitted), key=lambda u: u.code):
        own = c.criteria_for(u.kind)
        if own is not None:
            units[own.code].append(u)
    return [(sets[code], members) for code, members in units.items() if members]


def _kinds_of(c: CompiledCycle, cs: CriteriaSet, members: Sequence[UnitInput]) -> str:
    kinds = dict.fromkeys(u.kind for u in members)
    return ", ".join(KIND_LABELS.get(k, k) for k in kinds)


def _explain(cs: CriteriaSet) -> list[str]:
    """The block's rules in a sentence each, where they change how a total reads."""
    out = []
    if any(cr.kinds for cr in cs.criteria):
        out.append(f"Ô “{NOT_FOR_KIND}”: tiêu chí không áp dụng cho loại đơn vị này.")
    if cs.not_applicable == "rescale":
        out.append(
            "Tiêu chí không áp dụng: điểm các tiêu chí quy đổi về thang 100 (điểm đạt ÷ tổng điểm"
            " tối đa của các tiêu chí áp dụng × 100, làm tròn hai chữ số thập phân), rồi cộng điểm"
            " thưởng, trừ điểm trừ."
        )
    elif any(cr.not_applicable_allowed for cr in cs.criteria):
        out.append("Tiêu chí không áp dụng được tính đủ điểm tối đa của tiêu chí đó.")
    return out


def _row(cs: CriteriaSet, u: UnitInput, c: CompiledCycle, width: int) -> list[object]:
    na = set(still_not_applicable(u))
    scores: list[object] = []
    for cr in cs.criteria:
        if not cr.applies_to(u.kind):
            scores.append(NOT_FOR_KIND)
        elif cr.code in na:
            scores.append(NOT_APPLICABLE)
        else:
            scores.append(u.final_scores.get(cr.code, 0.0))
    scores += [None] * (width - len(scores))
    part = scoring.criteria_points(cs, u.final_scores, sorted(na), u.kind)
    note = "; ".join(x for x in (_adjusted(u), na_note(cs, u), _quota_note(c, u.code)) if x)
    return [c.display_name(u.code), *scores, applicable_max(cs, u), part, u.final_bonus,
            u.final_penalty, u.final_total, note, u.code]  # fmt: skip


def detail_sheet(wb: Workbook, c: CompiledCycle) -> None:
    """Write *Điểm chi tiết* (see module doc)."""
    blocks = _blocks(c)
    width = max((len(cs.criteria) for cs, _ in blocks), default=0)
    name = Column("Tên đơn vị", name_width(c))
    criteria_widths = [_GAP] * width
    trailing = [Column(h, w, SCORE) for h, w in zip(_TRAILING, _TRAILING_WIDTHS, strict=True)]
    trailing[-2:] = [Column(_TRAILING[-2], 45), Column(_TRAILING[-1], 16)]
    layout = [name, *criteria_widths, *trailing]
    ws = wb.create_sheet("Điểm chi tiết")
    for j, col in enumerate(layout, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.freeze_panes = "B3" if len(blocks) == 1 else "B1"
    scale = setup_print(ws, layout, "A:A")
    title = f"ĐIỂM THẨM ĐỊNH THEO TIÊU CHÍ NĂM {c.year}"
    if len(blocks) == 1:
        title += f" — Bộ tiêu chí {blocks[0][0].code}: {blocks[0][0].name}"
    # Printed across pages, the name column repeats on each: the titles wrap inside it so that
    # every page shows them whole (merged or overflowing, they were cut at the page's edge).
    wide = scale < 100
    ws.row_dimensions[1].height = wrapped_height(title, name.width, 14) if wide else 24
    out = SheetRows(ws)
    out.append([styled(title, "danvan-title-wrap" if wide else "danvan-title")])
    above = ws.row_dimensions[1].height
    row = 1
    for i, (cs, members) in enumerate(blocks):
        header = [name, *(Column(f"{cr.code}. {cr.name} (tối đa {format_decimal(cr.max)})", 14,
                                 SCORE) for cr in cs.criteria)]  # fmt: skip
        header += [_GAP] * (width - len(cs.criteria))
        header += trailing
        if cs.not_applicable == "rescale":
            header[-6] = Column("Điểm các tiêu chí (thang 100)", 11, SCORE)
        if len(blocks) > 1:
            if i:
                page_break(ws, row)
            text = f"Bộ tiêu chí {cs.code}: {cs.name} ({_kinds_of(c, cs, members)})"
            row += 1
            if wide:
                ws.row_dimensions[row].height = wrapped_height(text, name.width, 12)
            out.append([styled(text, "danvan-block-wrap" if wide else "danvan-block")])
            above = (above if not i else 0) + (ws.row_dimensions[row].height or 24)
        rows = [_row(cs, u, c, width) for u in members]
        row = _block(out, header, rows, row, scale if len(blocks) > 1 else None, above)
        for note in _explain(cs):
            row += 1
            if wide:  # read on every page, inside the repeated name column (see the titles)
                ws.row_dimensions[row].height = wrapped_height(note, name.width, BODY_PT) - 6
            out.append([styled(note, "danvan-note-wrap" if wide else "danvan-note")])
        if len(blocks) == 1:
            ws.auto_filter.ref = f"A2:{get_column_letter(len(layout))}{2 + len(members)}"
            ws.print_title_rows = "2:2"
    out.close()


def _block(
    out: SheetRows, header: Sequence[Column], rows: Sequence[Sequence[object]],
    row: int, scale: int | None, above: float = 24,
) -> int:  # fmt: skip
    """A block's header and rows from row ``row + 1``; with a ``scale`` (several blocks), a page
    break and the header again whenever a page is full (one block repeats its header through the
    print titles instead); ``above``: the height of the titles above it on its first page.
    Returns the last row written."""
    ws = out.ws
    room = page_rows(scale) - above if scale else float("inf")
    head_pt = header_height(header)

    def put_header() -> float:
        nonlocal row
        row += 1
        ws.row_dimensions[row].height = head_pt
        out.append([None if col is _GAP else styled(col.header, "danvan-head") for col in header])
        return head_pt

    used = put_header()
    for values in rows:
        height = 15.0 * lines_needed(values, header)
        if used + height > room:
            page_break(ws, row)
            used = put_header()
        row += 1
        out.append([None if col is _GAP else cell(v, col.fmt)
                    for v, col in zip(values, header, strict=False)], height)  # fmt: skip
        used += height
    return row
