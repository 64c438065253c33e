"""Đoạn trích: the passages of a unit's narrative report under the seeds' headings (SPEC §3.9).

The units' reports are laid out as the seeds are (seed 001: ``V. ĐÁNH GIÁ CHUNG`` / ``1. Ưu
điểm`` / ``2.1. Hạn chế`` / ``2.2. Nguyên nhân`` / ``VI. PHƯƠNG HƯỚNG, NHIỆM VỤ …`` /
``Kiến nghị, đề xuất``), numbered with Roman or Arabic numerals or letters, in capitals or
not, with or without diacritics (an old export: ``PHUONG HUONG``, OCR's ``I1l.`` for ``III.``).
Headings are recognised on a folded key (no diacritics, lower case, numbering dropped); a text
that is not such a heading ends the section only when it is a major heading (Roman numeral or
capitals), so the numbered points of a section stay in it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from danvan.rules.text import normalize_text

#: The passage kinds, in the order of the report (and of ``summary.json`` ``narrative``).
SECTIONS = ("strengths", "limitations", "causes", "directions", "proposals")
#: Folded heading starts → section (the first match wins; longer keys first where they overlap).
_HEADINGS: tuple[tuple[str, str | None], ...] = (
    ("danh gia chung", None),  # a container: its sub-headings say which
    ("uu diem", "strengths"),
    ("ket qua noi bat", "strengths"),
    ("ket qua dat duoc", "strengths"),
    ("mat duoc", "strengths"),
    ("han che", "limitations"),
    ("ton tai", "limitations"),
    ("khuyet diem", "limitations"),
    ("nguyen nhan", "causes"),
    ("phuong huong", "directions"),
    ("nhiem vu", "directions"),
    ("giai phap", "directions"),
    ("kien nghi", "proposals"),
    ("de xuat", "proposals"),
    ("de nghi", "proposals"),
)
_AMBIGUOUS = ("de nghi", "nhiem vu", "giai phap", "ton tai", "ket qua dat duoc", "mat duoc")
_LEAD_WORDS = ("nhung ", "mot so ", "cac ", "ve ")
_NUMBERING = re.compile(
    r"^\s*(?:\(?(?:[IVXLivxl1]{1,6}|\d{1,2}(?:\.\d{1,2}){0,3}|[a-zA-ZđĐ])[\.\):/-]|[-–+•*])\s*"
)
_ROMAN = re.compile(r"^\s*[IVXL][IVXL1l]{0,5}[\.\)/]\s")
#: Control characters (NUL, bell, form feed…): never kept (PostgreSQL's JSON refuses NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ENDS = ("tren day la bao cao", "noi nhan", "noi gui")
MAX_HEADING = 120  # characters: a longer line is prose, whatever its first words
MAX_PASSAGE = 2000  # SPEC §4.7's text limit, per passage
MAX_PASSAGES = 40  # per section of one report


def fold(text: str) -> str:
    """``Ƣu điểm`` → ``uu diem``: no diacritics, lower case, spaces tidied (headings only)."""
    text = normalize_text(text).replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", bare.casefold()).split())


def strip_numbering(line: str) -> str:
    return _NUMBERING.sub("", line, count=1).strip()


def _is_major(line: str) -> bool:
    """A Roman-numbered line, or a short line in capitals: a section of the report."""
    letters = [c for c in line if c.isalpha()]
    caps = len(letters) >= 6 and all(c.isupper() for c in letters)
    return bool(_ROMAN.match(line)) or caps


def heading_of(line: str) -> tuple[bool, str | None]:
    """(is it one of our headings, which section). ``(True, None)``: *Đánh giá chung*.

    A heading is short and ends no sentence; the starts that prose also uses (*Đề nghị UBND
    tỉnh …*, *Nhiệm vụ …*) count only in a very short line or a major heading.
    """
    if len(line) > MAX_HEADING or line.rstrip().endswith((".", ";", ",")):
        return False, None
    key = fold(strip_numbering(line))
    for lead in _LEAD_WORDS:
        key = key.removeprefix(lead)
    words = len(key.split())
    for start, section in _HEADINGS:
        if key.startswith(start):
            if words > 14 or (start in _AMBIGUOUS and words > 7 and not _is_major(line)):
                return False, None
            # "Hạn chế và nguyên nhân": the limitations first; a "Nguyên nhân" under it switches
            return True, section
    return False, None


def find_passages(lines: Iterable[str]) -> dict[str, list[str]]:
    """Section → its passages (one per numbered or bulleted point, or per paragraph)."""
    out: dict[str, list[str]] = {s: [] for s in SECTIONS}
    current: str | None = None
    for raw in lines:
        line = normalize_text(_CONTROL.sub("", raw.replace("\f", " ").replace("\v", " ")))
        if not line:
            continue
        if any(fold(line).startswith(end) for end in _ENDS):
            current = None
            continue
        known, section = heading_of(line)
        if known and (section is not None or _is_major(line) or current is not None):
            current = section
            continue
        if _is_major(line) and not line.strip().isdigit():
            current = None
            continue
        if current is not None and not _continues_heading(line):
            _add(out[current], line)
    return {s: [_tidy(p) for p in ps][:MAX_PASSAGES] for s, ps in out.items()}


def _continues_heading(line: str) -> bool:
    """``2024`` alone under ``… NHIỆM VỤ NĂM``: the heading's broken line, not a passage."""
    return bool(re.fullmatch(r"(năm\s+)?\d{4}[\.:]?", line, flags=re.IGNORECASE))


def _add(passages: list[str], line: str) -> None:
    """A line starts a new passage when numbered or bulleted, or when the last one ended a
    sentence; otherwise it continues it (a PDF breaks lines mid-sentence)."""
    starts = bool(_NUMBERING.match(line)) and strip_numbering(line) != line.strip()
    if passages and not starts and not passages[-1].rstrip().endswith((".", "!", "?", ":")):
        passages[-1] = f"{passages[-1]} {line}"
    else:
        passages.append(line)


def _tidy(passage: str) -> str:
    text = strip_numbering(passage).rstrip(" ;,")
    if text.endswith(":"):
        text = text[:-1] + "."
    return text[:MAX_PASSAGE]


def has_passages(passages: dict[str, list[str]]) -> bool:
    return any(passages.get(s) for s in SECTIONS)
