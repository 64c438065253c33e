"""Số liệu in a report: section III's prose and Phụ lục I's tables, worded as seed 001 words them.

Prose counts use format_count (``06``), tables format_int; every percentage is truncated.
Year-on-year sentences appear only when a previous cycle exists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from danvan.rules.aggregate import sum_figures
from danvan.rules.compilation import UnitInput
from danvan.rules.domain import Figures
from danvan.rules.labels import LEVEL_OF_KIND, LEVELS
from danvan.rules.text import compare_phrase, count_words, format_count, format_int, format_percent

Table = tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]  # title, header, rows
_SO_SANH = "Đánh giá chung (so sánh số lượng tăng, giảm)"


def levels(units: Sequence[UnitInput]) -> dict[str, Figures]:
    """Figures per level (*Cấp tỉnh / Cấp huyện / Cấp xã*) over the units that submitted.

    A level with no submitter is absent: it has no figures, which is not the same as zero.
    """
    grouped: dict[str, list[Figures]] = {}
    for u in units:
        if u.submitted:
            level = LEVEL_OF_KIND.get(u.kind, "Cấp tỉnh")
            grouped.setdefault(level, []).append(u.figures or {})
    return {lv: sum_figures(grouped[lv]) for lv in LEVELS if lv in grouped}


def reported_groups(units: Sequence[UnitInput]) -> dict[str | None, set[str]]:
    """The figure groups some submitter gave, over all (key None) and per level. A group nobody
    gave is *not reported*: the report says so rather than state zeros as facts (issue 17)."""
    out: dict[str | None, set[str]] = {None: set()}
    for u in units:
        if u.submitted:
            given = {g for g, v in (u.figures or {}).items() if isinstance(v, Mapping)}
            out[None] |= given
            out.setdefault(LEVEL_OF_KIND.get(u.kind, "Cấp tỉnh"), set()).update(given)
    return out


def reported_levels(units: Sequence[UnitInput]) -> dict[str, Figures]:
    """:func:`levels` of the levels where some submitter reported administrative procedures."""
    reported = reported_groups(units)
    return {lv: f for lv, f in levels(units).items() if "admin_procedures" in reported[lv]}


_NOT_REPORTED = {
    "admin_procedures": "Các đơn vị chưa báo cáo số liệu giải quyết thủ tục hành chính.",
    "citizen_reception": "Công tác tiếp công dân: các đơn vị chưa báo cáo số liệu.",
    "petitions": "Công tác giải quyết đơn thư: các đơn vị chưa báo cáo số liệu.",
    "mediation": "Hòa giải ở cơ sở: các đơn vị chưa báo cáo số liệu.",
    "models": "Mô hình “Dân vận khéo”: các đơn vị chưa báo cáo số liệu.",
}


def figure_paragraphs(
    units: Sequence[UnitInput],
    figures: Figures,
    year: int,
    previous: Figures | None,
    prev_year: int | None = None,
    previous_unreported: Collection[str] = (),
) -> list[str]:
    """Section III's paragraphs, a group nobody reported said to be unreported (not zero); a
    group nobody reported last year is not compared with (its 0 is no figure)."""
    reported = reported_groups(units)
    given = reported[None]
    by_level = reported_levels(units)

    def before(group: str) -> Figures | None:
        return None if group in previous_unreported else previous

    parts: list[tuple[str, list[str]]] = [
        ("admin_procedures",
         admin_paragraphs(figures, by_level, year, before("admin_procedures"), prev_year)),
        ("citizen_reception",
         [reception_paragraph(figures, year, before("citizen_reception"), prev_year)]),
        ("petitions", [petitions_paragraph(figures, year, before("petitions"), prev_year)]),
        ("mediation", [mediation_paragraph(figures, year, before("mediation"), prev_year)]),
        ("models", [models_paragraph(figures)]),
    ]  # fmt: skip
    out: list[str] = []
    for group, lines in parts:
        if group in given or (group == "petitions" and "staff_complaints" in given):
            out += lines
        else:
            out.append(_NOT_REPORTED[group])
    return out


def _pct(num: int, den: int) -> str:
    return format_percent(num, den) or "-"


def _level_admin(label: str, a: Mapping[str, int]) -> str:
    """One level's line of footnote 4: ``Cấp xã tiếp nhận 29.264 hồ sơ (hồ sơ trực tuyến …)``."""
    if a["received"] == 0 and a["resolved"] == 0:
        return f"{label}: không phát sinh hồ sơ thủ tục hành chính."
    text = (
        f"{label} tiếp nhận {format_count(a['received'])} hồ sơ "
        f"(hồ sơ trực tuyến {format_count(a['online'])}, đạt {_pct(a['online'], a['received'])})."
        f" Số lượng hồ sơ đã giải quyết: {format_count(a['resolved'])} hồ sơ, trong đó giải quyết"
        f" trước và đúng hạn: {format_count(a['on_time'])} hồ sơ, "
        + (
            f"quá hạn: {format_count(a['overdue'])} hồ sơ."
            if a["overdue"]
            else "không có hồ sơ quá hạn."
        )
    )
    if a["resolved"]:
        text += (
            f" Tỷ lệ hồ sơ giải quyết trước và đúng hạn đạt {_pct(a['on_time'], a['resolved'])}."
        )
    return text


