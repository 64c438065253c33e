"""Publication with care (SPEC §4.5): the province's button leads to a confirmation naming the
units not yet sent; before ``province_scoring`` an empty reason is refused beside its field and
publishes nothing; with a reason it publishes and the reason is in the audit log. Afterwards a
unit's page says the cycle is published (no "còn N ngày") and its rank "trên N"."""

from __future__ import annotations

import re
from pathlib import Path

from danvan.demo.load import sign_in
from tests.helpers import portal as h

EARLY = h.at("2024-11-21T09:00")  # province_scoring is 29/11/2024


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def test_early_publication_needs_a_reason(db_url: str, tmp_path: Path) -> None:
    import httpx
    from sqlmodel import select

    from danvan.flows.intake import submit
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Cycle
    from danvan.portal.server import running
    from danvan.tasks.pages import unit_view
    from danvan.tasks.signoff import record_sign_off

    h.set_up_province(tmp_path / "p")
    sent = [h.write_json(tmp_path / f"{c}.json", h.submission(c)) for c in (h.UNIT, h.OTHER)]
    submit.fn([str(p) for p in sent], h.at("2024-11-08T09:00"))
    links = h.mint_links([h.PROVINCE])
    with running(now=lambda: EARLY) as url, httpx.Client(base_url=url, timeout=60) as province:
        sign_in(province, links[h.PROVINCE])
        unapproved = province.get("/tong-hop/cong-bo").text
        assert "chưa được phê duyệt" in unapproved and "xac_nhan" not in unapproved
        record_sign_off(h.YEAR, h.PROVINCE, EARLY, "approved", note="Đồng ý")
        page = province.get("/tong-hop").text
        assert 'href="/tong-hop/cong-bo"' in page  # a link to the confirmation, not a button
        confirm = province.get("/tong-hop/cong-bo").text
        assert "đơn vị chưa gửi tự đánh giá" in confirm
        assert "QNG.STH.X01" in confirm and h.UNIT not in confirm  # the missing, by name
        assert "29/11/2024" in confirm and 'name="ly_do"' in confirm
        # not confirmed: back to the confirmation; no reason: refused beside the field
        form = {"csrf": _csrf(confirm), "ly_do": "  "}
        back = province.post("/tong-hop/cong-bo", data=form)
        assert back.status_code == 303 and back.headers["location"] == "/tong-hop/cong-bo"
        refused = province.post("/tong-hop/cong-bo", data=form | {"xac_nhan": "1"})
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text and "[publish_reason_required]" in refused.text
        with reading(get_engine()) as session:
            assert session.exec(select(Cycle)).one().published_at is None
        reason = "UBND tỉnh chỉ đạo công bố trước hội nghị tổng kết"
        done = province.post("/tong-hop/cong-bo", data=form | {"xac_nhan": "1", "ly_do": reason})
        assert done.status_code == 200 and "Đã công bố kết quả" in done.text
    with reading(get_engine()) as session:
        (row,) = session.exec(select(AuditEntry).where(AuditEntry.action == "publish")).all()
        view = unit_view(session, year=h.YEAR, code=h.UNIT, at=EARLY)
    assert row.actor == f"portal:{h.PROVINCE}" and row.detail["reason"] == reason
    assert view.published and view.result is not None and view.ranked and view.ranked >= 2


def test_cli_publication_asks_the_same(db_url: str, tmp_path: Path, cli) -> None:
    """``danvan publish --reason``: the portal's rule through the same core step — before the
    scoring deadline no reason is refused beside ``--reason`` and publishes nothing; a reason
    publishes and is audited; on or after the deadline none is needed (the README's cycle)."""
    from sqlmodel import select

    from danvan.flows.intake import submit
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Cycle
    from danvan.tasks.signoff import record_sign_off

    h.set_up_province(tmp_path / "p")
    sent = [h.write_json(tmp_path / f"{c}.json", h.submission(c)) for c in (h.UNIT, h.OTHER)]
    submit.fn([str(p) for p in sent], h.at("2024-11-08T09:00"))
    record_sign_off(h.YEAR, h.PROVINCE, EARLY, "approved", note="Đồng ý")
    early = ("publish", "--cycle", str(h.YEAR), "--at", "2024-11-21T09:00")
    for blank in ((), ("--reason", "   ")):
        refused = cli(*early, *blank)
        assert refused.exit_code == 1 and "Traceback" not in refused.stderr
        assert "--reason: " in refused.stderr and "[publish_reason_required]" in refused.stderr
        assert "29/11/2024" in refused.stderr
    with reading(get_engine()) as session:
        assert session.exec(select(Cycle)).one().published_at is None
        assert not session.exec(select(AuditEntry).where(AuditEntry.action == "publish")).all()
    reason = "UBND tỉnh chỉ đạo công bố trước hội nghị tổng kết"
    done = cli(*early, "--reason", reason, "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["published"] is True
    with reading(get_engine()) as session:
        (row,) = session.exec(select(AuditEntry).where(AuditEntry.action == "publish")).all()
    assert row.actor == "cli" and row.detail["reason"] == reason


def test_cli_publication_on_time_needs_no_reason(db_url: str, tmp_path: Path, cli) -> None:
    from danvan.tasks.signoff import record_sign_off

    h.set_up_province(tmp_path / "p")
    record_sign_off(h.YEAR, h.PROVINCE, EARLY, "approved", note="Đồng ý")
    r = cli("publish", "--cycle", str(h.YEAR), "--at", "2024-11-29T09:00", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["published"] is True
