"""Personal links: made, printed once, stored only as hashes, revoked, ended by publication and
renewed; carried by the announcement and the reminders; and the portal's guards over HTTP
(upload cap, rate limit, trusted proxy, no token in logs)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from danvan.tasks.signoff import record_sign_off
from tests.helpers import portal as h
from tests.helpers.sinks import http_sink  # noqa: F401  (fixture)

BASE = "https://danvan.example.gov.vn"


@pytest.fixture
def province(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_PORTAL_URL", BASE)
    get_settings.cache_clear()
    h.set_up_province(tmp_path / "province")
    yield tmp_path
    get_settings.cache_clear()


def test_links_are_printed_once_and_stored_as_hashes(province: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, PortalLink

    r = cli("portal", "links", "--cycle", "2024", "--under", h.DISTRICT, "--format", "json")
    assert r.exit_code == 0, r.stderr
    links = {x["unit"]: x["link"] for x in r.json()["links"]}
    assert h.DISTRICT in links and h.UNIT in links and h.FAR not in links
    assert "QNG.BSN.X11" not in links  # inactive (merged) units get none
    tokens = {code: link.removeprefix(BASE + "/l/") for code, link in links.items()}
    assert all(len(t) >= 43 for t in tokens.values())
    with reading(get_engine()) as session:
        rows = session.exec(select(PortalLink)).all()
        audit = session.exec(select(AuditEntry)).all()
    assert {row.token_sha256 for row in rows} == {
        hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()
    }
    stored = " ".join(str(row.model_dump()) for row in [*rows, *audit])
    assert not any(t in stored for t in tokens.values())
    csv = cli("portal", "links", "--cycle", "2024", "--under", h.UNIT, "--format", "csv")
    assert csv.stdout.splitlines()[0] == "\ufeffunit,name,link"  # BOM: Excel reads UTF-8
    assert csv.stdout.count(BASE + "/l/") == 1


def test_links_need_the_portal_address(sqlite_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    h.set_up_province(tmp_path / "p")
    r = cli("portal", "links", "--cycle", "2024")
    assert r.exit_code == 1 and "[portal_url_missing]" in r.stderr


def _open(url: str, link: str) -> httpx.Client:
    """Signed in as a browser is: the link's page (no session yet), then its button."""
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get(link)
    assert page.status_code == 200 and "Mở trang của" in page.text, page.text
    assert "danvan_phien" not in client.cookies  # a GET alone signs nobody in
    r = client.post(link, data={"csrf": _csrf(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    assert "danvan_phien" in client.cookies and "danvan_mo" not in client.cookies
    return client


def test_revoked_and_published_links_end_and_renewal_brings_them_back(
    province: Path,
    cli,  # type: ignore[no-untyped-def]
) -> None:
    from danvan.flows.publish import publish
    from danvan.portal.server import running

    links = h.mint_links([h.UNIT, h.OTHER])
    clock = [h.at("2024-11-08T10:00")]
    with running(now=lambda: clock[0]) as url:
        client = _open(url, links[h.UNIT])
        assert client.get("/don-vi").status_code == 200
        assert cli("portal", "revoke", h.UNIT, "--at", "2024-11-08T09:00").exit_code == 0
        assert client.get("/don-vi").status_code == 401  # the open session ends at once
        assert httpx.get(url + links[h.UNIT]).status_code == 403
        other = _open(url, links[h.OTHER])
        record_sign_off(2024, h.PROVINCE, h.at("2024-11-30T08:30"), "approved")
        publish.fn(2024, h.at("2024-11-30T09:00"))
        clock[0] = h.at("2024-12-01T09:00")
        assert other.get("/don-vi").status_code == 401  # ended with the cycle
        r = cli(
            "portal",
            "links",
            "--cycle",
            "2024",
            "--renew",
            "--until",
            "2025-01-31T00:00",
            "--at",
            "2024-12-01T09:00",
        )
        assert r.exit_code == 0, r.stderr
        page = other.get("/don-vi")
        assert page.status_code == 200 and "Kết quả đã công bố" in page.text
        assert 'action="/don-vi/nop"' not in page.text  # nothing to send after publication
        assert httpx.get(url + links[h.UNIT]).status_code == 403  # revoked stays revoked
        clock[0] = h.at("2025-02-01T09:00")
        assert other.get("/don-vi").status_code == 401


def test_the_announcement_and_reminders_carry_a_link_that_opens_the_units_page(
    sqlite_url: str,
    tmp_path: Path,
    http_sink,  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from danvan.config.settings import get_settings
    from danvan.flows.remind import remind
    from danvan.models.db import get_engine, reading
    from danvan.models.links import LINK_PLACEHOLDER
    from danvan.models.tables import Delivery
    from danvan.portal.server import running

    monkeypatch.setenv("DANVAN_PORTAL_URL", BASE)
    get_settings.cache_clear()
    issued = h.set_up_province(tmp_path / "p", contacts={h.UNIT: http_sink.url()})
    assert [s["ok"] for s in issued["sent"]] == [True]
    dry = remind.fn(2024, h.at("2024-11-07T08:30"), True)
    assert all(LINK_PLACEHOLDER in m["body"] for m in dry["would_send"])
    remind.fn(2024, h.at("2024-11-07T08:30"))
    bodies = [r.body["message"] for r in http_sink.wait_for(2)]
    found = [re.search(re.escape(BASE) + r"(/l/[A-Za-z0-9_-]+)", b) for b in bodies]
    assert all(found) and found[0].group(1) != found[1].group(1)  # type: ignore[union-attr]
    with reading(get_engine()) as session:
        stored = [d.body for d in session.exec(select(Delivery)).all()]
    assert all(LINK_PLACEHOLDER in b and "/l/" not in b for b in stored)
    with running(now=lambda: h.at("2024-11-08T10:00")) as url:
        client = _open(url, found[1].group(1))  # type: ignore[union-attr]
        assert "Ủy ban nhân dân xã Bình Thạnh" in client.get("/don-vi").text


def test_uploads_past_the_cap_are_refused_early(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.config.settings import get_settings
    from danvan.portal.server import running

    monkeypatch.setenv("DANVAN_PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    h.set_up_province(tmp_path / "p")
    links = h.mint_links([h.UNIT])
    with running(now=lambda: h.at("2024-11-08T10:00")) as url:
        client = _open(url, links[h.UNIT])
        big = b"x" * (2 * 1024 * 1024)
        declared = client.post("/don-vi/nop", files={"tep": ("a.json", big)})
        assert declared.status_code == 413 and "[upload_too_large]" in declared.text

        def chunks() -> Iterator[bytes]:  # no Content-Length: the stream itself is counted
            yield b'--zz\r\nContent-Disposition: form-data; name="tep"; filename="a.json"\r\n\r\n'
            for _ in range(64):
                yield b"y" * 65536

        streamed = client.post(
            "/don-vi/nop",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=zz"},
        )
        assert streamed.status_code == 413


def test_a_link_is_rate_limited(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.config.settings import get_settings
    from danvan.portal.server import running

    # a bucket that barely refills: the count holds however slowly a loaded machine answers
    monkeypatch.setenv("DANVAN_PORTAL_RATE_PER_MINUTE", "1")
    get_settings.cache_clear()
    try:
        h.set_up_province(tmp_path / "p")
        links = h.mint_links([h.UNIT])
        with running(now=lambda: h.at("2024-11-08T10:00"), rate_burst=5) as url:
            client = _open(url, links[h.UNIT])
            codes = [client.get("/don-vi").status_code for _ in range(8)]
    finally:
        get_settings.cache_clear()  # the next test reads its own settings
    assert codes[:4] == [200] * 4 and codes[-1] == 429


@pytest.mark.parametrize(("proxies", "secure"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_cookies_are_secure_behind_a_trusted_tls_proxy_only(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    proxies: str,
    secure: bool,
) -> None:
    from danvan.config.settings import get_settings
    from danvan.portal.server import running

    monkeypatch.setenv("DANVAN_PORTAL_TRUSTED_PROXIES", proxies)
    get_settings.cache_clear()
    h.set_up_province(tmp_path / "p")
    links = h.mint_links([h.UNIT])
    with (
        running(now=lambda: h.at("2024-11-08T10:00")) as url,
        httpx.Client(base_url=url, headers={"x-forwarded-proto": "https"}) as client,
    ):
        page = client.get(links[h.UNIT])
        opening = page.headers["set-cookie"]  # the pre-session cookie of the link's page
        back = {"cookie": f"danvan_mo={page.cookies['danvan_mo']}"}  # Secure: the proxy's TLS
        r = client.post(links[h.UNIT], data={"csrf": _csrf(page.text)}, headers=back)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("danvan_phien="))
    assert ("; secure" in cookie.lower()) is secure
    assert ("; secure" in opening.lower()) is secure
    assert "samesite=strict" in opening.lower() and "path=/l/" in opening.lower()
    assert ("strict-transport-security" in r.headers) is secure


def test_a_get_alone_never_signs_a_browser_in(sqlite_url: str, tmp_path: Path) -> None:
    """Login CSRF: another site can send a browser to a link (its own link, whose page it read
    itself) and even post that page's form; the browser is not signed in. Only the button of
    the page this browser was shown opens a session."""
    from danvan.portal.server import running

    h.set_up_province(tmp_path / "p")
    link = h.mint_links([h.OTHER])[h.OTHER]
    with (
        running(now=lambda: h.at("2024-11-08T10:00")) as url,
        httpx.Client(base_url=url) as attacker,
        httpx.Client(base_url=url) as victim,
    ):
        theirs = _csrf(attacker.get(link).text)  # the attacker reads the page of its link
        assert victim.get(link).status_code == 200  # sent there by another site: a page only
        assert victim.get("/don-vi").status_code == 401
        forged = victim.post(link, data={"csrf": theirs})  # the attacker's form, posted
        assert forged.status_code == 403 and "[csrf]" in forged.text
        assert victim.get("/don-vi").status_code == 401
        with httpx.Client(base_url=url) as bare:  # no cookie at all (SameSite=Strict)
            assert bare.post(link, data={"csrf": theirs}).status_code == 403
            assert bare.post(link, data={}).status_code == 403
        assert attacker.post(link, data={"csrf": theirs}).status_code == 303  # its own button
        assert attacker.get("/don-vi").status_code == 200
        assert httpx.get(url + link.replace(link[-6:], "xxxxxx")).status_code == 403


def test_the_access_log_never_prints_a_token() -> None:
    from danvan.portal.security import HideLinkTokens

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/l/SECRETtokenSECRETtoken", "1.1", 303),
        None,
    )
    HideLinkTokens().filter(record)
    assert "SECRET" not in record.getMessage() and "/l/…" in record.getMessage()


def test_opening_a_link_logs_no_token(sqlite_url: str, tmp_path: Path) -> None:
    """The portal's own log, access lines included, while a link is opened (its page, a stale
    form, its button) and after it is revoked: the path is there, the token never."""
    from danvan.portal.server import running

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    h.set_up_province(tmp_path / "p")
    link = h.mint_links([h.UNIT])[h.UNIT]
    token = link.removeprefix("/l/")
    from danvan.tasks.links import revoke_unit

    caught = Lines()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "danvan")]
    with running(now=lambda: h.at("2024-11-08T10:00"), access_log=True) as url:
        for logger in loggers:  # after uvicorn configured its loggers
            logger.addHandler(caught)
        try:
            with httpx.Client(base_url=url) as client:
                assert client.post(link, data={"csrf": "0" * 32}).status_code == 403
                _open(url, link).close()
                revoke_unit(h.UNIT, h.at("2024-11-08T09:00"))
                assert client.get(link).status_code == 403
        finally:
            for logger in loggers:
                logger.removeHandler(caught)
    assert sum("/l/…" in line for line in caught.lines) >= 4, caught.lines
    assert not [line for line in caught.lines if token in line or token[:12] in line]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    return match.group(1)


def test_a_district_compiles_now_and_the_province_publishes(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.config.settings import get_settings
    from danvan.flows.intake import submit
    from danvan.models.db import get_engine, reading
    from danvan.models.tables import AuditEntry, Result
    from danvan.portal.server import running

    monkeypatch.setenv("DANVAN_OUT_DIR", str(tmp_path / "out"))
    get_settings.cache_clear()
    h.set_up_province(tmp_path / "p")
    submit.fn(
        [str(h.write_json(tmp_path / "x07.json", h.submission(h.UNIT)))], h.at("2024-11-08T09:00")
    )
    links = h.mint_links([h.DISTRICT, h.PROVINCE])
    clock = [h.at("2024-11-21T09:00")]
    with running(now=lambda: clock[0]) as url:
        district = _open(url, links[h.DISTRICT])
        page = district.get("/tong-hop").text
        assert "Chưa tổng hợp lần nào" in page
        r = district.post("/tong-hop/bien-soan", data={"csrf": _csrf(page)})
        assert r.status_code == 303
        assert "Đã tổng hợp xong" in h.follow_compile(district, r.headers["location"])
        page = district.get("/tong-hop").text
        report = f"bao-cao-tong-hop-{h.DISTRICT}-2024.docx"
        assert report in page
        assert district.get(f"/tong-hop/bao-cao/{report}").content.startswith(b"PK")
        assert district.get("/tong-hop/bao-cao/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert (
            district.post(
                "/tong-hop/cong-bo", data={"csrf": _csrf(page), "xac_nhan": "1"}
            ).status_code
            == 404
        )

        province = _open(url, links[h.PROVINCE])
        page = province.get("/tong-hop").text
        assert "Công bố kết quả" in page
        assert "chưa được phê duyệt" in page
        confirm = {"csrf": _csrf(page), "xac_nhan": "1"}
        unapproved = province.post("/tong-hop/cong-bo", data=confirm)
        assert unapproved.status_code == 403 and "[not_approved]" in unapproved.text
        clock[0] = h.at("2024-11-30T09:00")
        record_sign_off(2024, h.PROVINCE, clock[0], "approved", note="Đồng ý")
        page = province.get("/tong-hop").text
        assert "đã được phê duyệt" in page
        done = province.post("/tong-hop/cong-bo", data=confirm | {"csrf": _csrf(page)})
        assert done.status_code == 200 and "Đã công bố" in done.text
        assert province.get("/tong-hop").status_code == 401  # links end with publication
    with reading(get_engine()) as session:
        assert session.exec(select(Result)).all()
        actors = {(a.actor, a.action) for a in session.exec(select(AuditEntry)).all()}
    assert ("portal:QNG.BSN", "compile") in actors  # the compile step names the portal user
    assert any(a == "portal:QNG" and act != "portal_open" for a, act in actors)  # publication


def test_leaving_ends_the_session(sqlite_url: str, tmp_path: Path) -> None:
    from danvan.portal.server import running

    h.set_up_province(tmp_path / "p")
    links = h.mint_links([h.UNIT])
    with running(now=lambda: h.at("2024-11-08T10:00")) as url:
        client = _open(url, links[h.UNIT])
        page = client.get("/don-vi").text
        r = client.post("/dang-xuat", data={"csrf": _csrf(page)})
        assert r.status_code == 200 and "Đã thoát" in r.text and h.UNIT not in r.text
        assert client.get("/don-vi").status_code == 401
