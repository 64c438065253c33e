"""Tổng hợp ý kiến: the units' passages merged into the compiled report's points (SPEC §3.9).

The same proposal from several units is said once with all their names, the most common
first. Two passages are the same point when their *content words* are alike: the text is
NFC-normalised, diacritics stripped (an old export writes ``kinh phi`` for ``kinh phí``),
the words every proposal shares (*đề nghị UBND tỉnh quan tâm … công tác dân vận chính quyền*)
dropped, and rapidfuzz's token-set ratio taken; at :data:`THRESHOLD` or above they merge.
Measured on Vietnamese pairs that should and should not merge (docs/choices.md): with the
shared words kept, unrelated proposals reached 100 (one's words a subset of the other's);
without them, the pairs that should merge scored 75–100 and those that should not 0–63.
Everything runs here, on this machine: nothing is fetched or sent anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from danvan.rules.narrative import SECTIONS
from danvan.rules.text import normalize_text

THRESHOLD = 70.0
#: Below this many content words a subset says little: the whole-text order counts instead.
_FEW_WORDS = 3
_SHARED = (
    "đề nghị kiến nghị đề xuất ubnd uỷ ủy ban nhân dân tỉnh huyện quan tâm cho các của và về"
    " với những một số được công tác dân vận chính quyền"
)


def _bare(text: str) -> str:
    text = normalize_text(text).casefold().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


_SHARED_BARE = frozenset(_bare(_SHARED).split())


def content_key(text: str) -> str:
    """The words that tell one point from another (see the module's note)."""
    return " ".join(w for w in _bare(text).split() if w not in _SHARED_BARE)


def similarity(a: str, b: str, **_: object) -> float:
    """0–100: how alike two content keys are (``content_key`` of each passage); ``**_`` takes
    what rapidfuzz's ``process`` hands a scorer (``score_cutoff``)."""
    if not a or not b:
        return 0.0
    if min(len(a.split()), len(b.split())) < _FEW_WORDS:
        return fuzz.token_sort_ratio(a, b)
    return fuzz.token_set_ratio(a, b)


def same_point(a: str, b: str, threshold: float = THRESHOLD) -> bool:
    return similarity(content_key(a), content_key(b)) >= threshold


@dataclass(frozen=True)
class Point:
    """One point of the draft: its text (as the first unit wrote it, or the first written with
    its diacritics when that one was an old export without) and every unit saying it."""

    text: str
    units: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"text": self.text, "units": list(self.units)}


def _has_diacritics(text: str) -> bool:
    return any(not c.isascii() for c in text if c.isalpha())


def merge_points(items: Iterable[tuple[str, str]], threshold: float = THRESHOLD) -> list[Point]:
    """``items``: (unit code, passage) in the units' order → points, the most common first
    (ties: in the order first said)."""
    keys: list[str] = []
    texts: list[str] = []
    units: list[list[str]] = []
    for unit, text in items:
        key = content_key(text)
        match = None
        if key:
            found = process.extractOne(key, keys, scorer=similarity, score_cutoff=threshold)
            match = found[2] if found else None
        if match is None:
            keys.append(key)
            texts.append(text)
            units.append([unit])
        else:
            if unit not in units[match]:
                units[match].append(unit)
            if not _has_diacritics(texts[match]) and _has_diacritics(text):
                texts[match] = text  # the report quotes a unit that wrote in full Vietnamese
    order = sorted(range(len(texts)), key=lambda i: (-len(units[i]), i))
    return [Point(texts[i], tuple(units[i])) for i in order]


def draft(passages: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[str, list[Point]]:
    """Unit code → its passages per section, in the units' order → each section's points."""
    return {
        section: merge_points(
            (unit, text) for unit, by in passages.items() for text in by.get(section, ())
        )
        for section in SECTIONS
    }
