"""The compiler page reads the same standings as ``danvan status`` (one rule, one read path,
narrowed to the subtree) and pages its table, the status filter and sort holding across pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from danvan.demo.load import sign_in
from danvan.tasks.pages import compiler_view
from tests.helpers import portal as h


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> Path:
    from danvan.flows.intake import submit

    h.set_up_province(tmp_path / "p")
    early = [h.write_json(tmp_path / f"{c}.json", h.submission(c)) for c in (h.UNIT, h.FAR)]
    submit.fn([str(p) for p in early], h.at("2024-11-08T09:00"))
    late = h.write_json(tmp_path / "late.json", h.submission(h.OTHER))
    submit.fn([str(late)], h.at("2024-11-20T09:00"))
    return tmp_path


def _all_pages(session, code: str, out: Path, **kw) -> list:  # type: ignore[no-untyped-def]
    first = compiler_view(session, year=h.YEAR, code=code, at=AT, out_dir=out, **kw)
    rows = list(first.units)
    for page in range(2, first.pages + 1):
        view = compiler_view(session, year=h.YEAR, code=code, at=AT, out_dir=out, page=page, **kw)
        assert view.page == page and len(view.units) <= kw["rows_per_page"]
        rows += view.units
    assert len(rows) == first.rows
    return rows


AT = h.at("2024-11-21T09:00")


@pytest.mark.parametrize("code", [h.DISTRICT, h.PROVINCE])
def test_compiler_pages_show_what_status_shows(cycle: Path, code: str) -> None:
    from danvan.models.db import get_engine, reading
    from danvan.tasks.views import cycle_status, result_json

    with reading(get_engine()) as session:
        whole = cycle_status(session, year=h.YEAR, at=AT)  # the province, nothing narrowed
        under = cycle_status(session, year=h.YEAR, at=AT, under=code)
        rows = _all_pages(session, code, cycle, rows_per_page=2)
        tz = compiler_view(session, year=h.YEAR, code=code, at=AT, out_dir=cycle).tz
    mine = {u["code"] for u in under["units"]} - {code}
    expected = [u for u in whole["units"] if u["code"] in mine]
    assert [u for u in under["units"] if u["code"] != code] == expected
    no_flags = [{k: v for k, v in u.items() if k != "flags"} for u in expected]  # their own list
    assert [result_json(r, tz) for r in rows] == no_flags
    assert {u["status"] for u in expected} >= {"on_time", "missing"}


def test_filter_and_sort_hold_across_pages(cycle: Path) -> None:
    from danvan.models.db import get_engine, reading

    with reading(get_engine()) as session:
        view = compiler_view(session, year=h.YEAR, code=h.PROVINCE, at=AT, out_dir=cycle)
        missing = _all_pages(
            session, h.PROVINCE, cycle, rows_per_page=3, status_filter="missing", sort="code"
        )
        by_status = _all_pages(session, h.PROVINCE, cycle, rows_per_page=3, sort="status")
        beyond = compiler_view(
            session, year=h.YEAR, code=h.PROVINCE, at=AT, out_dir=cycle, page=99, rows_per_page=3
        )
    assert len(missing) == view.summary["missing"] > 3
    assert {r.status for r in missing} == {"missing"}
    assert [r.code for r in missing] == sorted(r.code for r in missing)
    order = ("missing", "returned", "late", "on_time")
    assert [order.index(r.status) for r in by_status] == sorted(
        order.index(r.status) for r in by_status
    )
    assert beyond.page == beyond.pages and beyond.units  # past the end: the last page


def test_pager_links_keep_filter_and_sort(cycle: Path) -> None:
    """Plain links (no script) walk the pages; each carries the filter and the sort."""
    import re

    import httpx

    from danvan.portal.server import running

    links = h.mint_links([h.PROVINCE])
    with running(now=lambda: AT, page_rows=5) as url, httpx.Client(base_url=url) as client:
        sign_in(client, links[h.PROVINCE])
        seen: list[str] = []
        path: str | None = "/tong-hop?trang_thai=missing&sap_xep=status"
        while path is not None:
            page = client.get(path)
            assert page.status_code == 200
            seen += re.findall(r'<a href="/tong-hop/don-vi/([^/"]+)">', page.text)
            nxt = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            path = nxt.group(1).replace("&amp;", "&") if nxt else None
            if path is not None:
                assert "trang_thai=missing" in path and "sap_xep=status" in path
        assert 'rel="prev"' in page.text and len(seen) == len(set(seen)) > 5
        assert "Trang 1/" in client.get("/tong-hop?trang=abc").text
        last = client.get("/tong-hop?trang=999").text
        assert 'rel="next"' not in last and 'rel="prev"' in last


def test_a_compiler_returns_a_unit_for_revision(cycle: Path) -> None:
    """The return form runs ``danvan return``'s flow: same checks, the audit names the portal."""
    import re

    import httpx
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry
    from danvan.portal.server import running
    from danvan.tasks.views import cycle_status

    links = h.mint_links([h.DISTRICT])
    with running(now=lambda: AT) as url, httpx.Client(base_url=url) as client:
        sign_in(client, links[h.DISTRICT])
        detail = client.get(f"/tong-hop/don-vi/{h.UNIT}").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', detail)
        assert csrf is not None and f"/tong-hop/don-vi/{h.UNIT}/tra-lai" in detail
        form = {"csrf": csrf.group(1), "ly_do": "Thiếu số liệu tiêu chí 2."}
        path = f"/tong-hop/don-vi/{h.UNIT}/tra-lai"
        assert client.post(path, data={**form, "csrf": "0" * 64}).status_code == 403
        assert client.post(f"/tong-hop/don-vi/{h.FAR}/tra-lai", data=form).status_code == 404
        empty = client.post(path, data={**form, "ly_do": " "})
        assert empty.status_code == 422 and "[" in empty.text
        done = client.post(path, data=form)
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
        assert "Đã trả lại: Thiếu số liệu tiêu chí 2." in page
        again = client.post(path, data=form)  # one open return at a time: refused, said why
        assert again.status_code == 422
    with reading(get_engine()) as session:
        status = cycle_status(session, year=h.YEAR, at=AT, under=h.UNIT)
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "return")).all()
    assert status["units"][0]["status"] == "returned"
    assert status["units"][0]["return_reason"] == "Thiếu số liệu tiêu chí 2."
    assert [a.actor for a in audit] == [f"portal:{h.DISTRICT}"]


