"""Nhập trên trang (SPEC §4.5), over HTTP on both databases: the unit's own criteria as a form,
a draft kept on the server across sessions, a send refused with each problem beside its field
(the criterion's name, the rules' code) and nothing recorded, then accepted as version 1 with
its receipt, and the same form again *đã nhận trước đó*."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import portal as h

AT = h.at("2024-11-08T09:00")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> Path:
    h.set_up_province(tmp_path / "p")
    return tmp_path


def test_entry_draft_send_and_again(cycle: Path) -> None:
    from sqlmodel import select

    from danvan.models.db import get_engine, reading
    from danvan.models.tables import Submission
    from danvan.portal.server import running

    criteria = h.criteria_codes(h.UNIT)
    (first, first_max), (second, _) = criteria[0], criteria[1]
    links = h.mint_links([h.UNIT])
    with running(now=lambda: AT) as url:
        client = h.open_session(url, links[h.UNIT])
        page = client.get("/don-vi/nhap").text
        assert f'name="scores.{first}"' in page and 'name="figures.petitions.received"' in page
        draft = {"csrf": _csrf(page), "hanh_dong": "luu", "submitted_by": "Chánh Văn phòng"}
        draft |= {f"scores.{first}": "1,5", "figures.petitions.received": "1.234"}
        saved = client.post("/don-vi/nhap", data=draft)
        assert saved.status_code == 303
        shown = client.get(saved.headers["location"]).text
        assert "Đã lưu nháp lúc 08/11/2024 09:00" in shown
        client.close()
        later = h.open_session(url, links[h.UNIT])  # another session: the draft is there
        page = later.get("/don-vi/nhap").text
        assert _value(page, f"scores.{first}") == "1,5"
        assert _value(page, "figures.petitions.received") == "1.234"
        assert "bản nháp lưu lúc 08/11/2024 09:00" in page
        # send: the second criterion missing, the first above its maximum
        sent = {"csrf": _csrf(page), "hanh_dong": "gui", "submitted_by": "Chánh Văn phòng"}
        sent |= {f"scores.{c}": str(m).replace(".", ",") for c, m in criteria[2:]}
        sent |= {f"scores.{first}": str(first_max + 5), "figures.petitions.received": "1.234"}
        refused = later.post("/don-vi/nhap", data=sent)
        assert refused.status_code == 422
        text = refused.text
        for field in (f"scores.{first}", f"scores.{second}"):
            assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', text)
            assert f'id="{field}-loi"' in text
        assert "[criterion_missing]" in text and "Thiếu điểm tiêu chí “" in text
        assert "adjustments[" not in text and f"{h.UNIT}:" not in text
        assert _value(text, f"scores.{first}") == str(first_max + 5)  # what was typed stays
        with reading(get_engine()) as session:
            assert session.exec(select(Submission)).all() == []
        sent |= {f"scores.{first}": "1,5", f"scores.{second}": "1"}
        accepted = later.post("/don-vi/nhap", data=sent)
        assert accepted.status_code == 200, accepted.text
        assert "Biên nhận" in accepted.text and f"TN-{h.YEAR}-{h.UNIT}-01" in accepted.text
        again = later.post("/don-vi/nhap", data=sent)
        assert "đã nhận trước đó (phiên bản 1)" in again.text
        page = later.get("/don-vi/nhap").text
        assert "phiên bản 1 đã gửi" in page and _value(page, f"scores.{first}") == "1,5"
        later.close()
    with reading(get_engine()) as session:
        (row,) = session.exec(select(Submission)).all()
    assert row.scores[first] == 1.5 and row.scores[second] == 1.0
    assert row.figures["petitions"]["received"] == 1234
    assert row.submitted_by == "Chánh Văn phòng" and row.file_name.endswith(".json")
