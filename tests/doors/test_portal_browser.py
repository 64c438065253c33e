"""The portal in a real headless Chromium (Playwright): a unit opens its link, downloads its
workbook, fills and sends it, sees the answer; a district watches it arrive; a link never reaches
another unit's page or file (every route of the app); a forged form is refused."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import portal as h
from tests.helpers.browser import (
    DESKTOP,
    PHONE,
    browser_or_skip,
    fill_workbook,
    open_link,
    small_png,
)
from tests.helpers.site import Site, running_site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from browser_or_skip()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    codes = [h.UNIT, h.OTHER, h.FAR, h.DISTRICT, "QNG.STH", h.PROVINCE]
    with running_site(tmp_path, monkeypatch, codes) as site:
        yield site


def send(page: Any, path: Path) -> None:
    """Send a file from the unit's own page (as the official does, after the previous answer)."""
    if not page.url.endswith("/don-vi"):
        page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/don-vi")
    page.set_input_files("input[name=tep]", str(path))
    page.click("form[action='/don-vi/nop'] button")


def the_workbook(page: Any, tmp_path: Path, doc: dict) -> Path:
    """Download the unit's workbook from its page and fill it as the official would."""
    with page.expect_download() as info:
        page.click("text=Tải mẫu bảng tính của đơn vị")
    assert info.value.suggested_filename == f"{doc['unit']}-tu-danh-gia-2024.xlsx"
    target = tmp_path / info.value.suggested_filename
    target.write_bytes(fill_workbook(Path(info.value.path()).read_bytes(), doc))
    return target


