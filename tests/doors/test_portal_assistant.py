"""The compiler's assistant on the portal (SPEC §3.8, §3.9), on both databases: the district sees
which units have figures to check, a unit's flags and its report's passages beside its scores,
and marks a flag checked with a note (``danvan flag check``'s step, the viewer as ``--by``)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import yaml

from danvan.demo.load import sign_in
from tests.helpers import portal as h
from tests.helpers.narrative import seed_like_report, write_report

AT = h.at("2024-11-12T09:00")
PROPOSAL = "Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền."


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> Path:
    h.set_up_province(tmp_path / "p")
    flag_and_narrate(tmp_path / "p", tmp_path)
    return tmp_path


def flag_and_narrate(province: Path, tmp_path: Path) -> None:
    """On the province set up in ``province``: a plan check X07's figures fail, X07's report
    with a passage under each heading, X08 with neither."""
    from danvan.flows.intake import submit

    plan = yaml.safe_load((province / "plan.yaml").read_text("utf-8"))
    check = {"left": "admin_procedures.online", "op": ">=",
             "right": "0.5 * admin_procedures.received"}  # fmt: skip
    _reissue_with(province, plan, [check])
    doc = h.submission(h.UNIT)
    doc["figures"]["admin_procedures"] = {
        "received": 300, "online": 100, "resolved": 300, "on_time": 300, "overdue": 0,
    }  # fmt: skip
    doc["report_file"] = "bao-cao.docx"
    lines = seed_like_report(
        "UBND xã Bình Thạnh", strengths="Quan hệ với Nhân dân được củng cố.",
        limitations="Tuyên truyền chưa sâu sát.", causes="Cán bộ còn kiêm nhiệm.",
        directions=["Tăng cường kỷ luật, kỷ cương hành chính."], proposals=[PROPOSAL],
    )  # fmt: skip
    write_report(tmp_path / "bao-cao.docx", lines)
    files = [h.write_json(tmp_path / "x07.json", doc)]
    files.append(h.write_json(tmp_path / "x08.json", h.submission(h.OTHER)))
    submit.fn([str(p) for p in files], h.at("2024-11-08T09:00"))


def _reissue_with(folder: Path, plan: dict, checks: list[dict]) -> None:
    """The sample's 2024 plan carries no check: this test's province issues 2024 with one (the
    plan set up above is replaced before anyone submits, in the test's own database)."""
    from sqlmodel import select

    from danvan.models.db import get_engine, transaction
    from danvan.models.tables import Cycle

    with transaction(get_engine()) as session:
        cycle = session.exec(select(Cycle).where(Cycle.year == h.YEAR)).one()
        cycle.checks = checks
        session.add(cycle)
    plan["checks"] = checks  # the file as the province would have written it
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def test_flags_and_passages_beside_the_scores(cycle: Path) -> None:
    from danvan.portal.server import running

    links = h.mint_links([h.DISTRICT])
    with running(now=lambda: AT) as url, httpx.Client(base_url=url) as client:
        sign_in(client, links[h.DISTRICT])
        listing = client.get("/tong-hop").text
        assert "Số liệu cần kiểm tra (1 đơn vị)" in listing
        assert f'href="/tong-hop/don-vi/{h.UNIT}#so-lieu"' in listing

        detail = client.get(f"/tong-hop/don-vi/{h.UNIT}").text
        # the figure and what was found in words; the code only as the form's value
        assert "! Thủ tục hành chính: Hồ sơ trực tuyến" in detail and "[rule]" not in detail
        assert "(không thỏa điều kiện kiểm tra của tỉnh)" in detail
        assert '<option value="admin_procedures.online">' in detail
        assert PROPOSAL in detail and "Kiến nghị, đề xuất" in detail
        assert "Quan hệ với Nhân dân được củng cố." in detail
        path = f"/tong-hop/don-vi/{h.UNIT}/kiem-tra"
        form = {"csrf": _csrf(detail), "muc": "admin_procedures.online",
                "ghi_chu": "Đã gọi xã: số liệu đúng."}  # fmt: skip
        assert client.post(path, data={**form, "csrf": "0" * 64}).status_code == 403
        assert client.post(f"/tong-hop/don-vi/{h.FAR}/kiem-tra", data=form).status_code == 404
        empty = client.post(path, data={**form, "ghi_chu": "  "})
        assert empty.status_code == 422 and "[missing_note]" in empty.text
        wrong = client.post(path, data={**form, "muc": "petitions.received"})
        assert wrong.status_code == 422 and "[no_flag]" in wrong.text
        done = client.post(path, data=form)
        assert done.status_code == 303 and done.headers["location"].endswith("#so-lieu")
        after = client.get(f"/tong-hop/don-vi/{h.UNIT}").text
        assert "Đã kiểm tra (QNG.BSN" in after and "Đã gọi xã: số liệu đúng." in after
        assert "Đánh dấu đã kiểm tra" not in after  # nothing left to mark
        assert "Số liệu cần kiểm tra (" not in client.get("/tong-hop").text

        other = client.get(f"/tong-hop/don-vi/{h.OTHER}").text
        assert "Đơn vị chưa gửi báo cáo thuyết minh." in other
        assert "Không có số liệu bất thường." in other
