"""Published as at an instant: one decision for ``status --at``, the portal's pages and a link's
life (``rules.publication.published_by``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from danvan.rules.access import link_is_live
from danvan.rules.publication import published_by

PUBLISHED = datetime(2024, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@pytest.mark.parametrize(
    ("published_at", "at", "expected"),
    [
        (None, PUBLISHED, False),  # never published
        (None, None, False),
        (PUBLISHED, PUBLISHED - timedelta(days=1), False),  # asked a day before: not yet
        (PUBLISHED, PUBLISHED - timedelta(microseconds=1), False),
        (PUBLISHED, PUBLISHED, True),  # the instant it was published
        (PUBLISHED, PUBLISHED + timedelta(days=1), True),
        (PUBLISHED, None, True),  # no instant: as recorded now
    ],
)
def test_published_by_the_instant(
    published_at: datetime | None, at: datetime | None, expected: bool
) -> None:
    assert published_by(published_at, at) is expected


@pytest.mark.parametrize("hours", [-24, -1, 0, 1, 24])
def test_a_link_lives_exactly_while_the_cycle_is_not_yet_published(hours: int) -> None:
    at = PUBLISHED + timedelta(hours=hours)
    live = link_is_live(revoked_at=None, valid_until=None, published_at=PUBLISHED, at=at)
    assert live is not published_by(PUBLISHED, at)
