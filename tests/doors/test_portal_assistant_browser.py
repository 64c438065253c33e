"""The compiler's assistant in the system's Chromium, on a 390-px phone and a desktop: the
district's list of units with figures to check, and a unit's page with its flags, the "đã kiểm
tra" form and its report's passages under the seeds' headings. No page scrolls sideways on the
phone. With DANVAN_SCREENSHOTS set, the pages are drawn into that folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.doors.test_portal_assistant import PROPOSAL, flag_and_narrate
from tests.helpers import portal as h
from tests.helpers.browser import DESKTOP, PHONE, browser_or_skip, open_link, small_png
from tests.helpers.site import Site, running_site

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from browser_or_skip()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with running_site(tmp_path, monkeypatch, [h.DISTRICT], now="2024-11-12T09:00") as site:
        flag_and_narrate(tmp_path / "province", tmp_path)
        yield site


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_assistant_on_a_phone_and_a_desktop(browser: Any, site: Site, name: str) -> None:
    ctx = browser.new_context(viewport=VIEWPORTS[name])
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    open_link(page, site.link(h.DISTRICT))
    page.goto(site.url + "/tong-hop")
    listing = page.locator("#so-lieu-can-kiem-tra")
    assert "Số liệu cần kiểm tra (1 đơn vị)" in listing.inner_text()
    fits(page)
    listing.scroll_into_view_if_needed()
    shot(page, "a1-so-lieu-can-kiem-tra", name, listing)
    listing.locator(f"a[href='/tong-hop/don-vi/{h.UNIT}#so-lieu']").click()
    flags = page.locator("#so-lieu")
    assert "Thủ tục hành chính: Hồ sơ trực tuyến" in flags.inner_text()
    assert "admin_procedures" not in flags.inner_text()  # no key, no formula on the page
    words = page.locator("#bao-cao-don-vi").inner_text()
    assert PROPOSAL in words and "Kiến nghị, đề xuất" in words
    fits(page)
    shot(page, "a2-don-vi-so-lieu", name, flags)
    shot(page, "a3-don-vi-bao-cao", name, page.locator("#bao-cao-don-vi"))
    ctx.close()


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def shot(page: Any, label: str, name: str, part: Any = None) -> None:
    folder = os.environ.get("DANVAN_SCREENSHOTS")
    if folder:
        target = Path(folder) / f"{label}-{name}.png"
        if part is not None:
            part.screenshot(path=str(target))
        else:
            page.screenshot(path=str(target), full_page=True)
        small_png(target)
