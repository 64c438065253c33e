"""Every number from a URL or a form is range-checked before it reaches the database (SPEC §4.7):
each route of the portal (read from the app itself) gets, in every path parameter, in the
compiler page's query and in the appraisal form's scores, 0, negative, 2^31, 2^40, 2^63,
20 digits, 5,000 digits, other scripts' digits, a decimal, text and NUL, on SQLite and on
PostgreSQL. Each answer is a page (404 / 403 / 422, or the page itself), never a 500, and the
portal's log holds no traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import portal as h

ODD = [
    "0",
    "-1",
    "1.5",
    "1e3",
    "abc",
    "2147483648",  # 2^31: past a database integer
    "1099511627776",  # 2^40
    "9223372036854775808",  # 2^63: past a bigint
    "9" * 20,
    "9" * 5000,  # past Python's own limit for turning text into a number
    "٣",  # an Arabic-Indic three
    "%00",  # NUL, which PostgreSQL refuses in any text
]


class Errors(logging.Handler):
    """Every record at ERROR and above, or carrying an exception, of the portal's loggers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "danvan", "fastapi")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html[:300]
    return found.group(1)


def test_odd_numbers_in_urls_and_forms_never_answer_500(
    db_url: str, tmp_path: Path, errors: Errors
) -> None:
    from danvan.flows.intake import submit
    from danvan.portal.app import route_table
    from danvan.portal.server import running

    h.set_up_province(tmp_path / "p")
    path = h.write_json(tmp_path / "x07.json", h.submission(h.UNIT))
    submit.fn([str(path)], h.at("2024-11-08T09:00"))
    links = h.mint_links([h.UNIT, h.DISTRICT])
    answers: list[tuple[str, str, int]] = []
    with running(now=lambda: h.at("2024-11-21T09:00"), rate_burst=100_000) as url:
        unit, district = h.open_session(url, links[h.UNIT]), h.open_session(url, links[h.DISTRICT])
        assert unit.get("/don-vi/phien-ban/1").status_code == 200  # the real one is there
        csrf = _csrf(district.get(f"/tong-hop/don-vi/{h.UNIT}").text)
        for method, template in route_table():
            params = re.findall(r"{(\w+)}", template)
            for odd in ODD:
                # a path parameter at a time takes the odd value; the others a real one
                for p in params or [None]:
                    real = {"code": h.UNIT, "version": "1", "name": "summary.json", "token": "x"}
                    real |= {"file_id": "1"}
                    target = template
                    for q in params:
                        target = target.replace("{" + q + "}", odd if q == p else real[q])
                    client = unit if target.startswith("/don-vi") else district
                    r = (
                        client.get(target)
                        if method == "GET"
                        else client.post(target, data={"csrf": csrf})
                    )
                    answers.append((method, target[:60], r.status_code))
            for name in ("trang", "trang_thai", "sap_xep"):
                r = district.get("/tong-hop", params={name: odd.replace("%00", "\x00")})
                answers.append(("GET", f"/tong-hop?{name}={odd[:20]}", r.status_code))
            for field in ("diem_1", "bonus", "penalty"):
                form = {
                    "csrf": csrf,
                    field: odd.replace("%00", "\x00"),
                    f"ly_do_{field[5:] or field}": "Thử",
                }
                r = district.post(f"/tong-hop/don-vi/{h.UNIT}/tham-dinh", data=form)
                answers.append(("POST", f"tham-dinh {field}={odd[:20]}", r.status_code))
        for odd in ODD:  # a unit's own versions: none of these is one
            assert unit.get(f"/don-vi/phien-ban/{odd}").status_code == 404, odd
    failed = [a for a in answers if a[2] >= 500]
    assert not failed, failed
    assert len(answers) > 100
    assert not errors.records, [r.getMessage() for r in errors.records][:5]
