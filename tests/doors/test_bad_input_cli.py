"""Bad input through the real CLI: every rejection exits 1 with a message naming the file, the
field and an English code, never a traceback, and records nothing (SPEC §4, §4.1).

Each case starts from the HGI province (tests/helpers/hgi.py) with Sở Tài chính already at
version 1; the bad file is then submitted and ``status`` must be exactly as before.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers.cycle import write
from tests.helpers.hgi import CRITERIA, ORG, PLAN, SCORES, VALID, setup_province, submission


def doc_with(**changes: object) -> Callable[[Path], Path]:
    """A YAML submission: VALID with dotted-path changes (``None`` removes the key)."""

    def make(tmp: Path) -> Path:
        doc = copy.deepcopy(VALID)
        for dotted, value in changes.items():
            *parents, last = dotted.split("__")
            target = doc
            for key in parents:
                target = target[key]
            if value is None:
                target.pop(last)
            else:
                target[last] = value
        return write(tmp / "bad.yaml", doc)

    return make


def group(name: str, *values: int) -> dict:
    fields = list(VALID["figures"][name])  # type: ignore[index]
    return {"figures__" + name: dict(zip(fields, values, strict=True))}


def raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return make


GOOD_YAML = yaml.safe_dump(VALID, allow_unicode=True, sort_keys=False)
TWICE = GOOD_YAML.replace("  A1: 38\n", "  A1: 38\n  A1: 36\n")
assert TWICE != GOOD_YAML

# (id, file maker, code, field) — field None: a whole-file problem
CASES = [
    ("unknown-unit", doc_with(unit="HGI.ZZZ"), "unknown_unit", "unit"),
    ("inactive-unit", doc_with(unit="HGI.VT.P3"), "unit_inactive", "unit"),
    ("not-assessed-unit", doc_with(unit="HGI.BQL"), "unit_not_assessed", "unit"),
    ("missing-criterion", doc_with(scores={"A1": 38, "A2": 28}), "criterion_missing", "scores.B1"),
    ("unknown-criterion", doc_with(scores=SCORES | {"Z9": 1}), "unknown_criterion", "scores.Z9"),
    ("criterion-twice", raw("bad.yaml", TWICE.encode()), "criterion_duplicated", "scores.A1"),
    ("score-over-max", doc_with(scores=SCORES | {"A1": 41}), "score_out_of_range", "scores.A1"),
    ("score-negative", doc_with(scores=SCORES | {"A2": -1}), "score_out_of_range", "scores.A2"),
    ("score-off-step", doc_with(scores=SCORES | {"A1": 3.3}), "score_off_step", "scores.A1"),
    ("score-not-number", doc_with(scores=SCORES | {"A1": "chín"}), "score_not_number", "scores.A1"),
    ("bonus-over-max", doc_with(bonus=6), "bonus_out_of_range", "bonus"),
    ("penalty-over-max", doc_with(penalty=10.25), "penalty_out_of_range", "penalty"),
    # every consistency rule of SPEC §3.4 at least once
    ("petitions-resolved", doc_with(**group("petitions", 10, 8, 9, 0)),
     "figure_inconsistent", "figures.petitions.resolved"),
    ("petitions-jurisdiction", doc_with(**group("petitions", 5, 8, 8, 0)),
     "figure_inconsistent", "figures.petitions.in_jurisdiction"),
    ("petitions-outstanding", doc_with(**group("petitions", 10, 8, 5, 1)),
     "figure_inconsistent", "figures.petitions.outstanding"),
    ("staff-resolved", doc_with(**group("staff_complaints", 3, 2, 3, 0)),
     "figure_inconsistent", "figures.staff_complaints.resolved"),
    ("mediation-sum", doc_with(**group("mediation", 10, 8, 3)),
     "figure_inconsistent", "figures.mediation.successful"),
    ("admin-online", doc_with(**group("admin_procedures", 10, 11, 10, 10, 0)),
     "figure_inconsistent", "figures.admin_procedures.online"),
    ("admin-on-time", doc_with(**group("admin_procedures", 10, 5, 10, 9, 2)),
     "figure_inconsistent", "figures.admin_procedures.on_time"),
    ("models-recognised", doc_with(**group("models", 1, 2)),
     "figure_inconsistent", "figures.models.recognised"),
    ("figure-not-integer", doc_with(figures__mediation__received=3.5),
     "figure_not_integer", "figures.mediation.received"),
    ("figure-text", doc_with(figures__mediation__received="5"),
     "figure_not_integer", "figures.mediation.received"),
    ("figure-negative", doc_with(figures__models__registered=-1),
     "figure_negative", "figures.models.registered"),
    ("figure-absurd", doc_with(figures__admin_procedures__received=10**12),
     "figure_too_large", "figures.admin_procedures.received"),
    ("figure-missing-field", doc_with(figures__mediation__unsuccessful=None),
     "figure_missing", "figures.mediation.unsuccessful"),
    ("unknown-field", doc_with(scroes=SCORES), "unknown_field", "scroes"),
    ("missing-submitted-by", doc_with(submitted_by=None), "missing_field", "submitted_by"),
    ("broken-yaml", raw("bad.yaml", b"unit: [HGI.STC\nyear: 2024\n"), "invalid_yaml", None),
    ("broken-json", raw("bad.json", b'{"unit": "HGI.STC", "year": 2024,'), "invalid_json", None),
    ("json-twice", raw("bad.json", json.dumps(VALID).replace('"A1": 38', '"A1": 38, "A1": 1')
                       .encode()), "criterion_duplicated", "scores.A1"),
    ("empty-file", raw("bad.yaml", b""), "empty_file", None),
    ("blank-file", raw("bad.yaml", b"  \n\n"), "empty_file", None),
    ("not-utf8", raw("bad.yaml", GOOD_YAML.replace("Chánh Văn phòng Sở", "Chanh Van phong")
                     .encode() + "# Chánh\n".encode("cp1252")), "not_utf8", None),
    ("pdf-as-yaml", raw("bad.yaml", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "wrong_file_type",
     None),
    ("zip-as-yaml", raw("bad.yaml", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40),
     "wrong_file_type", None),
    ("unknown-extension", raw("bad.txt", GOOD_YAML.encode()), "unknown_extension", None),
    ("missing-file", lambda tmp: tmp / "nope.yaml", "file_not_found", None),
    pytest.param(doc_with(year=2023), "wrong_year", "year", id="wrong-year"),
]  # fmt: skip


def status(cli) -> dict:  # type: ignore[no-untyped-def]
    r = cli("status", "--cycle", "2024", "--at", "2024-11-20T08:00", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return {k: v for k, v in r.json().items() if k != "as_of"}


@pytest.fixture
def province(sqlite_url: str, tmp_path: Path, cli) -> dict:  # type: ignore[no-untyped-def]
    setup_province(tmp_path, cli)
    v1 = submission(tmp_path, "HGI.STC", SCORES, bonus=1)
    assert cli("submit", v1, "--at", "2024-11-10T10:00").exit_code == 0
    return status(cli)


def assert_clean_rejection(r, path: Path, code: str, field: str | None) -> None:  # type: ignore[no-untyped-def]
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert str(path) in r.stderr, r.stderr
    assert f"[{code}]" in r.stderr, r.stderr
    if field is not None:  # the key, in brackets after its Vietnamese label
        assert f"({field}): " in r.stderr or f"{field}: " in r.stderr, r.stderr
    for out in (r.stdout, r.stderr):
        assert "Traceback" not in out and 'File "' not in out


@pytest.mark.parametrize(
    ("make", "code", "field"),
    [c if hasattr(c, "marks") else pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_bad_submission(province: dict, tmp_path: Path, cli, make, code, field) -> None:  # type: ignore[no-untyped-def]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    path = make(bad_dir)
    r = cli("submit", path, "--at", "2024-11-12T10:00")
    assert_clean_rejection(r, path, code, field)
    # json output: one document on stdout, the rejection in it
    r = cli("submit", path, "--at", "2024-11-12T10:00", "--format", "json")
    assert r.exit_code == 1
    (only,) = r.json()["files"]
    assert only["accepted"] is False and code in [p["code"] for p in only["problems"]]
    assert status(cli) == province  # nothing recorded: Sở Tài chính still at version 1


def test_submission_after_publish(province: dict, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli("approve", "--cycle", "2024", "--by", "HGI", "--at", "2024-11-30T08:30").exit_code == 0
    )
    r = cli("publish", "--cycle", "2024", "--at", "2024-11-30T09:00")
    assert r.exit_code == 0, r.stderr
    before = status(cli)
    for code, scores in (("HGI.STC", {"A1": 40, "A2": 30, "B1": 30}), ("HGI.X01", SCORES)):
        path = submission(tmp_path, code, scores, tag="-after")
        r = cli("submit", path, "--at", "2024-12-01T10:00")
        assert_clean_rejection(r, path, "cycle_closed", None)
    assert status(cli) == before


def test_batch_records_the_good_files(province: dict, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    good1 = submission(tmp_path, "HGI.X01", {"A1": 30, "A2": 20, "B1": 20})
    bad = write(tmp_path / "bad.yaml", VALID | {"unit": "HGI.X02", "bonus": 9})
    good2 = submission(tmp_path, "HGI.STC", {"A1": 40, "A2": 30, "B1": 30}, tag="-v2")
    r = cli("submit", good1, bad, good2, "--at", "2024-11-12T10:00", "--format", "json")
    assert r.exit_code == 1
    files = r.json()["files"]
    assert [(f["file"], f["accepted"], f["version"]) for f in files] == [
        (str(good1), True, 1),
        (str(bad), False, None),
        (str(good2), True, 2),
    ]
    assert files[1]["problems"][0]["code"] == "bonus_out_of_range"
    units = {u["code"]: u for u in status(cli)["units"]}
    assert (units["HGI.X01"]["status"], units["HGI.X01"]["version"]) == ("on_time", 1)
    assert units["HGI.X02"]["status"] == "missing"
    assert (units["HGI.STC"]["version"], units["HGI.STC"]["self_total"]) == (2, 100.0)


ORG_OK = {
    "units": [
        {"code": "T", "name": "Ủy ban nhân dân tỉnh Thử", "kind": "province"},
        {"code": "T.A", "name": "Sở A", "kind": "department", "parent": "T"},
    ]
}


@pytest.mark.parametrize(
    ("units", "code"),
    [
        pytest.param(
            [
                {"code": "T.D", "name": "Huyện D", "kind": "district", "parent": "T.X"},
                {"code": "T.X", "name": "Xã X", "kind": "commune", "parent": "T.D"},
            ],
            None,
            id="cycle-in-tree",
        ),
        pytest.param(
            [{"code": "T.B", "name": "Sở B", "kind": "department", "parent": "T.NOPE"}],
            None,
            id="unknown-parent",
        ),
        pytest.param(
            [{"code": "T.C", "name": "Sở C", "kind": "ministry", "parent": "T"}],
            None,
            id="unknown-kind",
        ),
        pytest.param([{"code": "T.E", "kind": "department", "parent": "T"}], None, id="no-name"),
    ],
)
def test_bad_org_file(sqlite_url: str, tmp_path: Path, cli, units: list, code: None) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "org.yaml", {"units": ORG_OK["units"] + units})
    r = cli("org", "import", path, "--format", "json")
    assert r.exit_code == 1, r.stdout
    assert str(path) in r.stderr and "[" in r.stderr and "Traceback" not in r.stderr + r.stdout
    # nothing imported: a good file afterwards creates both units
    ok = cli("org", "import", write(tmp_path / "ok.yaml", ORG_OK), "--format", "json")
    assert ok.exit_code == 0 and ok.json()["created"] == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            {
                "deadlines": {
                    "self_assessment": "2024-11-20",
                    "district_compilation": "2024-11-15",
                    "province_scoring": "2024-11-30",
                }
            },
            id="deadlines-out-of-order",
        ),
        pytest.param({"province": "NOPE"}, id="unknown-province"),
        pytest.param({"criteria": "missing-criteria.yaml"}, id="missing-criteria-file"),
        pytest.param({"deadlines": {"self_assessment": "2024-11-15"}}, id="missing-deadline"),
    ],
)
def test_bad_plan_file(sqlite_url: str, tmp_path: Path, cli, change: dict) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "org.yaml", ORG)
    write(tmp_path / "criteria.yaml", CRITERIA)
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    path = write(tmp_path / "plan.yaml", PLAN | change)
    r = cli("plan", "issue", path, "--at", "2024-03-01T09:00")
    assert r.exit_code == 1, r.stdout
    named = change.get("criteria", "plan.yaml")  # a missing criteria file is named itself
    assert named in r.stderr and "[" in r.stderr and "Traceback" not in r.stderr + r.stdout
    # no cycle was created
    st = cli("status", "--cycle", "2024", "--format", "json")
    assert st.exit_code == 1 and "[unknown_cycle]" in st.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("status", "--cycle", "2024", "--at", "yesterday"), id="bad-at"),
        pytest.param(("status", "--cycle", "2024", "--at", "2024-13-45T08:00"), id="bad-date"),
        pytest.param(("submit", "x.yaml", "--at", "10/11/2024"), id="non-iso-at"),
        pytest.param(("status", "--cycle", "2024", "--colour"), id="unknown-option"),
        pytest.param(("status", "--cycle", "năm nay"), id="bad-cycle"),
        pytest.param(("status",), id="missing-cycle"),
        pytest.param(("status", "--cycle", "2024", "--format", "xml"), id="bad-format"),
        pytest.param(("frobnicate",), id="unknown-command"),
    ],
)
def test_usage_errors_exit_2(sqlite_url: str, cli, args: tuple) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