def admin_paragraphs(
    figures: Figures,
    by_level: Mapping[str, Figures],
    year: int,
    previous: Figures | None,
    prev_year: int | None = None,
) -> list[str]:
    """Giải quyết thủ tục hành chính: the total, then one line per level when there are several."""
    a = figures["admin_procedures"]
    total = f"Tổng số hồ sơ thủ tục hành chính được tiếp nhận trong năm {year}: " + _level_admin(
        "", a
    ).removeprefix(" tiếp nhận ")
    if a["received"] == 0 and a["resolved"] == 0:
        total = f"Trong năm {year}, không phát sinh hồ sơ thủ tục hành chính."
    if previous is not None:
        before = previous["admin_procedures"]["received"]
        total += f" Số hồ sơ tiếp nhận {compare_phrase(a['received'], before, 'hồ sơ', prev_year or year - 1)}."
    lines = [total]
    if len(by_level) > 1:
        lines += [_level_admin(level, f["admin_procedures"]) for level, f in by_level.items()]
    return lines


def reception_paragraph(
    figures: Figures, year: int, previous: Figures | None, prev_year: int | None = None
) -> str:
    c = figures["citizen_reception"]
    if not any(c.values()):
        return f"Công tác tiếp công dân: trong năm {year} không phát sinh lượt tiếp công dân."
    text = (
        f"Công tác tiếp công dân: trong năm {year} đã tiếp thường xuyên"
        f" {format_count(c['regular_sessions'])} lượt, {format_count(c['regular_people'])} người,"
        f" {format_count(c['cases'])} vụ việc; thủ trưởng cơ quan, Chủ tịch Ủy ban nhân dân tiếp"
        f" công dân định kỳ {format_count(c['periodic_sessions'])} lượt,"
        f" {format_count(c['periodic_people'])} người"
    )
    if c["group_cases"]:
        text += f"; có {format_count(c['group_cases'])} đoàn đông người"
    text += "."
    if previous is not None:
        before = previous["citizen_reception"]["regular_sessions"]
        text += (
            " Số lần tiếp thường xuyên "
            f"{compare_phrase(c['regular_sessions'], before, 'lượt', prev_year or year - 1)}."
        )
    return text


def petitions_paragraph(
    figures: Figures, year: int, previous: Figures | None, prev_year: int | None = None
) -> str:
    p, s = figures["petitions"], figures["staff_complaints"]
    if not any(p.values()) and not any(s.values()):
        return "Công tác giải quyết đơn thư: không phát sinh đơn khiếu nại, tố cáo, kiến nghị, phản ánh."
    text = (
        "Tổng số đơn khiếu nại, tố cáo, kiến nghị, phản ánh đã tiếp nhận"
        f" {format_count(p['received'])} đơn, thuộc thẩm quyền giải quyết"
        f" {format_count(p['in_jurisdiction'])} đơn"
    )
    if p["in_jurisdiction"]:
        text += (
            f", đã giải quyết {format_int(p['resolved'])}/{format_int(p['in_jurisdiction'])} đơn,"
            f" đạt {_pct(p['resolved'], p['in_jurisdiction'])}, "
            + (f"còn tồn {format_count(p['outstanding'])} đơn" if p["outstanding"]
               else "không còn đơn tồn đọng")
        )  # fmt: skip
    text += "."
    if previous is not None:
        before = previous["petitions"]["received"]
        text += (
            f" Số lượng đơn {compare_phrase(p['received'], before, 'đơn', prev_year or year - 1)}."
        )
    if s["received"]:
        text += (
            f" Khiếu nại của cán bộ, công chức, viên chức: tiếp nhận {format_count(s['received'])}"
            f" đơn, đã giải quyết {format_int(s['resolved'])}/{format_int(s['in_jurisdiction'])}"
            " đơn."
        )
    else:
        text += " Không phát sinh khiếu nại của cán bộ, công chức, viên chức."
    return text


