"""Receipts and files in view (SPEC §4.5): a unit's upload through the portal is answered with
its receipt (number, instant, version, totals, files with sizes), the same receipt reaches the
unit's contact (a real HTTP sink); the unit sees which files arrived; its compiler downloads
each report and evidence file beside its scores, nobody else can; the same file again is *đã
nhận trước đó*; a compiler's folder never offers its internal files as reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from danvan.demo.load import sign_in
from tests.helpers import portal as h
from tests.helpers.sinks import HttpSink, running_http_sink

AT = h.at("2024-11-08T09:00")
REPORT = "bao-cao-x07.docx"
EVIDENCE = "bien-ban-hop.pdf"


@pytest.fixture
def sink() -> object:
    with running_http_sink() as s:
        yield s


@pytest.fixture
def cycle(db_url: str, tmp_path: Path, sink: HttpSink) -> Path:
    h.set_up_province(tmp_path / "p", contacts={h.UNIT: sink.url("x07")})
    return tmp_path


def _upload(client, files: list[Path]):  # type: ignore[no-untyped-def]
    page = client.get("/don-vi").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None
    main, *extra = files
    sent = [("tep", (main.name, main.read_bytes()))]
    sent += [("kem_theo", (f.name, f.read_bytes())) for f in extra]
    return client.post("/don-vi/nop", data={"csrf": csrf.group(1)}, files=sent)


def test_receipt_files_and_the_same_file_again(cycle: Path, sink: HttpSink) -> None:
    import httpx

    from danvan.portal.server import running

    doc = h.submission(h.UNIT)
    first_criterion = next(iter(doc["scores"]))
    doc |= {"report_file": REPORT, "evidence": {first_criterion: [EVIDENCE]}}
    main = h.write_json(cycle / f"{h.UNIT}.json", doc)
    report, evidence = cycle / REPORT, cycle / EVIDENCE
    report.write_bytes(b"PK-report-" * 1300)  # 13.000 bytes: "12,7 KB"
    evidence.write_bytes(b"%PDF-1.4 " * 50)
    links = h.mint_links([h.UNIT, h.DISTRICT, "QNG.STH"])
    with running(now=lambda: AT) as url:
        with httpx.Client(base_url=url, timeout=60) as unit:
            sign_in(unit, links[h.UNIT])
            answer = _upload(unit, [main, report, evidence])
            assert answer.status_code == 200, answer.text
            text = answer.text
            number = f"TN-{h.YEAR}-{h.UNIT}-01"
            assert "Biên nhận" in text and number in text and "08/11/2024 09:00" in text
            assert f"{REPORT}</a>" in text and "12,7 KB" in text and "450 byte" in text
            # the unit's contact got the same receipt, once
            body = _receipts(sink, 1)[0]
            assert f"Số tiếp nhận: {number}" in body and f"Báo cáo: {REPORT} (12,7 KB)" in body
            assert f"Minh chứng ({first_criterion}): {EVIDENCE} (450 byte)" in body
            # the unit sees which of its files arrived, and opens its own report
            own = unit.get("/don-vi").text
            assert "Tệp đã nhận" in own and number in own
            ids = re.findall(r'href="/don-vi/tep/(\d+)"', own)
            assert len(ids) == 2
            assert unit.get(f"/don-vi/tep/{ids[0]}").content == report.read_bytes()
            assert unit.get("/don-vi/tep/999999").status_code == 404
            # the same file again, without its attachments: received before, version 1
            again = _upload(unit, [main])
            assert again.status_code == 200 and "đã nhận trước đó (phiên bản 1)" in again.text
            assert number in again.text
        with httpx.Client(base_url=url, timeout=60) as district:
            sign_in(district, links[h.DISTRICT])
            detail = district.get(f"/tong-hop/don-vi/{h.UNIT}").text
            assert "Tệp đơn vị đã gửi" in detail and REPORT in detail and EVIDENCE in detail
            got = district.get(f"/tong-hop/don-vi/{h.UNIT}/tep/{ids[0]}")
            assert got.status_code == 200 and got.content == report.read_bytes()
            assert "attachment" in got.headers["content-disposition"]
            assert district.get(f"/tong-hop/don-vi/{h.UNIT}/tep/{ids[1]}").content == (
                evidence.read_bytes()
            )
            # a file of this unit asked for under another unit's address: not found
            assert district.get(f"/tong-hop/don-vi/{h.OTHER}/tep/{ids[0]}").status_code == 404
            assert district.get(f"/tong-hop/don-vi/{h.UNIT}/tep/abc").status_code == 404
        with httpx.Client(base_url=url, timeout=60) as other:
            sign_in(other, links["QNG.STH"])  # another district: not its unit
            assert other.get(f"/tong-hop/don-vi/{h.UNIT}/tep/{ids[0]}").status_code == 404
    assert len(_receipts(sink, 1)) == 1  # the same file again told nobody twice


def _receipts(sink: HttpSink, count: int) -> list[str]:
    """The receipts the sink got (the plan's announcement went to the same contact before)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        found = [r.body["message"] for r in sink.requests if "[Đã nhận]" in r.body["title"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_internal_files_are_never_reports(tmp_path: Path) -> None:
    from danvan.tasks.pages import compiled_reports

    folder = tmp_path / h.DISTRICT
    folder.mkdir()
    for name in (".complete", "summary.json", "bao-cao-QNG.BSN-2024.docx", "tong-hop.xlsx"):
        (folder / name).write_bytes(b"x")
    assert compiled_reports(tmp_path, h.DISTRICT) == [
        "bao-cao-QNG.BSN-2024.docx",
        "tong-hop.xlsx",
    ]


def test_an_inactive_units_link_shows_its_page_without_a_standing(cycle: Path) -> None:
    """A unit merged away (``active: false``) still has a link if one was minted: its page
    answers (no standing), never a 500."""
    from danvan.portal.server import running

    merged = "QNG.BSN.X11"
    links = h.mint_links([merged])
    with running(now=lambda: AT) as url:
        client = h.open_session(url, links[merged])
        page = client.get("/don-vi")
        client.close()
    assert page.status_code == 200 and "Chưa gửi phiên bản nào" in page.text
