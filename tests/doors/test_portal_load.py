"""Load against 127.0.0.1 (bounded: fixed requests, each with a timeout): 200 units send their
files through the portal at the same instant; none is lost and each is recorded exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import func, select

from danvan.demo import bench
from danvan.rules.timing import parse_instant

UNITS = 220  # a synthetic province with a little more than 200 assessed units


@pytest.mark.slow
def test_200_concurrent_uploads_lose_none_and_record_each_once(db_url: str, tmp_path: Path) -> None:
    from danvan.demo.load import upload_all
    from danvan.flows.plan import issue_plan
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Submission
    from danvan.portal.server import running
    from danvan.tasks.org import import_org
    from tests.helpers.portal import YEAR

    def at(value: str):  # type: ignore[no-untyped-def]
        return parse_instant(value, bench.TZ)

    org = bench.synthetic_org(UNITS)
    bench.write_json(tmp_path / "org.json", {"units": org})
    bench.write_json(tmp_path / "criteria.json", bench.CRITERIA)
    bench.write_json(tmp_path / "plan.json", bench.PLAN)
    import_org(str(tmp_path / "org.json"), at(bench.ISSUE_AT))
    issue_plan.fn(str(tmp_path / "plan.json"), at(bench.ISSUE_AT))
    assessed = [u["code"] for u in org if u["kind"] != "province"][:200]
    links = _links(assessed)
    files = {
        code: (f"{code}.json", json.dumps(bench.submission(code, i)).encode())
        for i, code in enumerate(assessed)
    }
    now = at(bench.SUBMIT_AT)
    with running(now=lambda: now, rate_burst=1000, open_burst=1000) as url:
        timings = upload_all(url, links, files, concurrency=200, together=True)
    assert timings.failures == []
    assert timings.accepted == 200
    with reading(get_engine()) as session:
        rows = session.exec(select(Submission.unit_id, Submission.version)).all()
        audited = session.exec(
            select(func.count()).where(
                AuditEntry.action == "submit",
                AuditEntry.actor.startswith("portal:"),  # type: ignore[attr-defined]
            )
        ).one()
    assert len(rows) == 200 and len({u for u, _ in rows}) == 200
    assert {v for _, v in rows} == {1}
    assert audited == 200
    assert YEAR == bench.YEAR


def _links(codes: list[str]) -> dict[str, str]:
    from danvan.tasks.links import link_paths

    return link_paths(bench.YEAR, codes, parse_instant(bench.ISSUE_AT, bench.TZ), "test")
