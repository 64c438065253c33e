"""Appraise and publish acceptance through the CLI (SPEC §3.5, §4.1), SQLite and PostgreSQL.

Rejected appraisals name the file, the field and the rule and change nothing. ``publish``
freezes the results, tells every unit with contacts its result through Apprise (real HTTP sink),
survives a dead endpoint (recorded, shown in ``status``, delivered by the next ``remind`` once
the endpoint is back) and closes the cycle to ``submit`` and ``appraise``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cycle import write
from tests.helpers.hgi import CRITERIA, PLAN, submission
from tests.helpers.sinks import free_port, running_http_sink

pytestmark = pytest.mark.slow


def org(http: str, down: str) -> dict:
    def u(code: str, name: str, kind: str, parent: str | None, contacts: list[str]) -> dict:
        d: dict = {"code": code, "name": name, "kind": kind, "contacts": contacts}
        return d | ({"parent": parent} if parent else {})

    return {
        "units": [
            u("HGI", "Ủy ban nhân dân tỉnh Hậu Giang", "province", None, [f"{http}/hgi"]),
            u("HGI.STC", "Sở Tài chính", "department", "HGI", [f"{http}/stc"]),
            u("HGI.VT", "Ủy ban nhân dân thành phố Vị Thanh", "district", "HGI", [f"{http}/vt"]),
            u("HGI.VT.P1", "Ủy ban nhân dân phường I", "commune", "HGI.VT", [f"{http}/p1"]),
            u("HGI.X01", "Ủy ban nhân dân xã Hỏa Lựu", "commune", "HGI", [down]),
            u("HGI.X02", "Ủy ban nhân dân xã Tân Tiến", "commune", "HGI", []),
        ]
    }


SCORES = {
    "HGI.STC": {"A1": 40, "A2": 30, "B1": 25},  # 95
    "HGI.VT": {"A1": 38, "A2": 28, "B1": 24},  # 90
    "HGI.VT.P1": {"A1": 35, "A2": 0, "B1": 30},  # 65
    "HGI.X01": {"A1": 30, "A2": 20, "B1": 20},  # 70
    "HGI.X02": {"A1": 20, "A2": 20, "B1": 10.5},  # 50.5
}

# (name, by, adjustment line, field blamed, code)
BAD_APPRAISALS = [
    (
        "outside-subtree",
        "HGI.VT",
        {"unit": "HGI.STC", "criterion": "A1", "score": 30, "reason": "Chậm"},
        "adjustments[1].unit",
        "outside_scope",
    ),
    (
        "unknown-criterion",
        "HGI",
        {"unit": "HGI.STC", "criterion": "Z9", "score": 3, "reason": "Sai"},
        "adjustments[1].criterion",
        "unknown_criterion",
    ),
    (
        "over-max",
        "HGI",
        {"unit": "HGI.STC", "criterion": "A1", "score": 41, "reason": "Sai"},
        "adjustments[1].score",
        "score_out_of_range",
    ),
    (
        "penalty-over-max",
        "HGI",
        {"unit": "HGI.STC", "penalty": 11, "reason": "Kỷ luật"},
        "adjustments[1].penalty",
        "penalty_out_of_range",
    ),
    (
        "off-step",
        "HGI",
        {"unit": "HGI.STC", "criterion": "A1", "score": 3.3, "reason": "Sai"},
        "adjustments[1].score",
        "score_off_step",
    ),
    (
        "no-reason",
        "HGI",
        {"unit": "HGI.STC", "criterion": "A1", "score": 30},
        "adjustments[1].reason",
        "missing_field",
    ),
    (
        "by-not-compiler",
        "HGI.STC",
        {"unit": "HGI.VT.P1", "criterion": "A1", "score": 30, "reason": "Sai"},
        "by",
        "not_a_compiler",
    ),
]


def totals(cli, at: str) -> dict:  # type: ignore[no-untyped-def]
    doc = cli("status", "--cycle", "2024", "--at", at, "--format", "json").json()
    return {u["code"]: (u["final_total"], u["band"]) for u in doc["units"]}


def test_appraise_and_publish(db_url: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    down_port = free_port()
    with running_http_sink() as http:
        write(
            tmp_path / "org.yaml",
            org(f"json://127.0.0.1:{http.port}", f"json://127.0.0.1:{down_port}/x01"),
        )
        write(tmp_path / "criteria.yaml", CRITERIA)
        write(tmp_path / "plan.yaml", PLAN)
        assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
        assert (
            cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-03-01T09:00").exit_code == 0
        )
        files = [submission(tmp_path, code, s) for code, s in SCORES.items()]
        r = cli("submit", *files, "--at", "2024-11-10T10:00")
        assert r.exit_code == 0, r.stderr
        before = totals(cli, "2024-11-26T08:00")

        # --- rejected appraisals: exit 1, file + field + rule named, nothing recorded ----------
        good_line = {"unit": "HGI.VT.P1", "criterion": "B1", "score": 20, "reason": "Hợp lệ"}
        for name, by, line, field, code in BAD_APPRAISALS:
            path = write(
                tmp_path / f"appraisal-{name}.yaml",
                {"year": 2024, "by": by, "adjustments": [good_line, line]},
            )
            # before the districts' deadline (22/11), so that each case meets its own rule
            r = cli("appraise", path, "--at", "2024-11-20T10:00")
            assert r.exit_code == 1, (name, r.stdout)
            assert str(path) in r.stderr and field in r.stderr and f"[{code}]" in r.stderr, (
                name,
                r.stderr,
            )
            assert "Traceback" not in r.stdout + r.stderr
        assert totals(cli, "2024-11-26T08:00") == before  # the good line of each went nowhere

        # --- a valid appraisal by the province ------------------------------------------------
        ok = write(
            tmp_path / "appraisal.yaml",
            {
                "year": 2024,
                "by": "HGI",
                "adjustments": [
                    {"unit": "HGI.STC", "penalty": 2, "reason": "Có công chức bị kỷ luật"},
                    {"unit": "HGI.VT.P1", "criterion": "B1", "score": 20, "reason": "Thiếu hồ sơ"},
                ],
            },
        )
        r = cli("appraise", ok, "--at", "2024-11-25T10:00")
        assert r.exit_code == 0, r.stderr
        after = totals(cli, "2024-11-26T08:00")
        assert after["HGI.STC"] == (93.0, "Tốt") and after["HGI.VT.P1"] == (55.0, "Trung bình")
        http.requests.clear()

        # --- publish ----------------------------------------------------------------------------
        unapproved = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00")
        assert unapproved.exit_code == 1 and "[not_approved]" in unapproved.stderr
        approved = cli("approve", "--cycle", "2024", "--by", "HGI", "--at", "2024-11-30T08:30")
        assert approved.exit_code == 0, approved.stderr
        r = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00", "--format", "json")
        assert r.exit_code == 0, r.stderr
        doc = r.json()
        assert doc["published"] is True
        results = {x["unit"]: (x["total"], x["band"], x["rank"]) for x in doc["results"]}
        assert results == {
            "HGI.STC": (93.0, "Tốt", 1),
            "HGI.VT": (90.0, "Tốt", 2),
            "HGI.X01": (70.0, "Khá", 3),
            "HGI.X02": (50.5, "Trung bình", 4),
            "HGI.VT.P1": (55.0, "Trung bình", 1),
        }
        sent = {(s["unit"], s["kind"]): s["ok"] for s in doc["sent"] if s["kind"] == "result"}
        assert sent == {
            ("HGI.STC", "result"): True,
            ("HGI.VT", "result"): True,
            ("HGI.VT.P1", "result"): True,
            ("HGI.X01", "result"): False,
        }
        got = {req.path: req.body for req in http.wait_for(3)}
        assert sorted(got) == ["/p1", "/stc", "/vt"]
        assert "Tổng điểm: 93 điểm" in got["/stc"]["message"]
        assert "Xếp loại: Tốt" in got["/stc"]["message"] and "Tốt" in got["/stc"]["title"]
        assert "Tổng điểm: 55 điểm" in got["/p1"]["message"]
        assert "Xếp loại: Trung bình" in got["/p1"]["message"]

        # the failure is recorded and shown
        st = cli("status", "--cycle", "2024", "--at", "2024-11-30T10:00", "--format", "json")
        failed = st.json()["deliveries"]["failed"]
        assert ("HGI.X01", "publish", "result") in {
            (f["unit"], f["milestone"], f["kind"]) for f in failed
        }
        assert st.json()["published"] is True

        # publishing again: frozen, nothing new delivered
        again = cli("publish", "--cycle", "2024", "--at", "2024-12-01T09:00", "--format", "json")
        assert again.exit_code == 0
        assert again.json()["published"] is False
        assert again.json()["results"] == doc["results"]
        assert len(http.requests) == 3

        # an appraisal after publish changes nothing either
        late = write(
            tmp_path / "appraisal-late.yaml",
            {
                "year": 2024,
                "by": "HGI",
                "adjustments": [{"unit": "HGI.VT", "penalty": 5, "reason": "Muộn"}],
            },
        )
        r = cli("appraise", late, "--at", "2024-12-01T10:00")
        assert r.exit_code == 1 and "[cycle_published]" in r.stderr and str(late) in r.stderr

        # and a submission is refused
        resub = submission(tmp_path, "HGI.VT", {"A1": 40, "A2": 30, "B1": 30}, tag="-late")
        r = cli("submit", resub, "--at", "2024-12-01T10:00")
        assert r.exit_code == 1 and "[cycle_closed]" in r.stderr and str(resub) in r.stderr
        st = cli("status", "--cycle", "2024", "--at", "2024-12-02T10:00", "--format", "json").json()
        vt = next(u for u in st["units"] if u["code"] == "HGI.VT")
        assert (vt["version"], vt["final_total"]) == (1, 90.0)

        # the endpoint comes back: the next remind delivers the result, once
        with running_http_sink(down_port) as back:
            r = cli("remind", "--cycle", "2024", "--at", "2024-12-02T08:00", "--format", "json")
            assert r.exit_code == 0, r.stderr
            mine = [s for s in r.json()["sent"] if s["unit"] == "HGI.X01" and s["kind"] == "result"]
            assert [s["ok"] for s in mine] == [True]
            results_in = [q.body for q in back.wait_for(1) if "Kết quả" in q.body["title"]]
            assert len(results_in) == 1
            assert "Tổng điểm: 70 điểm" in results_in[0]["message"]
            assert "Xếp loại: Khá" in results_in[0]["message"]
            r = cli("remind", "--cycle", "2024", "--at", "2024-12-02T09:00", "--format", "json")
            assert not [s for s in r.json()["sent"] if s["kind"] == "result"]
        st = cli("status", "--cycle", "2024", "--at", "2024-12-02T10:00", "--format", "json").json()
        assert ("HGI.X01", "result") not in {
            (f["unit"], f["kind"]) for f in st["deliveries"]["failed"]
        }
