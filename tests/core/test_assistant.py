"""The compiler's assistant end to end (SPEC §3.8, §3.9), on both databases: units send their
reports as DOCX, PDF and text with different heading styles; the district's compilation drafts
its narrative from them, merging the proposal three units share; a province's own check flags a
unit in ``status`` and the report until the district marks it checked."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.helpers.cycle import docx_text, run_ok
from tests.helpers.narrative import seed_like_report, write_report
from tests.helpers.province import write_province

SHARED = [
    "Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
    "Kiến nghị UBND tỉnh bố trí kinh phí thực hiện công tác dân vận chính quyền hằng năm.",
    "De nghi UBND tinh quan tam bo tri kinh phi cho cong tac dan van chinh quyen.",
]
#: unit → (report file, heading style, its own proposal)
REPORTS = {
    "TST.H01.X01": ("bao-cao-x01.docx", "seed", "Đề nghị nâng cấp phần mềm một cửa điện tử."),
    "TST.H01.X02": ("bao-cao-x02.pdf", "plain", "Đề nghị bổ sung biên chế công chức cấp xã."),
    "TST.H01.PNV": ("bao-cao-pnv.txt", "lower", "Đề nghị tập huấn nghiệp vụ dân vận."),
}
STRENGTHS = [
    "Mô hình “Dân vận khéo” về xây dựng nông thôn mới được nhân rộng.",
    "Giải quyết dứt điểm các vụ việc tranh chấp đất đai kéo dài.",
    "Tỷ lệ hồ sơ thủ tục hành chính trực tuyến tăng mạnh so với năm trước.",
]
CHECK = {
    "left": "admin_procedures.online",
    "op": ">=",
    "right": "0.5 * admin_procedures.received",
    "message": "Tỷ lệ hồ sơ trực tuyến dưới 50%: đề nghị kiểm tra lại.",
}
AT = "2024-11-12T09:00"


def _submission(folder: Path, unit: str, online: int) -> Path:
    name, style, own = REPORTS[unit]
    i = list(REPORTS).index(unit)
    lines = seed_like_report(
        unit,
        strengths=STRENGTHS[i],
        limitations="Công tác tuyên truyền có lúc chưa sâu sát.",
        causes="Một số cán bộ còn nặng về công tác hành chính.",
        directions=[f"Phương hướng riêng số {i} của đơn vị."],
        proposals=[SHARED[i], own],
        style=style,
    )
    write_report(folder / name, lines)
    doc = {
        "unit": unit, "year": 2024, "submitted_by": "Văn phòng", "scores": {"1": 45, "2": 40},
        "figures": {"admin_procedures": {"received": 300, "online": online, "resolved": 300,
                                         "on_time": 300, "overdue": 0}},
        "report_file": name,
    }  # fmt: skip
    path = folder / f"{unit}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def _issue(folder: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_province(folder)
    plan = yaml.safe_load((folder / "plan.yaml").read_text("utf-8"))
    plan["checks"] = [CHECK]
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    run_ok(cli, "org", "import", folder / "org.yaml", "--at", "2024-02-17T09:00")
    run_ok(cli, "plan", "issue", folder / "plan.yaml", "--at", "2024-02-17T09:00")


def test_drafted_narrative_and_checked_flags(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _issue(tmp_path, cli)
    files = [
        _submission(tmp_path, "TST.H01.X01", online=100),  # below half: the check flags it
        _submission(tmp_path, "TST.H01.X02", online=200),
        _submission(tmp_path, "TST.H01.PNV", online=150),  # exactly half: it holds
    ]
    run_ok(cli, "submit", *files, "--at", "2024-11-05T09:00")

    status = json.loads(
        run_ok(cli, "status", "--cycle", "2024", "--at", AT, "--format", "json").stdout
    )
    flags = {u["code"]: u["flags"] for u in status["units"]}
    assert [(f["field"], f["kind"], f["value"], f["reference"]) for f in flags["TST.H01.X01"]] == [
        ("admin_procedures.online", "rule", 100, 150)
    ]
    assert flags["TST.H01.X01"][0]["note"] == CHECK["message"]
    assert flags["TST.H01.X02"] == [] and flags["TST.H01.PNV"] == []
    csv = run_ok(cli, "status", "--cycle", "2024", "--at", AT, "--format", "csv").stdout
    assert CHECK["message"] in csv and "admin_procedures.online" not in csv  # for people
    table = run_ok(cli, "status", "--cycle", "2024", "--at", AT).stdout
    assert "Số liệu cần kiểm tra (1" in table and "danvan flag check" in table

    out = tmp_path / "out"
    run_ok(cli, "compile", "--cycle", "2024", "--unit", "TST.H01", "--out", out, "--at", AT)
    summary = json.loads((out / "TST.H01" / "summary.json").read_text("utf-8"))
    proposals = summary["narrative"]["proposals"]
    assert proposals[0] == {
        "text": SHARED[0],
        "units": ["TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"],
    }
    assert sorted(p["text"] for p in proposals[1:]) == sorted(r[2] for r in REPORTS.values())
    assert [p["units"] for p in summary["narrative"]["limitations"]] == [
        ["TST.H01.PNV", "TST.H01.X01", "TST.H01.X02"]
    ]
    assert len(summary["narrative"]["strengths"]) == 3  # each unit's own, named
    assert summary["checked"] == 0 and [f["unit"] for f in summary["flags"]] == ["TST.H01.X01"]
    paras, document = docx_text(out / "TST.H01" / "bao-cao-tong-hop-TST.H01-2024.docx")
    body = "\n".join(paras)
    assert (
        "1. Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền"
        " (Phòng Nội vụ huyện Một, Ủy ban nhân dân xã Một, Ủy ban nhân dân xã Hai)." in body
    )
    assert "- Công tác tuyên truyền có lúc chưa sâu sát (Phòng Nội vụ huyện Một," in body
    assert "Dự thảo tổng hợp từ báo cáo của các đơn vị" in body
    assert "SỐ LIỆU CẦN KIỂM TRA" in body
    last = [[c.text for c in row.cells] for row in document.tables[-1].rows]
    assert last[1][1:4] == ["Ủy ban nhân dân xã Một", "Thủ tục hành chính: Hồ sơ trực tuyến",
                            "Không thỏa điều kiện kiểm tra của tỉnh"]  # fmt: skip

    # the district checks it: gone from the appendix, counted as checked
    bad = cli("flag", "check", "--cycle", "2024", "--unit", "TST.H01.X01", "--field",
              "admin_procedures.received", "--by", "TST.H01", "--note", "x", "--at", AT)  # fmt: skip
    assert (
        bad.exit_code == 1 and "[no_flag]" in bad.stderr and "admin_procedures.online" in bad.stderr
    )
    outside = cli("flag", "check", "--cycle", "2024", "--unit", "TST.H01.X01", "--field",
                  "admin_procedures.online", "--by", "TST.SNV", "--note", "x", "--at", AT)  # fmt: skip
    assert outside.exit_code == 1 and "[outside_scope]" in outside.stderr
    args = ["flag", "check", "--cycle", "2024", "--unit", "TST.H01.X01", "--field",
            "admin_procedures.online", "--by", "TST.H01", "--note", "Đã gọi xã: đúng số liệu",
            "--at", AT]  # fmt: skip
    assert "Đã đánh dấu đã kiểm tra" in run_ok(cli, *args).stdout
    assert "Đã kiểm tra trước đó" in run_ok(cli, *args).stdout  # again: nothing new
    status = json.loads(
        run_ok(cli, "status", "--cycle", "2024", "--at", AT, "--format", "json").stdout
    )
    (flag,) = next(u["flags"] for u in status["units"] if u["code"] == "TST.H01.X01")
    assert flag["checked"] is True and flag["checked_note"] == "Đã gọi xã: đúng số liệu"
    assert flag["checked_by"] == "TST.H01"
    run_ok(cli, "compile", "--cycle", "2024", "--unit", "TST.H01", "--out", out, "--at", AT)
    summary = json.loads((out / "TST.H01" / "summary.json").read_text("utf-8"))
    assert summary["checked"] == 1 and summary["flags"][0]["checked"] is True
    paras, _ = docx_text(out / "TST.H01" / "bao-cao-tong-hop-TST.H01-2024.docx")
    assert "SỐ LIỆU CẦN KIỂM TRA" not in "\n".join(paras)

    # a corrected figure is a new finding: shown again until checked
    fixed = _submission(tmp_path, "TST.H01.X01", online=120)
    run_ok(cli, "submit", fixed, "--at", "2024-11-12T10:00")
    later = "2024-11-12T11:00"
    status = json.loads(
        run_ok(cli, "status", "--cycle", "2024", "--at", later, "--format", "json").stdout
    )
    (flag,) = next(u["flags"] for u in status["units"] if u["code"] == "TST.H01.X01")
    assert (flag["value"], flag["checked"]) == (120, False)


def test_an_unreadable_report_keeps_the_placeholders(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _issue(tmp_path, cli)
    path = _submission(tmp_path, "TST.H01.X01", online=200)
    (tmp_path / "bao-cao-x01.docx").write_bytes(b"PK\x03\x04 not a document")
    r = run_ok(cli, "submit", path, "--at", "2024-11-05T09:00")
    assert "ĐÃ NHẬN" in r.stdout  # never a reason to refuse
    out = tmp_path / "out"
    run_ok(cli, "compile", "--cycle", "2024", "--unit", "TST.H01", "--out", out, "--at", AT)
    summary = json.loads((out / "TST.H01" / "summary.json").read_text("utf-8"))
    assert all(points == [] for points in summary["narrative"].values())
    paras, _ = docx_text(out / "TST.H01" / "bao-cao-tong-hop-TST.H01-2024.docx")
    body = "\n".join(paras)
    assert "Phần này do cán bộ tổng hợp bổ sung" in body and "Dự thảo tổng hợp" not in body
