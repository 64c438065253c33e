"""``status --at`` describes the cycle as at that instant: asked a day before the publication it
is not published (table, JSON; the portal's pages at that instant too), asked after it is; the
CSV's rows (standings as at the instant) do not change with the publication. SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from danvan.demo.sample import sample_dir

BEFORE = "2024-11-29T09:00"  # a day before the publication
PUBLISHED = "2024-11-30T09:00"
AFTER = "2024-11-30T10:00"


@pytest.fixture
def published(db_url: str, cli: Callable) -> str:
    """The sample province's 2024 cycle: a few units submitted, approved, published 30/11 09:00."""
    sample = sample_dir()
    reports = sorted((sample / "bao-cao").glob("*.yaml"))[:4]
    for argv in (
        ["org", "import", f"{sample}/org.yaml", "--at", "2024-02-17T08:00"],
        ["plan", "issue", f"{sample}/plan.yaml", "--at", "2024-02-17T09:00"],
        ["submit", *map(str, reports), "--at", "2024-11-08T10:00"],
        ["approve", "--cycle", "2024", "--by", "QNG", "--at", "2024-11-30T08:30"],
        ["publish", "--cycle", "2024", "--at", PUBLISHED],
    ):
        r = cli(*argv)
        assert r.exit_code == 0, (argv, r.stderr)
    return db_url


def _status(cli: Callable, at: str, *fmt: str) -> str:
    r = cli("status", "--cycle", "2024", "--at", at, *fmt)
    assert r.exit_code == 0, r.stderr
    return r.stdout


def _published(cli: Callable, at: str) -> bool:
    return cli("status", "--cycle", "2024", "--at", at, "--format", "json").json()["published"]


def test_status_before_the_publication_is_not_published_and_after_it_is(
    published: str, cli: Callable
) -> None:
    json_published = {at: _published(cli, at) for at in (BEFORE, PUBLISHED, AFTER)}
    assert json_published == {BEFORE: False, PUBLISHED: True, AFTER: True}
    before, after = (" ".join(_status(cli, at).split()) for at in (BEFORE, AFTER))
    assert "tính đến 09:00 ngày 29/11/2024" in before and "ĐÃ CÔNG BỐ" not in before
    assert "tính đến 10:00 ngày 30/11/2024" in after and "ĐÃ CÔNG BỐ" in after
    rows = [list(csv.reader(io.StringIO(_status(cli, at, "--format", "csv").lstrip("\ufeff"))))
            for at in (BEFORE, AFTER)]  # fmt: skip
    assert len(rows[0]) > 1 and rows[0] == rows[1]  # the standings; nothing is "published" there


def test_the_portal_pages_at_an_instant_before_the_publication_show_no_result(
    published: str,
) -> None:
    from danvan.models.db import get_engine, reading
    from danvan.rules.timing import parse_instant
    from danvan.tasks.pages import unit_view

    with reading(get_engine()) as session:
        before = unit_view(session, year=2024, code="QNG.BSN.X07", at=parse_instant(BEFORE))
        after = unit_view(session, year=2024, code="QNG.BSN.X07", at=parse_instant(AFTER))
    assert not before.published and before.result is None and before.ranked is None
    assert after.published and after.result is not None