def mediation_paragraph(
    figures: Figures, year: int, previous: Figures | None, prev_year: int | None = None
) -> str:
    m = figures["mediation"]
    if m["received"] == 0:
        return "Hòa giải ở cơ sở: không phát sinh vụ việc hòa giải."
    text = (
        f"Các Tổ hòa giải ở cơ sở tiếp nhận {format_count(m['received'])} vụ việc, hòa giải thành"
        f" {format_count(m['successful'])} vụ việc, đạt {_pct(m['successful'], m['received'])}, "
        + (f"hòa giải không thành {format_count(m['unsuccessful'])} vụ việc." if m["unsuccessful"]
           else "không có vụ việc hòa giải không thành.")
    )  # fmt: skip
    if previous is not None:
        pm = previous["mediation"]
        before = format_percent(pm["successful"], pm["received"])
        text += f" Số vụ việc tiếp nhận {compare_phrase(m['received'], pm['received'], 'vụ việc', prev_year or year - 1)}"
        text += f" (tỷ lệ hòa giải thành cùng kỳ: {before})." if before else "."
    return text


def models_paragraph(figures: Figures) -> str:
    mo = figures["models"]
    if mo["registered"] == 0 and mo["recognised"] == 0:
        return "Mô hình “Dân vận khéo”: không phát sinh mô hình đăng ký."
    return (
        f"Mô hình “Dân vận khéo”: đăng ký {format_count(mo['registered'])} mô hình,"
        f" được công nhận {count_words(mo['recognised'], 'mô hình')}."
    )


