"""Merged units acceptance (SPEC §3.1, §4.4): a province runs 2023 under the three-tier tree and
2025 after the reform, through the CLI, on SQLite and PostgreSQL.

Tỉnh Thử (TSN), fictional. In 2023: a department, district H1 with communes X1–X4, district H2
with communes X1–X2. From 1 July 2025 (``org import --effective 2025-07-01``): H1's communes X1,
X2 and X3 merge into the new commune H1.X10; district H2 is abolished and its two communes now
sit straight under the province (codes kept, parent changed); the department is renamed.

Each cycle uses the tree valid at its self-assessment deadline, so 2023 keeps its districts and
communes even after the 2025 import, and once 2023 is published no import can change its status,
results or reports. 2025's previous-year figures are like for like: the new commune compares with
its three predecessors' 2023 figures. Units that miss 2025 reported no figures in 2023, so the
expectations hold whether previous_year sums the subtree or this cycle's submitters only.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.helpers.cycle import docx_text, figs, run_ok, write
from tests.helpers.province import CRITERIA  # two criteria of 50; Tốt ≥ 90, Khá ≥ 70, Yếu
from tests.helpers.sinks import running_http_sink

pytestmark = pytest.mark.slow


def unit(code: str, name: str, kind: str, parent: str | None = None, **kw: object) -> dict:
    u: dict = {"code": code, "name": name, "kind": kind} | ({"parent": parent} if parent else {})
    return u | kw


def org_2023(sink: str) -> dict:
    def c(code: str) -> dict:
        return {"contacts": [f"{sink}/{code}"]}

    return {
        "units": [
            unit("TSN", "Ủy ban nhân dân tỉnh Thử", "province", **c("TSN")),
            unit("TSN.SNV", "Sở Nội vụ", "department", "TSN", **c("TSN.SNV")),
            unit("TSN.H1", "Ủy ban nhân dân huyện Một", "district", "TSN", **c("TSN.H1")),
            *(
                unit(f"TSN.H1.X{i}", f"Ủy ban nhân dân xã Một-{i}", "commune", "TSN.H1",
                     **c(f"TSN.H1.X{i}"))
                for i in (1, 2, 3, 4)
            ),
            unit("TSN.H2", "Ủy ban nhân dân huyện Hai", "district", "TSN", **c("TSN.H2")),
            *(
                unit(f"TSN.H2.X{i}", f"Ủy ban nhân dân xã Hai-{i}", "commune", "TSN.H2",
                     **c(f"TSN.H2.X{i}"))
                for i in (1, 2)
            ),
        ]
    }  # fmt: skip


def org_2025(sink: str) -> dict:
    """The reform: X1–X3 merged into X10, H2 abolished, its communes under the province."""
    units = {u["code"]: u for u in org_2023(sink)["units"]}
    units["TSN.SNV"]["name"] = "Sở Nội vụ tỉnh Thử"
    for i in (1, 2, 3):
        units[f"TSN.H1.X{i}"] |= {"active": False, "merged_into": "TSN.H1.X10"}
    units["TSN.H2"]["active"] = False
    for i in (1, 2):
        units[f"TSN.H2.X{i}"]["parent"] = "TSN"
    merged = unit(
        "TSN.H1.X10",
        "Ủy ban nhân dân xã Hợp Nhất",
        "commune",
        "TSN.H1",
        predecessors=["TSN.H1.X1", "TSN.H1.X2", "TSN.H1.X3"],
        contacts=[f"{sink}/TSN.H1.X10"],
    )
    return {"units": [*units.values(), merged]}


def plan(year: int) -> dict:
    return {
        "province": "TSN",
        "year": year,
        "title": f"Kế hoạch thực hiện công tác dân vận chính quyền năm {year}",
        "issued_on": f"{year}-02-20",
        "criteria": "criteria.yaml",
        "deadlines": {
            "self_assessment": f"{year}-11-15",
            "district_compilation": f"{year}-11-22",
            "province_scoring": f"{year}-11-29",
        },
        "reminders": {
            "before_days": [3],
            "overdue_every_days": 2,
            "escalate_after_days": 4,
            "send_at": "08:00",
            "working_days_only": False,
        },
    }


def sub(tmp: Path, year: int, code: str, scores: tuple[int, int], ap: tuple | None) -> Path:
    """A self-assessment; ``ap``: admin procedures (received, online, resolved, on time, overdue)."""
    figures = {} if ap is None else {"admin_procedures": dict(zip(AP, ap, strict=True))}
    doc = {
        "unit": code,
        "year": year,
        "submitted_by": "Văn phòng",
        "scores": {"1": scores[0], "2": scores[1]},
        "figures": figures,
    }
    return write(tmp / f"{code}-{year}.yaml", doc)


AP = ("received", "online", "resolved", "on_time", "overdue")

# --- 2023, under the three-tier tree ---------------------------------------------------------
Y23 = {  # code: (scores, admin procedures); all on 10/11/2023 but H2.X2 (late, 17/11)
    "TSN.SNV": ((45, 45), (100, 50, 100, 100, 0)),  # 90 Tốt
    "TSN.H1": ((40, 40), (1000, 600, 1000, 990, 10)),  # 80 Khá
    "TSN.H1.X1": ((45, 46), (200, 100, 200, 200, 0)),  # 91 Tốt
    "TSN.H1.X2": ((40, 35), (300, 150, 300, 290, 10)),  # 75 Khá
    "TSN.H1.X3": ((30, 30), (150, 50, 150, 150, 0)),  # 60 Yếu
    "TSN.H1.X4": ((35, 40), None),  # 75 Khá, no figures
    "TSN.H2": ((42, 42), None),  # 84 Khá, no figures (abolished in 2025)
    "TSN.H2.X1": ((48, 47), (400, 300, 400, 396, 4)),  # 95 Tốt
}
Y23_LATE = {"TSN.H2.X2": ((20, 30), None)}  # 50 Yếu, 2 days late

STATUS_2023 = {  # code: (compiler, status, days_late, final_total, band)
    "TSN.SNV": ("TSN", "on_time", 0, 90.0, "Tốt"),
    "TSN.H1": ("TSN", "on_time", 0, 80.0, "Khá"),
    "TSN.H1.X1": ("TSN.H1", "on_time", 0, 91.0, "Tốt"),
    "TSN.H1.X2": ("TSN.H1", "on_time", 0, 75.0, "Khá"),
    "TSN.H1.X3": ("TSN.H1", "on_time", 0, 60.0, "Yếu"),
    "TSN.H1.X4": ("TSN.H1", "on_time", 0, 75.0, "Khá"),
    "TSN.H2": ("TSN", "on_time", 0, 84.0, "Khá"),
    "TSN.H2.X1": ("TSN.H2", "on_time", 0, 95.0, "Tốt"),
    "TSN.H2.X2": ("TSN.H2", "late", 2, 50.0, "Yếu"),
}
RANKING_2023 = {  # compiler: its direct units, best first (X2 and X4 tie at 75: same instant, code)
    "TSN": ["TSN.SNV", "TSN.H2", "TSN.H1"],
    "TSN.H1": ["TSN.H1.X1", "TSN.H1.X2", "TSN.H1.X4", "TSN.H1.X3"],
    "TSN.H2": ["TSN.H2.X1", "TSN.H2.X2"],
}

# --- 2025, after the reform --------------------------------------------------------------------
Y25 = {  # H1.X4 and H2.X2 never submit
    "2025-11-10T09:00": {
        "TSN.SNV": ((46, 46), (120, 80, 120, 120, 0)),  # 92 Tốt
        "TSN.H1": ((44, 44), (1100, 800, 1100, 1100, 0)),  # 88 Khá
    },
    "2025-11-14T09:00": {"TSN.H1.X10": ((47, 46), (700, 500, 690, 690, 0))},  # 93 Tốt
    "2025-11-17T09:00": {"TSN.H2.X1": ((40, 38), (450, 350, 450, 445, 5))},  # 78 Khá, 2 days late
}
STATUS_2025 = {  # the merged X1–X3 and the abolished H2 are no longer expected
    "TSN.SNV": ("TSN", "on_time", 0, 92.0, "Tốt"),
    "TSN.H1": ("TSN", "on_time", 0, 88.0, "Khá"),
    "TSN.H1.X10": ("TSN.H1", "on_time", 0, 93.0, "Tốt"),
    "TSN.H1.X4": ("TSN.H1", "missing", None, None, None),
    "TSN.H2.X1": ("TSN", "late", 2, 78.0, "Khá"),  # compiled by the province now
    "TSN.H2.X2": ("TSN", "missing", None, None, None),
}
# 2023's admin procedures of the units that stand for 2025's: X10 ← X1 + X2 + X3
X10_2023 = (200 + 300 + 150, 100 + 150 + 50, 200 + 300 + 150, 200 + 290 + 150, 0 + 10 + 0)
H1_SUMMARY_2025 = {
    "compiler": "TSN.H1",
    "cycle": 2025,
    "expected": 3,  # H1 itself, X10, X4
    "submitted": 2,
    "on_time": 2,
    "late": 0,
    "missing": ["TSN.H1.X4"],
    "figures": figs(admin_procedures=(1800, 1300, 1790, 1790, 0)),  # H1 + X10
    "ranking": [{"unit": "TSN.H1.X10", "total": 93.0, "band": "Tốt", "rank": 1}],
    "bands": {"Tốt": 1, "Khá": 0, "Yếu": 0},
    # H1 (1000, 600, 1000, 990, 10) + X10's predecessors
    "previous_year": figs(admin_procedures=(1650, 900, 1650, 1630, 20)),
}
TSN_SUMMARY_2025 = {
    "compiler": "TSN",
    "cycle": 2025,
    "expected": 6,
    "submitted": 4,
    "on_time": 3,
    "late": 1,
    "missing": ["TSN.H1.X4", "TSN.H2.X2"],
    # SNV + H1 + X10 + H2.X1
    "figures": figs(admin_procedures=(2370, 1730, 2360, 2355, 5)),
    "ranking": [
        {"unit": "TSN.SNV", "total": 92.0, "band": "Tốt", "rank": 1},
        {"unit": "TSN.H1", "total": 88.0, "band": "Khá", "rank": 2},
        {"unit": "TSN.H2.X1", "total": 78.0, "band": "Khá", "rank": 3},
    ],
    "bands": {"Tốt": 1, "Khá": 2, "Yếu": 0},
    # SNV (100, 50, 100, 100, 0) + H1 (1000, 600, 1000, 990, 10) + X1–X3 + H2.X1 (400, 300, 400,
    # 396, 4); the abolished H2 and the missing units reported no figures in 2023
    "previous_year": figs(admin_procedures=(2150, 1250, 2150, 2126, 24)),
}


def status(cli, year: int, at: str) -> dict:  # type: ignore[no-untyped-def]
    return run_ok(cli, "status", "--cycle", year, "--at", at, "--format", "json").json()  # type: ignore[attr-defined]


def by_unit(doc: dict) -> dict:
    return {
        u["code"]: (u["compiler"], u["status"], u["days_late"], u["final_total"], u["band"])
        for u in doc["units"]
    }


def summary(out: Path, code: str) -> dict:
    return json.loads((out / code / "summary.json").read_text(encoding="utf-8"))


def files(folder: Path) -> dict[str, bytes]:
    """Every output's bytes; workbooks and reports member by member (a zip entry carries the
    instant it was written, the members are what the office reads). openpyxl stamps a workbook's
    ``docProps/core.xml`` with the wall clock when it saves, so that one member is left out."""
    out = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                out |= {
                    f"{name}:{m}": z.read(m)
                    for m in z.namelist()
                    if not (path.suffix == ".xlsx" and m == "docProps/core.xml")
                }
        elif path.is_file():
            out[name] = path.read_bytes()
    return out


def run_2023(tmp: Path, cli, sink: str) -> None:  # type: ignore[no-untyped-def]
    write(tmp / "criteria.yaml", CRITERIA)
    write(tmp / "org-2023.yaml", org_2023(sink))
    write(tmp / "plan-2023.yaml", plan(2023))
    run_ok(cli, "org", "import", tmp / "org-2023.yaml", "--at", "2023-01-10T09:00")
    run_ok(cli, "plan", "issue", tmp / "plan-2023.yaml", "--at", "2023-02-20T09:00")
    on_time = [sub(tmp, 2023, code, s, ap) for code, (s, ap) in Y23.items()]
    run_ok(cli, "submit", *on_time, "--at", "2023-11-10T09:00")
    late = [sub(tmp, 2023, code, s, ap) for code, (s, ap) in Y23_LATE.items()]
    run_ok(cli, "submit", *late, "--at", "2023-11-17T09:00")


def test_2023_then_the_2025_merger(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    with running_http_sink() as http:
        sink = f"json://127.0.0.1:{http.port}"
        run_2023(tmp_path, cli, sink)

        # --- 2023 compiled and published under the three-tier tree ------------------------
        assert by_unit(status(cli, 2023, "2023-11-20T08:00")) == STATUS_2023
        before = tmp_path / "before"
        run_ok(cli, "compile", "--cycle", 2023, "--out", before, "--at", "2023-11-29T16:00")
        assert sorted(p.name for p in before.iterdir()) == ["TSN", "TSN.H1", "TSN.H2"]
        for code, ranked in RANKING_2023.items():
            assert [r["unit"] for r in summary(before, code)["ranking"]] == ranked
        run_ok(cli, "approve", "--cycle", 2023, "--by", "TSN", "--at", "2023-11-30T08:30")
        run_ok(cli, "publish", "--cycle", 2023, "--at", "2023-11-30T09:00")
        status_2023 = run_ok(
            cli, "status", "--cycle", 2023, "--at", "2023-12-01T08:00", "--format", "json"
        ).stdout

        # --- the 2025 plan is issued under the old tree, the reform lands on 1 July --------
        write(tmp_path / "plan-2025.yaml", plan(2025))
        run_ok(cli, "plan", "issue", tmp_path / "plan-2025.yaml", "--at", "2025-02-20T09:00")
        write(tmp_path / "org-2025.yaml", org_2025(sink))
        r = run_ok(cli, "org", "import", tmp_path / "org-2025.yaml", "--effective", "2025-07-01",
                   "--at", "2025-07-01T09:00", "--format", "json")  # fmt: skip
        assert r.json()["created_codes"] == ["TSN.H1.X10"]  # type: ignore[attr-defined]
        assert sorted(r.json()["updated_codes"]) == [  # type: ignore[attr-defined]
            "TSN.H1.X1", "TSN.H1.X2", "TSN.H1.X3", "TSN.H2", "TSN.H2.X1", "TSN.H2.X2", "TSN.SNV",
        ]  # fmt: skip

        # 2023 is untouched: the same status document, the same compiled bytes
        after = tmp_path / "after"
        run_ok(cli, "compile", "--cycle", 2023, "--out", after, "--at", "2023-11-29T16:00")
        assert (
            run_ok(
                cli, "status", "--cycle", 2023, "--at", "2023-12-01T08:00", "--format", "json"
            ).stdout
            == status_2023
        )
        assert summary(after, "TSN.H2") == summary(before, "TSN.H2")
        assert files(after) == files(before)

        # a merged commune can no longer report
        old = sub(tmp_path, 2025, "TSN.H1.X1", (40, 40), None)
        r = cli("submit", old, "--at", "2025-11-10T09:00")
        assert r.exit_code == 1 and "[unit_inactive]" in r.stdout + r.stderr

        # --- 2025 under the merged tree --------------------------------------------------------
        for at, units in Y25.items():
            run_ok(cli, "submit", *(sub(tmp_path, 2025, c, s, ap) for c, (s, ap) in units.items()),
                   "--at", at)  # fmt: skip
        assert by_unit(status(cli, 2025, "2025-11-20T08:00")) == STATUS_2025

        # 19/11, four days overdue: the two missing units are reminded; each one's compiler at
        # the cut-off gets the escalation and the digest: H1 for X4, the province for H2.X2
        # (the abolished H2 gets nothing)
        http.requests.clear()
        r = run_ok(cli, "remind", "--cycle", 2025, "--at", "2025-11-19T08:00", "--format", "json")
        sent = r.json()["sent"]  # type: ignore[attr-defined]
        assert {(s["unit"], s["kind"]) for s in sent if s["milestone"] == "self_assessment"} == {
            ("TSN.H1.X4", "overdue"),
            ("TSN.H2.X2", "overdue"),
            ("TSN.H1", "escalation"),
            ("TSN.H1", "digest"),
            ("TSN", "escalation"),
            ("TSN", "digest"),
        }
        assert all(s["ok"] for s in sent)
        got = http.wait_for(6)
        escalations = {r.path: r.body for r in got if r.path in ("/TSN", "/TSN.H1")}
        assert escalations.keys() == {"/TSN", "/TSN.H1"}

        # --- 2025 compiled: bands, ranking and like-for-like previous year --------------------
        out = tmp_path / "out-2025"
        run_ok(cli, "compile", "--cycle", 2025, "--out", out, "--at", "2025-11-29T16:00")
        assert sorted(p.name for p in out.iterdir()) == ["TSN", "TSN.H1"]  # no H2 any more
        for code, expected in (("TSN.H1", H1_SUMMARY_2025), ("TSN", TSN_SUMMARY_2025)):
            got_summary = summary(out, code)
            got_summary["ranking"] = [  # the fields this test is about (band rules add more)
                {k: r[k] for k in ("unit", "total", "band", "rank")} for r in got_summary["ranking"]
            ]
            assert {k: got_summary[k] for k in expected} == expected, code
        paras, _ = docx_text(out / "TSN" / "bao-cao-tong-hop-TSN-2025.docx")
        body = "\n".join(paras)
        # like for like, and against the province's previous cycle (2023: there was no 2024)
        assert (
            "tiếp nhận tăng 220 hồ sơ so với cùng kỳ năm 2023" in body
        )  # 2370 − 2150; no 2024 cycle
        paras, _ = docx_text(out / "TSN.H1" / "bao-cao-tong-hop-TSN.H1-2025.docx")
        assert "tiếp nhận tăng 150 hồ sơ so với cùng kỳ năm 2023" in "\n".join(paras)  # 1800 − 1650


def test_a_published_tree_never_changes(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """After publication, no import — dated or not — moves the published year's tree."""
    sink = "json://127.0.0.1:9/unused"  # nothing is sent in this test
    run_2023(tmp_path, cli, sink)
    run_ok(cli, "approve", "--cycle", 2023, "--by", "TSN", "--at", "2023-11-30T08:30")
    run_ok(cli, "publish", "--cycle", 2023, "--at", "2023-11-30T09:00")
    out = tmp_path / "before"
    run_ok(cli, "compile", "--cycle", 2023, "--out", out, "--at", "2023-12-01T09:00")
    before = status(cli, 2023, "2023-12-01T08:00")

    # a change dated inside the published year is refused and changes nothing
    write(tmp_path / "org-2025.yaml", org_2025(sink))
    bad = cli("org", "import", tmp_path / "org-2025.yaml", "--effective", "1/7/2025")
    assert bad.exit_code == 2 and "--effective" in bad.stdout + bad.stderr
    r = cli("org", "import", tmp_path / "org-2025.yaml", "--effective", "2023-07-01")
    assert r.exit_code == 1
    assert "[published_tree]" in r.stdout + r.stderr and "Kỳ 2023 đã công bố" in r.stdout + r.stderr

    # the same reorganisation without a date (renames, re-parenting, deactivation) takes effect
    # after the published cut-off: 2023 reads exactly as before, the tree of today has changed
    run_ok(cli, "org", "import", tmp_path / "org-2025.yaml", "--at", "2025-07-01T09:00")
    assert status(cli, 2023, "2023-12-01T08:00") == before
    again = tmp_path / "again"
    run_ok(cli, "compile", "--cycle", 2023, "--out", again, "--at", "2023-12-01T09:00")
    assert files(again) == files(out)
    write(tmp_path / "plan-2025.yaml", plan(2025))
    run_ok(cli, "plan", "issue", tmp_path / "plan-2025.yaml", "--at", "2025-02-20T09:00")
    assert by_unit(status(cli, 2025, "2025-11-20T08:00")).keys() == STATUS_2025.keys()


def test_a_cycle_needs_its_province_in_the_tree_at_its_cut_off(
    db_url: str, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "criteria.yaml", CRITERIA)
    write(tmp_path / "org.yaml", org_2023("json://127.0.0.1:9"))
    run_ok(cli, "org", "import", tmp_path / "org.yaml", "--effective", "2025-07-01")
    write(tmp_path / "plan-2023.yaml", plan(2023))
    r = cli("plan", "issue", tmp_path / "plan-2023.yaml", "--at", "2023-02-20T09:00")
    assert r.exit_code == 1 and "[unknown_province]" in r.stdout + r.stderr
    assert "2023-11-15" in r.stdout + r.stderr