def test_a_unit_sends_its_workbook_and_sees_the_answer(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(10_000)
    open_link(page, site.link(h.UNIT))
    assert page.url == site.url + "/don-vi"  # the token is gone from the address bar
    assert "Ủy ban nhân dân xã Bình Thạnh" in page.inner_text("h1")
    assert "Chưa nộp" in page.inner_text("main")
    assert "còn 2 ngày" in page.inner_text("main")
    # the upload's three steps are a numbered list, one under the other (the compile page's
    # step boxes once restyled every ``.steps``: three columns of one word a line on a phone)
    tops = page.locator("ol.steps li").evaluate_all("els => els.map(e => e.offsetTop)")
    assert len(tops) == 3 and tops == sorted(set(tops)), tops

    send(page, the_workbook(page, tmp_path, h.submission(h.UNIT)))
    answer = page.inner_text("main")
    assert "Đã nhận" in answer and "phiên bản 1" in answer and "đúng hạn" in answer

    wrong = h.submission(h.UNIT)
    first = next(iter(wrong["scores"]))
    wrong["scores"][first] = 999
    wrong["figures"]["petitions"]["resolved"] = 9  # more than in_jurisdiction (8)
    send(page, _wrong(tmp_path, wrong))
    answer = page.inner_text("main")
    assert "Bị từ chối" in answer
    assert "[score_out_of_range]" in answer or "[score_above_max]" in answer or "999" in answer
    assert "[figure_inconsistent]" in answer
    cells = page.locator("table.problems td.cell").all_inner_texts()
    assert any(c.startswith("Số liệu!") for c in cells), cells  # sheet!cell
    assert any(c.startswith("Chấm điểm!") for c in cells), cells

    page.goto(site.url + "/don-vi")
    assert "Phiên bản 1 · đúng hạn" in page.inner_text("main")
    assert page.locator("table tbody tr").count() == 1  # the rejected file changed nothing
    page.close()


def _wrong(tmp_path: Path, doc: dict) -> Path:
    from danvan.tasks.templates import unit_workbook

    folder = tmp_path / "wrong"
    folder.mkdir(parents=True, exist_ok=True)
    name, data = unit_workbook(2024, doc["unit"])
    path = folder / name
    path.write_bytes(fill_workbook(data, doc))
    return path


def test_a_district_sees_its_commune_move_from_missing_to_submitted(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    district = browser.new_context(viewport=DESKTOP).new_page()
    open_link(district, site.link(h.DISTRICT))
    district.goto(site.url + "/tong-hop")
    row = district.locator("tr", has_text=h.UNIT)
    assert "Chưa nộp" in row.inner_text()
    before = district.locator(".count.missing b").inner_text()

    unit = browser.new_context(viewport=PHONE).new_page()
    open_link(unit, site.link(h.UNIT))
    send(unit, h.write_json(tmp_path / "x07.json", h.submission(h.UNIT)))
    assert "Đã nhận" in unit.inner_text("main")

    district.reload()
    row = district.locator("tr", has_text=h.UNIT)
    assert "Phiên bản 1 · đúng hạn" in row.inner_text()
    assert int(district.locator(".count.missing b").inner_text()) == int(before) - 1
    district.click("a[href='/tong-hop?trang_thai=missing&sap_xep=code']")
    assert h.UNIT not in district.inner_text("table")
    with district.expect_download() as info:
        district.goto(site.url + "/tong-hop")
        district.click(f"a[href='/tong-hop/don-vi/{h.UNIT}/tep']")
    assert info.value.suggested_filename.startswith(f"{h.UNIT}-v1-")
    # appraise it: one criterion with its reason, through the appraisal rules
    district.goto(site.url + f"/tong-hop/don-vi/{h.UNIT}")
    code = h.criteria_codes(h.UNIT)[0][0]
    district.fill(f"input[name=diem_{code}]", "1")
    district.click("form.appraise button")
    assert "[missing_field]" in district.inner_text("main") or "reason" in district.inner_text(
        "main"
    )
    district.fill(f"input[name=ly_do_{code}]", "Kế hoạch ban hành chậm")
    district.click("form.appraise button")
    assert "Kế hoạch ban hành chậm" in district.inner_text("main")
    district.context.close()
    unit.context.close()


def _routes() -> list[tuple[str, str]]:
    """(method, path template) of every route of the application, read from the app itself."""
    from danvan.portal.app import route_table

    return route_table()


ROUTES = _routes()
# Values for path parameters that name something belonging to another unit.
FOREIGN = {
    "code": [h.OTHER, h.FAR, h.DISTRICT, h.PROVINCE],
    "version": ["1"],
    "name": ["summary.json"],
    "file_id": ["1"],
    "request_id": ["1"],
}


def _concrete(path: str, codes: list[str]) -> list[str]:
    params = re.findall(r"{(\w+)}", path)
    paths = [path]
    for p in params:
        if p == "token":
            return []  # opening a link is tested on its own
        values = codes if p == "code" else FOREIGN[p]
        paths = [q.replace("{" + p + "}", v) for q in paths for v in values]
    return paths


def test_every_route_is_listed() -> None:
    assert ("GET", "/don-vi") in ROUTES and ("POST", "/don-vi/nop") in ROUTES
    assert ("POST", "/tong-hop/don-vi/{code}/tham-dinh") in ROUTES
    assert all(
        re.findall(r"{(\w+)}", p) == [] or set(re.findall(r"{(\w+)}", p)) <= {*FOREIGN, "token"}
        for _, p in ROUTES
    )


def test_a_units_link_reaches_no_other_units_page_or_file(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    """For every route of the app, as the commune X07 (and as the district of Bình Sơn for the
    units of another district): nothing of another unit is shown or sent."""
    from danvan.flows.compile import compile_reports
    from danvan.flows.intake import submit

    for code in (h.OTHER, h.FAR, h.DISTRICT):
        path = h.write_json(tmp_path / f"{code}.json", h.submission(code))
        submit.fn([str(path)], h.at("2024-11-08T09:00"))
    compile_reports.fn(2024, h.at("2024-11-08T09:30"), str(site.out), None)
    secrets = {
        h.OTHER: "Bình Đông",
        h.FAR: "Tịnh Hà",
    }
    checked = 0
    for viewer, foreign in (
        (h.UNIT, FOREIGN["code"]),
        (h.DISTRICT, [h.FAR, h.PROVINCE, "QNG.STH"]),
    ):
        context = browser.new_context()
        page = context.new_page()
        open_link(page, site.link(viewer))
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        for method, template in ROUTES:
            for path in _concrete(template, foreign):
                if viewer == h.DISTRICT and "{code}" not in template:
                    continue  # its own pages: covered by the other tests
                if path.startswith("/static") or path in ("/dang-xuat",):
                    continue
                r = (
                    context.request.get(site.url + path, max_redirects=0)
                    if method == "GET"
                    else context.request.post(
                        site.url + path, form={"csrf": csrf or "", "xac_nhan": "1"}, max_redirects=0
                    )
                )
                body = r.text()
                # a unit's own routes name no unit: the session says whose they are
                if viewer == h.UNIT and (path == "/" or path.startswith("/don-vi")):
                    assert r.status < 500, (path, r.status)
                else:
                    assert r.status in (403, 404), (viewer, method, path, r.status)
                for name in secrets.values():
                    assert name not in body, (viewer, path)
                checked += 1
        context.close()
    assert checked >= len(ROUTES)
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import Adjustment, Result

    with reading(get_engine()) as session:
        from sqlmodel import select

        assert session.exec(select(Adjustment)).all() == []
        assert session.exec(select(Result)).all() == []  # nobody published


def test_a_forged_form_without_its_token_is_refused(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    open_link(page, site.link(h.UNIT))
    file = h.write_json(tmp_path / "x07.json", h.submission(h.UNIT))
    payload = {"name": file.name, "mimeType": "application/json", "buffer": file.read_bytes()}
    forged = context.request.post(site.url + "/don-vi/nop", multipart={"tep": payload})
    assert forged.status == 403 and "[csrf]" in forged.text()
    wrong = context.request.post(
        site.url + "/don-vi/nop", multipart={"tep": payload, "csrf": "0" * 32}
    )
    assert wrong.status == 403
    page.reload()
    assert "Chưa nộp" in page.inner_text("main")  # nothing was recorded
    # the same form posted by another site's page carries no session (SameSite) and is refused
    evil = browser.new_context().new_page()
    evil.goto(site.url.replace("127.0.0.1", "localhost") + "/")
    context.close()
    evil.context.close()


def test_pages_carry_security_headers_and_no_token_survives(browser: Any, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    response = open_link(page, site.link(h.UNIT))  # the headers of the page holding the token
    assert page.url.endswith("/don-vi")
    headers = response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    cookie = next(c for c in context.cookies() if c["name"] == "danvan_phien")
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict")
    assert site.links[h.UNIT].removeprefix("/l/") not in cookie["value"]
    context.close()


def test_another_site_cannot_sign_a_browser_in(browser: Any, site: Site) -> None:
    """Login CSRF: the link's page opens nothing by itself, and its form posted from another
    site's page (with the token the attacker read from its own link's page) is refused: the
    browser stays signed out. The official's own click opens the session."""
    attacker = browser.new_context().new_page()
    attacker.goto(site.link(h.OTHER))
    token = attacker.locator("input[name=csrf]").get_attribute("value")
    victim = browser.new_context()
    page = victim.new_page()
    page.goto(site.link(h.OTHER))  # sent there by another site: the page, and no session
    assert "Mở trang của" in page.inner_text("main")
    assert not [c for c in victim.cookies() if c["name"] == "danvan_phien"]
    evil = "http://evil.example/qua-tang"
    form = (
        f'<form method="post" action="{site.link(h.OTHER)}">'
        f'<input type="hidden" name="csrf" value="{token}"><button>Nhận quà</button></form>'
    )
    page.route(
        evil, lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=form)
    )
    page.goto(evil)
    with page.expect_navigation():
        page.click("text=Nhận quà")
    assert "[csrf]" in page.inner_text("main")
    assert not [c for c in victim.cookies() if c["name"] == "danvan_phien"]
    open_link(page, site.link(h.UNIT))  # the official's own click on its own link's page
    assert page.url == site.url + "/don-vi" and "Bình Thạnh" in page.inner_text("h1")
    victim.close()
    attacker.context.close()


SCREENS = (
    Path(os.environ.get("DANVAN_SCREENSHOTS", "")) if os.environ.get("DANVAN_SCREENSHOTS") else None
)


def test_screenshots_of_every_page(browser: Any, site: Site, tmp_path: Path) -> None:
    """Each page on a 390-px phone and a 1280-px desktop (DANVAN_SCREENSHOTS=docs/screenshots
    writes them there; otherwise into the test's folder)."""
    from danvan.flows.intake import submit

    out = SCREENS or tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    site.clock[0] = h.at("2024-11-12T10:00")  # after the deadline: on time, late and missing
    for i, code in enumerate(("QNG.BSN.X09", "QNG.BSN.PNV", "QNG.SNV", "QNG.P01")):
        path = h.write_json(tmp_path / f"{code}.json", h.submission(code, i))
        submit.fn([str(path)], h.at(f"2024-11-{9 + i:02d}T09:00"))
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        ctx = browser.new_context(viewport=size)
        page = ctx.new_page()

        def shot(label: str, page: Any = page, name: str = name) -> None:
            target = out / f"{label}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            small_png(target)

        page.goto(site.url + "/")
        shot("0-trang-chu")
        page.goto(site.link(h.UNIT))
        shot("0-mo-duong-dan")  # the link's page: whose it is, one button
        with page.expect_navigation():
            page.click("form button:has-text('Mở trang của')")
        shot("1-don-vi-chua-nop")
        send(
            page,
            h.write_json(tmp_path / "ok.json", h.submission(h.UNIT, 1 if name == "phone" else 2)),
        )
        shot("2-da-nhan")
        wrong = h.submission(h.UNIT)
        wrong["figures"]["petitions"]["resolved"] = 9
        wrong["scores"][next(iter(wrong["scores"]))] = 999
        send(page, _wrong(tmp_path / name, wrong))
        shot("3-bi-tu-choi")
        page.goto(site.url + "/don-vi")
        shot("4-don-vi-da-nop")
        open_link(page, site.link(h.DISTRICT))
        page.goto(site.url + "/tong-hop")
        shot("5-huyen-tong-hop")
        page.goto(site.url + f"/tong-hop/don-vi/{h.UNIT}")
        shot("6-huyen-tham-dinh")
        open_link(page, site.link(h.PROVINCE))
        shot("7-tinh-tong-hop")
        ctx.close()
    pngs = sorted(out.glob("[0-7]-*.png"))  # this test's pages (others draw e1-… there)
    assert len(pngs) == 18
    assert all(0 < p.stat().st_size < 400_000 for p in pngs)
