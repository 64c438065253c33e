"""The same action through each door gives the same record and the same answer (issue 15).

Every action a door offers is taken once through the CLI (``danvan …``, in-process), once
through the portal (its routes, signed in by a personal link) and once through the flow
(flows/*.py, in-process), each on its own database put in the same state before it (built the
same way, at the same instants) and acting at the same instant. Each run is held to what SPEC
promises for that action, and the CLI and the portal to what the flow recorded and answered, row
by row (ids dropped; the door's own actor, ``cli`` or ``portal:<code>``, named ``<door>``; the
portal's session bookkeeping, ``portal_*`` audit rows, left out). The doors disagree today in
places: those cases fail, on purpose, and say where.

Where a door does not offer an action, that one combination is skipped, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import doors as d
from tests.helpers.db import pg_unavailable
from tests.helpers.province import UNITS
from tests.helpers.sinks import running_http_sink


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[d.Templates]:
    """Stage templates for this module, every unit's contact on one local HTTP sink."""
    with running_http_sink() as sink:
        built = d.Templates(tmp_path_factory.mktemp("doors"), sink.url("notify"))
        try:
            yield built
        finally:
            built.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and (reason := pg_unavailable()):
        if os.environ.get("DANVAN_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return request.param


# ---------------------------------------------------------------------------------------------
# The cases: where each starts, when, who acts, what it does, and what SPEC says comes of it.

Act = Callable[[d.Door, d.Files, Path], dict]
Expect = Callable[[d.Outcome], list[str]]


@dataclass(frozen=True)
class Case:
    stage: str
    when: str
    who: str  # the unit acting (whose personal link the portal opens)
    act: Act
    expect: Expect


def _check(problems: list[str], ok: bool, text: str) -> None:
    if not ok:
        problems.append(text)


def _actions(o: d.Outcome) -> list[tuple[str, str]]:
    return sorted((r["action"], r["actor"]) for r in d.rows(o.delta, "audit_log"))


def _only_tables(problems: list[str], o: d.Outcome, allowed: set[str]) -> None:
    extra = sorted(set(o.delta) - allowed)
    _check(problems, not extra, f"changed tables it should not: {extra}")


def _nothing_recorded(o: d.Outcome) -> list[str]:
    return [
        f"recorded in {t}: {len(c['added'])} rows added, {len(c['removed'])} removed"
        for t, c in o.delta.items()
    ]


# -- submit -----------------------------------------------------------------------------------


def _send(which: Callable[[d.Files], Path]) -> Act:
    def act(door: d.Door, files: d.Files, out: Path) -> dict:
        main = which(files)
        return door.submit(main, files.report_of(main))

    return act


def _accepted(status: str, days_late: int, file_name: str) -> Expect:
    """SPEC §4 submit and §4.5: version 1, on time / N days late, kept with its report, audited,
    and a ``receipt`` queued to the unit's contacts whatever the door."""

    def expect(o: d.Outcome) -> list[str]:
        p: list[str] = []
        want = {
            "accepted": True,
            "version": 1,
            "status": status,
            "days_late": days_late,
            "duplicate": False,
            "problems": [],
        }
        _check(p, o.answer == want, f"answered {o.answer}, not {want}")
        subs = [(r["unit_id"], r["version"], r["file_name"]) for r in d.rows(o.delta, "submission")]
        _check(p, subs == [(d.UNIT, 1, file_name)], f"submission rows {subs}")
        kept = [(r["role"], r["file_name"]) for r in d.rows(o.delta, "submission_file")]
        _check(p, kept == [("report", d.REPORT)], f"submission files {kept}")
        _check(p, len(d.rows(o.delta, "stored_file")) == 2, "the file and its report not stored")
        _check(p, _actions(o) == [("submit", "<door>")], f"audit {_actions(o)}")
        told = [(r["unit_id"], r["kind"]) for r in d.rows(o.delta, "delivery")]
        _check(
            p,
            any(u == d.UNIT and k.startswith("receipt") for u, k in told),
            f"no receipt queued to {d.UNIT} (SPEC §4.5); messages queued: {told}",
        )
        _receipt_told(p, o)
        _only_tables(
            p,
            o,
            {"submission", "submission_file", "report_passage", "stored_file", "audit_log"} | _SENT,
        )
        return p

    return expect


def _receipt_told(p: list[str], o: d.Outcome) -> None:
    """SPEC §4.5: the receipt names its *Số tiếp nhận*, the instant, the totals read and every
    file received with its size, whatever the door (the rest of the body is compared across
    doors row by row)."""
    bodies = [r["body"] for r in d.rows(o.delta, "delivery") if r["kind"] == "receipt-v1"]
    want = [f"Số tiếp nhận: TN-2024-{d.UNIT}-01", "Thời điểm nhận: ", "Tổng điểm tự chấm: "]
    want += [f"Báo cáo: {d.REPORT} (", " byte)"]
    missing = [w for w in want if not all(w in b for b in bodies)]
    _check(p, bool(bodies) and not missing, f"receipt without {missing}: {bodies[:1]}")


def _received_before(o: d.Outcome) -> list[str]:
    """SPEC §4.5: the very file already accepted, with or without its attachments, is answered
    *đã nhận trước đó* (version 1, its own timeliness), and nothing new is recorded."""
    p: list[str] = []
    want = {
        "accepted": True,
        "version": 1,
        "status": "on_time",
        "days_late": 0,
        "duplicate": True,
        "problems": [],
    }
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    _only_tables(p, o, _SENT)
    return p


def _refused(problems: list[list[str]]) -> Expect:
    """SPEC §4.1: a rejected file changes nothing and is answered with every reason at once."""

    def expect(o: d.Outcome) -> list[str]:
        p: list[str] = []
        _check(p, o.answer["accepted"] is False, f"accepted: {o.answer}")
        _check(p, o.answer["problems"] == problems, f"problems {o.answer['problems']}")
        return p + _nothing_recorded(o)

    return expect


_SENT = {"delivery", "delivery_attempt"}  # a message queued, and its delivery to the sink

SUBMIT = {
    "workbook-on-time": Case(
        "issued",
        "2024-11-08T10:00",
        d.UNIT,
        _send(lambda f: f.workbook),
        _accepted("on_time", 0, d.WORKBOOK),
    ),
    "yaml-late": Case(
        "issued",
        "2024-11-12T10:00",
        d.UNIT,
        _send(lambda f: f.yaml),
        _accepted("late", 2, f"{d.UNIT}.yaml"),
    ),
}
AGAIN = {
    # the workbook again, its report sent along (beside it for the CLI and the flow)
    "with-its-report": Case(
        "submitted", "2024-11-08T15:00", d.UNIT, _send(lambda f: f.workbook), _received_before
    ),
    # the very same workbook alone: the report came with version 1 and is kept
    "alone": Case(
        "submitted",
        "2024-11-08T15:00",
        d.UNIT,
        _send(lambda f: f.workbook_alone),
        _received_before,
    ),
}
INVALID = {
    "yaml": Case(
        "issued",
        "2024-11-08T10:00",
        d.UNIT,
        _send(lambda f: f.bad_yaml),
        _refused(
            [
                ["figures.petitions.outstanding", "figure_inconsistent"],
                ["figures.petitions.resolved", "figure_inconsistent"],
                ["scores.1", "score_out_of_range"],
            ]
        ),
    ),
    "workbook": Case(
        "issued",
        "2024-11-08T10:00",
        d.UNIT,
        _send(lambda f: f.bad_workbook),
        _refused(
            [
                ["Chấm điểm!D6", "score_out_of_range"],
                ["Số liệu!D15", "figure_inconsistent"],
                ["Số liệu!D16", "figure_inconsistent"],
            ]
        ),
    ),
    # SPEC §4.1: sent before the plan was issued (17/02/2024 09:00), the cycle was not open
    "before-the-plan": Case(
        "issued",
        "2024-02-10T10:00",
        d.UNIT,
        _send(lambda f: f.yaml),
        _refused([["", "before_plan"]]),
    ),
}


@pytest.mark.parametrize("door", d.DOORS)
@pytest.mark.parametrize("case", list(SUBMIT))
def test_submit(templates: d.Templates, backend: str, door: str, case: str) -> None:
    _agree(templates, backend, door, f"submit-{case}", SUBMIT[case])


@pytest.mark.parametrize("door", d.DOORS)
@pytest.mark.parametrize("case", list(AGAIN))
def test_submit_the_same_file_again(
    templates: d.Templates, backend: str, door: str, case: str
) -> None:
    _agree(templates, backend, door, f"again-{case}", AGAIN[case])


@pytest.mark.parametrize("door", d.DOORS)
@pytest.mark.parametrize("case", list(INVALID))
def test_submit_an_invalid_file(templates: d.Templates, backend: str, door: str, case: str) -> None:
    _agree(templates, backend, door, f"invalid-{case}", INVALID[case])


# -- appraise, return, compile ---------------------------------------------------------------

APPRAISAL = {
    "year": d.YEAR,
    "by": d.DISTRICT,
    "adjustments": [
        {"unit": d.UNIT, "criterion": "1", "score": 40.0, "reason": "Kế hoạch ban hành chậm"},
        {"unit": d.UNIT, "penalty": 2.0, "reason": "Có công chức bị kỷ luật"},
    ],
}


def _appraised(o: d.Outcome) -> list[str]:
    """SPEC §3.5: each adjustment kept with who, when and why."""
    p: list[str] = []
    _check(p, o.answer == {"ok": True, "codes": []}, f"answered {o.answer}")
    got = sorted(
        (r["unit_id"], r["by_unit_id"], r["target"], r["value"], r["reason"])
        for r in d.rows(o.delta, "adjustment")
    )
    want = [
        (d.UNIT, d.DISTRICT, "1", 40.0, "Kế hoạch ban hành chậm"),
        (d.UNIT, d.DISTRICT, "penalty", 2.0, "Có công chức bị kỷ luật"),
    ]
    _check(p, got == want, f"adjustments {got}")
    _check(p, _actions(o) == [("appraise", "<door>")], f"audit {_actions(o)}")
    _only_tables(p, o, {"adjustment", "stored_file", "audit_log"})
    return p


REASON = "Thiếu số liệu tiêu chí 2."


def _returned(o: d.Outcome) -> list[str]:
    """SPEC §3.6: returned with its reason, ``revise_by`` five working days on, the unit told."""
    p: list[str] = []
    want = {"ok": True, "codes": [], "revise_by": "2024-11-22"}
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    got = [
        (r["unit_id"], r["by_unit_id"], r["version"], r["reason"], r["revise_by"])
        for r in d.rows(o.delta, "submission_return")
    ]
    _check(p, got == [(d.UNIT, d.DISTRICT, 1, REASON, "2024-11-22")], f"returns {got}")
    _check(p, _actions(o) == [("return", "<door>")], f"audit {_actions(o)}")
    told = [(r["unit_id"], r["kind"]) for r in d.rows(o.delta, "delivery")]
    _check(p, told == [(d.UNIT, "returned")], f"messages {told}")
    _only_tables(p, o, {"submission_return", "audit_log"} | _SENT)
    return p


def _compiled(o: d.Outcome) -> list[str]:
    """SPEC §4.4: the compiler's folder with its four outputs, the compilation recorded."""
    p: list[str] = []
    want = {"ok": True, "codes": [], "compiled": [d.DISTRICT]}
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    got = [r["compiler_id"] for r in d.rows(o.delta, "compilation")]
    _check(p, got == [d.DISTRICT], f"compilations {got}")
    _check(p, _actions(o) == [("compile", "<door>")], f"audit {_actions(o)}")
    files = set(o.outputs.get(d.DISTRICT, {}).get("files", []))
    want_files = {
        "summary.json",
        f"bao-cao-tong-hop-{d.DISTRICT}-{d.YEAR}.docx",
        f"bang-diem-{d.DISTRICT}-{d.YEAR}.xlsx",
        f"bieu-do-{d.DISTRICT}-{d.YEAR}.png",
    }
    _check(p, files >= want_files, f"outputs {sorted(files)}, not {sorted(want_files)}")
    _check(p, list(o.outputs) == [d.DISTRICT], f"compiled folders {list(o.outputs)}")
    kept = {r["file_name"] for r in d.rows(o.delta, "compiled_file")}  # any machine serves them
    _check(p, kept >= want_files, f"kept {sorted(kept)}, not {sorted(want_files)}")
    _only_tables(p, o, {"compilation", "audit_log", "compiled_file", "stored_file"})
    return p


CYCLE = {
    "appraise": Case(
        "submitted",
        "2024-11-15T09:00",
        d.DISTRICT,
        lambda door, files, out: door.appraise(d.DISTRICT, APPRAISAL),
        _appraised,
    ),
    "return": Case(
        "submitted",
        "2024-11-15T09:00",
        d.DISTRICT,
        lambda door, files, out: door.return_(d.UNIT, d.DISTRICT, REASON),
        _returned,
    ),
    "compile": Case(
        "both_submitted",
        "2024-11-21T09:00",
        d.DISTRICT,
        lambda door, files, out: door.compile(d.DISTRICT, out),
        _compiled,
    ),
}


@pytest.mark.parametrize("door", d.DOORS)
@pytest.mark.parametrize("action", list(CYCLE))
def test_compiler_actions(templates: d.Templates, backend: str, door: str, action: str) -> None:
    _agree(templates, backend, door, action, CYCLE[action])


# -- approve, publish -------------------------------------------------------------------------

NOTE = "Đồng ý kết quả xếp loại"


def _approved(o: d.Outcome) -> list[str]:
    """SPEC §4 approve: the province's decision kept, with who and when, audited."""
    p: list[str] = []
    want = {"ok": True, "codes": [], "decision": "approved"}
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    got = [
        (r["by_unit_id"], r["decision"], r["note"], r["actor"]) for r in d.rows(o.delta, "sign_off")
    ]
    _check(p, got == [(d.PROVINCE, "approved", NOTE, "<door>")], f"sign-offs {got}")
    _check(p, _actions(o) == [("sign_off_approved", "<door>")], f"audit {_actions(o)}")
    _only_tables(p, o, {"sign_off", "audit_log"})
    return p


def _published(o: d.Outcome) -> list[str]:
    """SPEC §4 publish: the final ranking frozen, the cycle closed, every unit told."""
    p: list[str] = []
    want = {"published": True, "waiting_for_sign_off": False}
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    results = sorted(r["unit_id"] for r in d.rows(o.delta, "result"))
    assessed = sorted(code for code, *_ in UNITS if code != d.PROVINCE)
    _check(p, results == assessed, f"results for {results}")
    closed = [r["published_at"] for r in d.rows(o.delta, "cycle")]
    _check(p, len(closed) == 1 and closed[0] is not None, f"cycle rows {closed}")
    _check(p, _actions(o) == [("publish", "<door>")], f"audit {_actions(o)}")
    told = sorted(r["unit_id"] for r in d.rows(o.delta, "delivery") if r["kind"] == "result")
    _check(p, told == assessed, f"results told to {told}")
    return p


def _not_published(o: d.Outcome) -> list[str]:
    """SPEC §5: publication waits for the province's sign-off, whatever the door."""
    p: list[str] = []
    want = {"published": False, "waiting_for_sign_off": True}
    _check(p, o.answer == want, f"answered {o.answer}, not {want}")
    return p + _nothing_recorded(o)


SIGN_OFF = {
    "approve": Case(
        "compiled",
        "2024-11-28T09:00",
        d.PROVINCE,
        lambda door, files, out: door.approve(d.PROVINCE, NOTE),
        _approved,
    ),
    "publish-approved": Case(
        "approved",
        "2024-11-30T09:00",
        d.PROVINCE,
        lambda door, files, out: door.publish(),
        _published,
    ),
    "publish-not-approved": Case(
        "compiled",
        "2024-11-30T09:00",
        d.PROVINCE,
        lambda door, files, out: door.publish(),
        _not_published,
    ),
}


@pytest.mark.parametrize("door", d.DOORS)
@pytest.mark.parametrize("action", list(SIGN_OFF))
def test_province_actions(templates: d.Templates, backend: str, door: str, action: str) -> None:
    _agree(templates, backend, door, action, SIGN_OFF[action])


# ---------------------------------------------------------------------------------------------
# The comparison.

_REFERENCE: dict[tuple[str, str], d.Outcome] = {}


def _run(templates: d.Templates, backend: str, door: str, case: Case) -> d.Outcome:
    from danvan.config.settings import get_settings

    with templates.database(backend, case.stage) as (_, built):
        out = Path(get_settings().out_dir)
        work = out.parent / f"work-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        way = d.DOOR_CLASSES[door](built, work)
        try:
            way.enter(case.who, case.when)
            before = d.snapshot(way.actor)
            answer = case.act(way, built.files, out)
            way.settle()  # the portal's receipts go out after its answer: wait for them
            after = d.snapshot(way.actor)
        finally:
            way.close()
        return d.Outcome(door, answer, d.delta(before, after), d.outputs_of(out))


def _agree(templates: d.Templates, backend: str, door: str, name: str, case: Case) -> None:
    """``door`` does what SPEC says, and (the CLI, the portal) records and answers exactly
    what the flow did."""
    mine = _run(templates, backend, door, case)
    if door == "flow":
        _REFERENCE[(backend, name)] = mine
    problems = [f"{door}: {p}" for p in case.expect(mine)]
    if door != "flow":
        key = (backend, name)
        if key not in _REFERENCE:
            _REFERENCE[key] = _run(templates, backend, "flow", case)
        ref = _REFERENCE[key]
        if mine.answer != ref.answer:
            problems.append(f"answer: {door} {mine.answer} ≠ flow {ref.answer}")
        problems += d.differences(mine.delta, ref.delta, door, "flow")
        if mine.outputs != ref.outputs:
            problems.append(f"outputs: {door} {mine.outputs} ≠ flow {ref.outputs}")
    assert not problems, f"{name} through the {door} door:\n  " + "\n  ".join(problems)