def appendix_tables(
    figures: Figures,
    by_level: Mapping[str, Figures],
    year: int,
    previous: Figures | None,
    prev_year: int | None = None,
    unreported: Collection[str] = (),
    previous_unreported: Collection[str] = (),
) -> list[Table]:
    """Phụ lục I: the seed's three tables (đơn thư, tiếp công dân, hòa giải) plus TTHC by level.

    A group nobody reported shows *Chưa báo cáo* instead of zeros; one nobody reported last year
    is not compared with."""
    prev_year = prev_year or year - 1
    p, s, c, m = (
        figures[g] for g in ("petitions", "staff_complaints", "citizen_reception", "mediation")
    )
    note_p = f"Kết quả đã giải quyết đạt {_pct(p['resolved'], p['in_jurisdiction'])}"
    note_c, note_m = "", ""
    gone = f"Cùng kỳ năm {prev_year} các đơn vị chưa báo cáo số liệu."  # nothing to compare with
    if previous is not None:
        pp, pc, pm = (previous[g] for g in ("petitions", "citizen_reception", "mediation"))
        note_p = (
            f"{note_p}. {gone}"
            if "petitions" in previous_unreported
            else f"Số lượng đơn {compare_phrase(p['received'], pp['received'], 'đơn', prev_year)}. "
            f"{note_p}/{_pct(pp['resolved'], pp['in_jurisdiction'])}"
        )
        note_c = (
            gone
            if "citizen_reception" in previous_unreported
            else f"Số lần tiếp thường xuyên {format_int(c['regular_sessions'])}/"
            f"{format_int(pc['regular_sessions'])}, "
            f"{compare_phrase(c['regular_sessions'], pc['regular_sessions'], 'lượt', prev_year)}. "
            f"Tiếp dân định kỳ {format_int(c['periodic_sessions'])}/"
            f"{format_int(pc['periodic_sessions'])} lượt."
        )
        note_m = (
            gone
            if "mediation" in previous_unreported
            else f"Tỷ lệ hòa giải thành {_pct(m['successful'], m['received'])}/"
            f"{_pct(pm['successful'], pm['received'])} so với cùng kỳ năm {prev_year}."
        )
    no = "staff_complaints" in unreported, "petitions" in unreported
    rows_c = "citizen_reception" in unreported
    rows_m = "mediation" in unreported
    return [
        (
            "1. Công tác xử lý đơn, giải quyết khiếu nại, tố cáo",
            ("Nội dung", "Số lượng đơn thư đã tiếp nhận", "Số đơn thư thuộc thẩm quyền giải quyết",
             "Số đơn thư đã giải quyết", "Số đơn thư tồn đọng", _SO_SANH),
            (
                ("1. Công tác đối thoại, giải quyết khiếu nại của cán bộ, công chức, viên chức"
                 " tại cơ quan, đơn vị", *_ints(s, "received", "in_jurisdiction", "resolved",
                                               "outstanding", none=no[0]), ""),
                ("2. Công tác đối thoại, giải quyết khiếu nại của công dân",
                 *_ints(p, "received", "in_jurisdiction", "resolved", "outstanding", none=no[1]),
                 NOT_GIVEN if no[1] else note_p),
            ),
        ),
        (
            "2. Kết quả tiếp công dân",
            ("Số lần tiếp thường xuyên", "Số người",
             "Số lần thủ trưởng các sở, ngành, Chủ tịch UBND tiếp định kỳ", "Số người", _SO_SANH),
            ((*_ints(c, "regular_sessions", "regular_people", "periodic_sessions",
                     "periodic_people", none=rows_c), NOT_GIVEN if rows_c else note_c),),
        ),
        (
            "3. Kết quả hòa giải ở cơ sở",
            ("Số vụ tiếp nhận hòa giải", "Hòa giải thành", "Hòa giải không thành",
             "Tỷ lệ hòa giải thành", _SO_SANH),
            ((*_ints(m, "received", "successful", "unsuccessful", none=rows_m),
              "–" if rows_m else _pct(m["successful"], m["received"]),
              NOT_GIVEN if rows_m else note_m),),
        ),
        admin_table(figures, by_level, "admin_procedures" in unreported),
    ]  # fmt: skip


#: A table's cell for a group no unit reported (a dash for its numbers).
NOT_GIVEN = "Chưa báo cáo số liệu"


def _ints(values: Mapping[str, int], *names: str, none: bool = False) -> tuple[str, ...]:
    """The figures as text; ``none``: the group was not reported, a dash each (not 0)."""
    return tuple("–" if none else format_int(values[n]) for n in names)


def admin_table(figures: Figures, by_level: Mapping[str, Figures], none: bool = False) -> Table:
    """4. Giải quyết thủ tục hành chính: one row per level (``by_level``: the levels that reported
    it), then the total; ``none``: nobody reported it, one row saying so."""
    if none:
        header = ("Cấp", "Số hồ sơ tiếp nhận", "Hồ sơ trực tuyến", "Tỷ lệ trực tuyến",
                  "Số hồ sơ đã giải quyết", "Giải quyết trước và đúng hạn", "Quá hạn",
                  "Tỷ lệ trước và đúng hạn")  # fmt: skip
        return ("4. Kết quả giải quyết thủ tục hành chính", header,
                (("Tổng cộng", NOT_GIVEN, *("–",) * 6),))  # fmt: skip
    rows = [(level, f["admin_procedures"]) for level, f in by_level.items()]
    rows.append(("Tổng cộng", figures["admin_procedures"]))
    return (
        "4. Kết quả giải quyết thủ tục hành chính",
        ("Cấp", "Số hồ sơ tiếp nhận", "Hồ sơ trực tuyến", "Tỷ lệ trực tuyến",
         "Số hồ sơ đã giải quyết", "Giải quyết trước và đúng hạn", "Quá hạn",
         "Tỷ lệ trước và đúng hạn"),
        tuple(
            (label, *_ints(a, "received", "online"), _pct(a["online"], a["received"]),
             *_ints(a, "resolved", "on_time", "overdue"), _pct(a["on_time"], a["resolved"]))
            for label, a in rows
        ),
    )  # fmt: skip
