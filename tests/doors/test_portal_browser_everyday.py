"""The portal as an everyday tool, in the system's Chromium (Playwright), on a 390-px phone and a
desktop (SPEC §4.5): scores entered and sent without Excel, the draft kept across sessions, each
problem beside its field, the receipt on the page and in the unit's inbox (a real HTTP sink),
the same file twice, a compiler opening a unit's report file, and an early publication refused
without a reason. No page scrolls sideways on the phone. With DANVAN_SCREENSHOTS set, the new
pages are drawn into that folder (see docs/development.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import portal as h
from tests.helpers.browser import DESKTOP, PHONE, browser_or_skip, open_link, small_png
from tests.helpers.site import Site, running_site

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
REPORT = "bao-cao-x07.docx"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from browser_or_skip()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    codes = [h.UNIT, h.DISTRICT, h.PROVINCE]
    with running_site(tmp_path, monkeypatch, codes, sink_for=h.UNIT) as site:
        yield site


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def shot(page: Any, label: str, name: str) -> None:
    folder = os.environ.get("DANVAN_SCREENSHOTS")
    if folder:
        target = Path(folder) / f"{label}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        small_png(target)


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_scores_entered_and_sent_without_excel(browser: Any, site: Site, name: str) -> None:
    criteria = h.criteria_codes(h.UNIT)
    (first, _), (second, _) = criteria[0], criteria[1]
    ctx = browser.new_context(viewport=VIEWPORTS[name])
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    open_link(page, site.link(h.UNIT))
    page.click("text=Nhập điểm ngay trên trang")
    assert page.url == site.url + "/don-vi/nhap"
    no_sideways_scroll(page)
    shot(page, "e1-nhap-tren-trang", name)
    page.fill("input[name=submitted_by]", "Chánh Văn phòng")
    page.fill(f"input[name='scores.{first}']", "2,5")
    page.click("button:has-text('Lưu nháp')")
    assert "Đã lưu nháp lúc 08/11/2024 10:00" in page.inner_text("main")
    shot(page, "e2-da-luu-nhap", name)
    ctx.close()

    # another session, later: the draft is on the server
    site.clock[0] = h.at("2024-11-09T08:00")
    ctx = browser.new_context(viewport=VIEWPORTS[name])
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    open_link(page, site.link(h.UNIT))
    page.goto(site.url + "/don-vi/nhap")
    assert page.input_value(f"input[name='scores.{first}']") == "2,5"
    for code, top in criteria[2:]:
        page.fill(f"input[name='scores.{code}']", str(top).replace(".", ","))
    page.fill(f"input[name='scores.{first}']", "999")
    page.click("button:has-text('Gửi tự đánh giá')")
    main = page.inner_text("main")
    assert "Chưa gửi được" in main and "[criterion_missing]" in main
    for code in (first, second):  # each problem beside its field, the field marked
        field = page.locator(f"input[name='scores.{code}']")
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby")
        assert described and page.locator(f"[id='{described}']").is_visible()
    second_name = next(
        t for t in page.locator("legend").all_inner_texts() if t.startswith(f"{second}. ")
    )
    assert f"Thiếu điểm tiêu chí “{second_name.split('. ', 1)[1].split(' (')[0]}”" in main
    no_sideways_scroll(page)
    shot(page, "e3-nhap-co-loi", name)
    page.fill(f"input[name='scores.{first}']", "2,5")
    page.fill(f"input[name='scores.{second}']", "1")
    page.click("button:has-text('Gửi tự đánh giá')")
    main = page.inner_text("main")
    number = f"TN-{h.YEAR}-{h.UNIT}-01"
    assert "Đã nhận" in main and "Biên nhận" in main and number in main
    assert "09/11/2024 08:00" in main
    no_sideways_scroll(page)
    shot(page, "e4-bien-nhan", name)
    (told,) = site.receipts(1)
    assert f"Số tiếp nhận: {number}" in told and "Thời điểm nhận: 09/11/2024 08:00" in told
    # the same form again: received before, told nobody twice
    page.goto(site.url + "/don-vi/nhap")
    page.click("button:has-text('Gửi tự đánh giá')")
    assert "đã nhận trước đó (phiên bản 1)" in page.inner_text("main")
    page.goto(site.url + "/don-vi")
    no_sideways_scroll(page)
    assert "Tệp đã nhận" in page.inner_text("main")
    shot(page, "e5-don-vi-tep-da-nhan", name)
    assert len(site.receipts(1)) == 1
    ctx.close()


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_same_file_twice_and_the_compiler_opens_the_report(
    browser: Any, site: Site, tmp_path: Path, name: str
) -> None:
    doc = h.submission(h.UNIT) | {"report_file": REPORT}
    main_file = h.write_json(tmp_path / f"{h.UNIT}.json", doc)
    report = tmp_path / REPORT
    report.write_bytes(b"PK\x03\x04 bao cao " * 100)
    ctx = browser.new_context(viewport=VIEWPORTS[name], accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    open_link(page, site.link(h.UNIT))
    page.set_input_files("input[name=tep]", str(main_file))
    page.set_input_files("input[name=kem_theo]", str(report))
    page.click("form[action='/don-vi/nop'] button")
    main = page.inner_text("main")
    assert "phiên bản 1" in main and REPORT in main and "1,3 KB" in main
    page.goto(site.url + "/don-vi")
    page.set_input_files("input[name=tep]", str(main_file))  # again, without its report
    page.click("form[action='/don-vi/nop'] button")
    assert "đã nhận trước đó (phiên bản 1)" in page.inner_text("main")

    open_link(page, site.link(h.DISTRICT))
    page.goto(site.url + f"/tong-hop/don-vi/{h.UNIT}")
    assert "Tệp đơn vị đã gửi" in page.inner_text("main")
    no_sideways_scroll(page)
    shot(page, "e6-huyen-tep-don-vi", name)
    with page.expect_download() as info:
        page.click(f"#tep a:has-text('{REPORT}')")
    assert info.value.suggested_filename == REPORT
    assert Path(info.value.path()).read_bytes() == report.read_bytes()
    ctx.close()
    assert len(site.receipts(1)) == 1


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_an_early_publication_needs_a_reason(browser: Any, site: Site, name: str) -> None:
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import Cycle
    from danvan.tasks.signoff import record_sign_off

    site.clock[0] = h.at("2024-11-21T09:00")  # province_scoring is 29/11/2024
    record_sign_off(h.YEAR, h.PROVINCE, site.clock[0], "approved", note="Đồng ý")
    ctx = browser.new_context(viewport=VIEWPORTS[name])
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    open_link(page, site.link(h.PROVINCE))
    page.click("text=Công bố kết quả cho các đơn vị…")
    assert page.url == site.url + "/tong-hop/cong-bo"
    main = page.inner_text("main")
    assert "đơn vị chưa gửi tự đánh giá" in main and "29/11/2024" in main
    no_sideways_scroll(page)
    shot(page, "e7-xac-nhan-cong-bo", name)
    page.click("button:has-text('Công bố kết quả cho các đơn vị')")
    field = page.locator("textarea[name=ly_do]")
    assert field.get_attribute("aria-invalid") == "true"
    assert "[publish_reason_required]" in page.inner_text("main")
    shot(page, "e8-cong-bo-thieu-ly-do", name)
    with reading(get_engine()) as session:
        assert session.exec(select(Cycle)).one().published_at is None
    field.fill("UBND tỉnh chỉ đạo công bố trước hội nghị")
    page.click("button:has-text('Công bố kết quả cho các đơn vị')")
    assert "Đã công bố kết quả" in page.inner_text("main")
    ctx.close()
