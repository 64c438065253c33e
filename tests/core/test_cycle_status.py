"""Issue 2 acceptance: driving the CLI on a province we did not design the code around.

A mixed 2/3-tier tree (communes under districts and straight under the province), an inactive
merged commune, names in NFD with the legacy ƣ glyph, a resubmission after the deadline, a
submission at 23:30 on the deadline and one at 00:10 the day after. ``status --format json``
must give exactly what SPEC §4.1 says — on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from tests.helpers.cycle import write
from tests.helpers.hgi import NFD, ORG, setup_province, submission


def test_status_follows_the_time_rules(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    full = {"A1": 40, "A2": 30, "B1": 25}
    steps = [
        # (file, at, expected exit)
        (submission(tmp_path, "HGI.STC", full, bonus=2), "2024-11-10T10:00"),
        (submission(tmp_path, "HGI.VT.P1", {"A1": 35, "A2": 0, "B1": 30}), "2024-11-15T23:30"),
        (submission(tmp_path, "HGI.X01", {"A1": 30, "A2": 20, "B1": 20}), "2024-11-16T00:10"),
        (submission(tmp_path, "HGI.VT", {"A1": 38, "A2": 28, "B1": 24}), "2024-11-12T08:00"),
        # resubmission after the deadline: still on time (the first counts), scores from v2
        (
            submission(tmp_path, "HGI.VT", {"A1": 40, "A2": 29, "B1": 26.25}, tag="-v2"),
            "2024-11-18T14:00",
        ),
        (
            submission(tmp_path, "HGI.X02", {"A1": 20, "A2": 20, "B1": 10.5}, penalty=1),
            "2024-11-18T07:00",
        ),
    ]
    for path, at in steps:
        r = cli("submit", path, "--at", at)
        assert r.exit_code == 0, r.stderr

    doc = cli("status", "--cycle", "2024", "--at", "2024-11-20T08:00", "--format", "json").json()
    assert doc["as_of"] == "2024-11-20T08:00:00+07:00"
    assert doc["summary"] == {
        "expected": 6,
        "submitted": 5,
        "on_time": 3,
        "late": 2,
        "missing": 1,
        "returned": 0,
    }
    got = {u["code"]: u for u in doc["units"]}
    # the inactive merged commune and the non-assessed agency are not expected
    assert set(got) == {"HGI.STC", "HGI.VT", "HGI.VT.PNV", "HGI.VT.P1", "HGI.X01", "HGI.X02"}
    expect = {
        "HGI.STC": ("on_time", 1, 0, 97.0, "Tốt", "HGI"),
        "HGI.VT": ("on_time", 2, 0, 95.25, "Tốt", "HGI"),
        "HGI.VT.PNV": ("missing", None, None, None, None, "HGI.VT"),
        "HGI.VT.P1": ("on_time", 1, 0, 65.0, "Trung bình", "HGI.VT"),
        "HGI.X01": ("late", 1, 1, 70.0, "Khá", "HGI"),
        "HGI.X02": ("late", 1, 3, 49.5, "Yếu", "HGI"),
    }
    for code, (status, version, days_late, total, band, compiler) in expect.items():
        u = got[code]
        assert (u["status"], u["version"], u["days_late"]) == (status, version, days_late), code
        assert (u["self_total"], u["band"], u["compiler"]) == (total, band, compiler), code
    # names are stored normalised: NFC, ƣ → ư
    assert got["HGI.VT.P1"]["name"] == "Ủy ban nhân dân phường I"
    assert unicodedata.is_normalized("NFC", got["HGI.X01"]["name"])
    assert got["HGI.VT"]["submitted_at"] == "2024-11-18T14:00:00+07:00"
    assert doc["compilers"]["HGI.VT"] == {
        "expected": 2,
        "submitted": 1,
        "on_time": 1,
        "late": 0,
        "missing": 1,
        "returned": 0,
    }

    # as of an earlier instant, later submissions do not count yet
    early = cli("status", "--cycle", "2024", "--at", "2024-11-15T23:59", "--format", "json").json()
    assert early["summary"] == {
        "expected": 6,
        "submitted": 3,
        "on_time": 3,
        "late": 0,
        "missing": 3,
        "returned": 0,
    }
    assert {u["code"]: u["version"] for u in early["units"]}["HGI.VT"] == 1

    # --under narrows to a subtree
    under = cli(
        "status",
        "--cycle",
        "2024",
        "--under",
        "HGI.VT",
        "--at",
        "2024-11-20T08:00",
        "--format",
        "json",
    ).json()
    assert [u["code"] for u in under["units"]] == ["HGI.VT", "HGI.VT.P1", "HGI.VT.PNV"]

    # csv has a header and one line per expected unit
    csv = cli("status", "--cycle", "2024", "--at", "2024-11-20T08:00", "--format", "csv").stdout
    assert csv.startswith("\ufeff")  # the BOM: Excel reads the file as UTF-8
    header, *rows = csv.splitlines()
    # Vietnamese headers and values for Excel; the JSON keeps its English keys (documented)
    assert header.startswith("\ufeffMã đơn vị,Tên đơn vị,Loại đơn vị,Nơi tổng hợp,Tình trạng")
    assert len(rows) == 6
    words = {c for row in rows for c in row.split(",")}
    assert not words & {"on_time", "late", "missing", "commune", "department", "district"}
    assert words & {"đúng hạn", "trễ hạn", "chưa nộp"}


def test_same_file_twice_records_one_version(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    path = submission(tmp_path, "HGI.STC", {"A1": 40, "A2": 30, "B1": 25})
    first = cli("submit", path, "--at", "2024-11-10T10:00", "--format", "json").json()
    again = cli("submit", path, "--at", "2024-11-10T10:00", "--format", "json").json()
    assert first["files"][0]["version"] == again["files"][0]["version"] == 1
    assert again["files"][0]["duplicate"] is True


def test_reimport_updates_and_never_deletes(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    smaller = {"units": [dict(ORG["units"][1], name="Sở Tài chính tỉnh Hậu Giang")]}
    r = cli("org", "import", write(tmp_path / "org2.yaml", smaller), "--format", "json")
    assert r.exit_code == 0
    assert r.json()["updated"] == 1 and r.json()["created"] == 0
    doc = cli("status", "--cycle", "2024", "--at", "2024-11-20T08:00", "--format", "json").json()
    assert doc["summary"]["expected"] == 6
    assert {u["code"]: u["name"] for u in doc["units"]}["HGI.STC"] == "Sở Tài chính tỉnh Hậu Giang"


def test_org_import_from_xlsx_with_vietnamese_headers(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    setup_province(tmp_path, cli)
    wb = Workbook()
    ws = wb.active
    ws.append(["STT", "Mã", "Tên", "Loại", "Cấp trên", "Liên hệ"])
    ws.append(
        [
            1,
            "HGI.LM",
            NFD("Ủy ban nhân dân huyện Long Mỹ"),
            "district",
            "HGI",
            "mailto://a@lm.vn; json://127.0.0.1:9/lm",
        ]
    )
    ws.append([2, "HGI.LM.X01", "Ủy ban nhân dân xã Lương Tâm", "commune", "HGI.LM", None])
    wb.save(tmp_path / "them.xlsx")
    r = cli("org", "import", tmp_path / "them.xlsx", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["created_codes"] == ["HGI.LM", "HGI.LM.X01"]
    doc = cli("status", "--cycle", "2024", "--under", "HGI.LM", "--format", "json").json()
    assert [(u["code"], u["compiler"]) for u in doc["units"]] == [
        ("HGI.LM", "HGI"),
        ("HGI.LM.X01", "HGI.LM"),
    ]
    assert doc["units"][0]["name"] == "Ủy ban nhân dân huyện Long Mỹ"
