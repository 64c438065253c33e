"""The compiled report's drafted sections and its appendix of figures to check (SPEC §3.8, §3.9).

*Đánh giá chung* (ưu điểm; hạn chế, nguyên nhân), *Phương hướng* and *Kiến nghị, đề xuất* are
drafted from the units' own passages (``summary["narrative"]``): each point with the names of
the units that made it, the most common first. A part no unit wrote about keeps the
placeholder for the drafter. The appendix *Số liệu cần kiểm tra* lists the flags not yet
checked (``summary["flags"]``). Both read only the summary, so report and ``summary.json`` agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from danvan.rules.compilation import CompiledCycle
from danvan.rules.flag_text import KIND_WORDS, figure_label

_PLACEHOLDER = "…" * 28
_FILL = "(Phần này do cán bộ tổng hợp bổ sung trước khi trình ký.)"
_DRAFTED = (
    "(Dự thảo tổng hợp từ báo cáo của các đơn vị, tên đơn vị nêu trong ngoặc; cán bộ tổng hợp"
    " rà soát, biên tập trước khi trình ký.)"
)
#: Points shown per part: the rest are in summary.json (``narrative``) for the drafter.
MAX_POINTS = 12


def _points(c: CompiledCycle, section: str) -> list[dict]:
    return list(((c.summary.get("narrative") or {}).get(section)) or ())


def _names(c: CompiledCycle, codes: Sequence[str]) -> str:
    return ", ".join(c.display_name(u) if _known(c, u) else u for u in codes)


def _known(c: CompiledCycle, code: str) -> bool:
    try:
        c.unit(code)
    except KeyError:
        return False
    return True


def _lines(c: CompiledCycle, section: str, numbered: bool = False) -> list[str]:
    points = _points(c, section)
    out = []
    for i, p in enumerate(points[:MAX_POINTS], start=1):
        text = p["text"].rstrip(" .;")
        lead = f"{i}. " if numbered else "- "
        out.append(f"{lead}{text} ({_names(c, p['units'])}).")
    if len(points) > MAX_POINTS:
        out.append(
            f"(Còn {len(points) - MAX_POINTS} ý kiến khác của các đơn vị, xem tệp summary.json.)"
        )
    return out


def assessment_section(c: CompiledCycle) -> list[str]:
    """Đánh giá chung: ưu điểm; hạn chế và nguyên nhân."""
    strengths, limits, causes = (
        _lines(c, "strengths"), _lines(c, "limitations"), _lines(c, "causes")
    )  # fmt: skip
    lead = _DRAFTED if strengths or limits or causes else _FILL
    return [
        lead,
        "1. Ưu điểm", *(strengths or [_PLACEHOLDER]),
        "2. Hạn chế và nguyên nhân",
        "2.1. Hạn chế", *(limits or [_PLACEHOLDER]),
        "2.2. Nguyên nhân", *(causes or [_PLACEHOLDER]),
    ]  # fmt: skip


def direction_section(c: CompiledCycle) -> list[str]:
    """Phương hướng, nhiệm vụ năm sau."""
    lines = _lines(c, "directions", numbered=True)
    if not lines:
        return [_FILL, f"1. {_PLACEHOLDER}", f"2. {_PLACEHOLDER}", f"3. {_PLACEHOLDER}"]
    return [_DRAFTED, *lines]


def proposals_section(c: CompiledCycle) -> list[str]:
    """Đề xuất, kiến nghị: the same proposal from several units said once with all their names."""
    lines = _lines(c, "proposals", numbered=True)
    if not lines:
        return [_FILL, f"1. {_PLACEHOLDER}", f"2. {_PLACEHOLDER}", f"3. {_PLACEHOLDER}"]
    return [_DRAFTED, *lines]


def unchecked_flags(c: CompiledCycle) -> list[dict]:
    return [f for f in c.summary.get("flags") or () if not f.get("checked")]


def quality_rows(c: CompiledCycle) -> tuple[tuple[str, ...], ...]:
    """STT, unit, field, what was found, the note (the appendix's rows)."""
    return tuple(
        (str(i), _names(c, [f["unit"]]), figure_label(f["field"]), KIND_WORDS[f["kind"]],
         f["note"])
        for i, f in enumerate(unchecked_flags(c), start=1)
    )  # fmt: skip
