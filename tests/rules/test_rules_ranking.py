"""Ranking: higher total, then fewer zero criteria, then earlier submission, then code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from danvan.rules.domain import Band
from danvan.rules.ranking import RankEntry, band_counts, rank

T0 = datetime(2024, 11, 1, 8, tzinfo=UTC)
T1 = datetime(2024, 11, 2, 8, tzinfo=UTC)
BANDS = (Band("Tốt", 90), Band("Khá", 70), Band("Trung bình", 50), Band("Yếu", 0))


def e(unit: str, total: float, zeros: int = 0, at: datetime = T0, band: str = "Tốt") -> RankEntry:
    return RankEntry(unit, total, band, zeros, at)


@pytest.mark.parametrize(
    ("entries", "order"),
    [
        ([e("A", 80), e("B", 95), e("C", 90)], ["B", "C", "A"]),
        ([e("A", 90, zeros=1), e("B", 90)], ["B", "A"]),  # fewer criteria at 0 first
        ([e("A", 90, at=T1), e("B", 90, at=T0)], ["B", "A"]),  # earlier submission first
        ([e("B", 90), e("A", 90)], ["A", "B"]),  # then code
        ([e("A", 90, zeros=0, at=T1), e("B", 90, zeros=1, at=T0)], ["A", "B"]),  # zeros before time
        ([], []),
    ],
)
def test_tie_order(entries: list[RankEntry], order: list[str]) -> None:
    assert [r.unit for r in rank(entries)] == order


def test_equal_totals_get_consecutive_distinct_ranks() -> None:
    ranked = rank([e("A", 90), e("B", 90), e("C", 90), e("D", 70)])
    assert [(r.unit, r.rank) for r in ranked] == [("A", 1), ("B", 2), ("C", 3), ("D", 4)]


def test_band_counts_keep_every_band_in_the_sets_order() -> None:
    ranked = rank([e("A", 95), e("B", 75, band="Khá"), e("C", 91)])
    counts = band_counts(ranked, BANDS)
    assert list(counts.items()) == [("Tốt", 2), ("Khá", 1), ("Trung bình", 0), ("Yếu", 0)]


def test_band_counts_append_a_band_of_another_set() -> None:
    counts = band_counts(rank([e("A", 95, band="Xuất sắc")]), ["Tốt", "Khá"])
    assert counts == {"Tốt": 0, "Khá": 0, "Xuất sắc": 1}