def test_an_appraisal_answers_beside_its_fields_and_says_when_saved(cycle: Path) -> None:
    """No reason: refused beside the reason's field, with the criterion's name, never the
    file's path (``adjustments[0].reason``); saved: said so, and the line reads by names."""
    import re

    import httpx

    from danvan.portal.server import running

    (code, _), *_ = h.criteria_codes(h.UNIT)
    links = h.mint_links([h.DISTRICT])
    open_ = h.at("2024-11-15T09:00")  # before the district's compilation deadline
    with running(now=lambda: open_) as url, httpx.Client(base_url=url) as client:
        sign_in(client, links[h.DISTRICT])
        detail = client.get(f"/tong-hop/don-vi/{h.UNIT}").text
        name = re.search(rf"<legend>{re.escape(code)}\. ([^<]+) <small", detail)
        assert name is not None
        path = f"/tong-hop/don-vi/{h.UNIT}/tham-dinh"
        form = {"csrf": re.findall(r'name="csrf" value="([0-9a-f]+)"', detail)[0]}
        refused = client.post(path, data=form | {f"diem_{code}": "1"})
        assert refused.status_code == 422
        text = refused.text
        assert re.search(rf'name="ly_do_{re.escape(code)}"[^>]*aria-invalid="true"', text)
        assert f"“{name.group(1).strip()}”: " in text and "adjustments[" not in text
        done = client.post(path, data=form | {f"diem_{code}": "1", f"ly_do_{code}": "Thiếu"})
        assert done.status_code == 303, re.findall(r"<li>[^<]*<code>[^<]*", done.text)
        page = client.get(done.headers["location"]).text
        assert "Đã lưu thẩm định" in page
        assert f"<b>{code}. {name.group(1).strip()}</b> → 1 (Thiếu)" in page
        assert f"{h.DISTRICT}:" not in page  # the compiler by its name, not its code
