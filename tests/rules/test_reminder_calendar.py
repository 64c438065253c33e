"""Nhắc hạn: the reminder calendar of SPEC §4.1 (tables and properties) and who gets what."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from danvan.rules.domain import OrgUnit, ReminderPolicy
from danvan.rules.reminders import (
    Due,
    Progress,
    build_reminders,
    due_on,
    reminders_for_day,
    sending_open,
)
from danvan.rules.workdays import WorkCalendar

CAL = WorkCalendar()
POLICY = ReminderPolicy()  # before 14/7/3/1, overdue every 2, escalate after 3, working days only
PLAIN = ReminderPolicy(working_days_only=False)
D = date


@pytest.mark.parametrize(
    ("policy", "deadline", "today", "expected", "why"),
    [
        (PLAIN, D(2024, 11, 10), D(2024, 10, 27), [Due("before", 14)], "14 days before"),
        (PLAIN, D(2024, 11, 10), D(2024, 11, 9), [Due("before", 1)], "Saturday, not moved"),
        (PLAIN, D(2024, 11, 10), D(2024, 11, 10), [Due("due", 0)], "due on a Sunday"),
        (PLAIN, D(2024, 11, 10), D(2024, 11, 11), [], "1 day overdue: not an overdue day"),
        (PLAIN, D(2024, 11, 10), D(2024, 11, 12), [Due("overdue", 2)], "first overdue"),
        (PLAIN, D(2024, 11, 10), D(2024, 11, 14), [Due("overdue", 4), Due("escalation", 4)], ""),
        # deadline Sunday 10/11/2024: the Sunday `before` (k=7, 03/11) moves to Friday 01/11
        (POLICY, D(2024, 11, 10), D(2024, 11, 1), [Due("before", 9)], "Sunday before → Friday"),
        (POLICY, D(2024, 11, 10), D(2024, 11, 3), [], "nothing on a Sunday"),
        (POLICY, D(2024, 11, 10), D(2024, 11, 7), [Due("before", 3)], "Thursday, k=3"),
        # Saturday k=1 and Sunday due both land on Friday 08/11: `due` only
        (POLICY, D(2024, 11, 10), D(2024, 11, 8), [Due("due", 0)], "before+due → due"),
        (POLICY, D(2024, 11, 10), D(2024, 11, 12), [Due("overdue", 2)], ""),
        # deadline Thursday 14/11: the Saturday overdue (16/11) moves to Monday 18/11
        (POLICY, D(2024, 11, 14), D(2024, 11, 16), [], "nothing on a Saturday"),
        (
            POLICY,
            D(2024, 11, 14),
            D(2024, 11, 18),
            [Due("overdue", 4), Due("escalation", 4)],
            "Saturday overdue → Monday",
        ),
        # Tết 2024 (08–14/02 off): a `before` on 13/02 moves to Wednesday 07/02 …
        (POLICY, D(2024, 2, 20), D(2024, 2, 7), [Due("before", 13)], "Tết before → 07/02"),
        # … and the overdue reminders of 08–14/02 all land on Thursday 15/02, once
        (
            POLICY,
            D(2024, 2, 6),
            D(2024, 2, 15),
            [Due("overdue", 9), Due("escalation", 9)],
            "Tết overdue → 15/02",
        ),
        (POLICY, D(2024, 2, 6), D(2024, 2, 12), [], "nothing during Tết"),
    ],
)
def test_due_on(policy, deadline, today, expected, why):
    assert due_on(policy, deadline, today, CAL) == expected, why


def test_escalation_only_from_escalate_after_days():
    policy = ReminderPolicy(overdue_every_days=1, escalate_after_days=3, working_days_only=False)
    deadline = D(2024, 11, 4)
    kinds = {
        n: [d.kind for d in due_on(policy, deadline, deadline + timedelta(n))] for n in (1, 2, 3, 4)
    }
    assert kinds == {
        1: ["overdue"],
        2: ["overdue"],
        3: ["overdue", "escalation"],
        4: ["overdue", "escalation"],
    }


def test_default_calendar_when_none_given():
    assert due_on(POLICY, D(2024, 11, 10), D(2024, 11, 3), None) == []


def test_bridge_day_override_moves_reminders():
    cal = WorkCalendar(extra_holidays=[D(2024, 11, 7)])
    assert due_on(POLICY, D(2024, 11, 10), D(2024, 11, 7), cal) == []
    assert due_on(POLICY, D(2024, 11, 10), D(2024, 11, 6), cal) == [Due("before", 4)]


@pytest.mark.parametrize(
    ("at", "open_"), [(time(7, 59, 59), False), (time(8, 0), True), (time(17, 30), True)]
)
def test_sending_open(at, open_):
    assert sending_open(POLICY, at) is open_


# ---- properties -----------------------------------------------------------------------------

policies = st.builds(
    ReminderPolicy,
    before_days=st.lists(st.integers(1, 30), max_size=5, unique=True).map(tuple),
    overdue_every_days=st.integers(1, 7),
    escalate_after_days=st.integers(0, 10),
    working_days_only=st.booleans(),
)
deadlines = st.dates(D(2023, 1, 1), D(2026, 12, 31))
offsets = st.integers(-40, 40)


@settings(max_examples=300, deadline=None)
@given(policies, deadlines, offsets)
def test_calendar_properties(policy, deadline, offset):
    today = deadline + timedelta(offset)
    dues = due_on(policy, deadline, today, CAL)
    kinds = [d.kind for d in dues]
    assert len(kinds) == len(set(kinds))
    for d in dues:
        if d.kind == "before":
            assert today < deadline and d.days == (deadline - today).days
        if d.kind == "due":
            assert today <= deadline
        if d.kind in ("overdue", "escalation"):
            assert today > deadline and d.days == (today - deadline).days
        if d.kind == "escalation":
            assert "overdue" in kinds and d.days >= policy.escalate_after_days
    if dues and policy.working_days_only:
        assert CAL.is_working(today)
    if not policy.working_days_only and offset == 0:
        assert kinds == ["due"]


@settings(max_examples=150, deadline=None)
@given(policies, deadlines)
def test_every_nominal_date_is_served(policy, deadline):
    """No reminder is lost by moving: each nominal date's landing day has its kind (or `due`)."""
    move_back = CAL.previous_working if policy.working_days_only else (lambda d: d)
    move_on = CAL.next_working if policy.working_days_only else (lambda d: d)
    for k in policy.before_days:
        kinds = {d.kind for d in due_on(policy, deadline, move_back(deadline - timedelta(k)), CAL)}
        assert kinds & {"before", "due"}
    for n in range(1, 4):
        nominal = deadline + timedelta(n * policy.overdue_every_days)
        kinds = {d.kind for d in due_on(policy, deadline, move_on(nominal), CAL)}
        assert "overdue" in kinds
        if n * policy.overdue_every_days >= policy.escalate_after_days:
            assert "escalation" in kinds


# ---- who gets what -------------------------------------------------------------------------


def unit(code, name, kind="commune", parent=None, contacts=("mailto://x@example.gov.vn",)):
    return OrgUnit(code=code, name=name, kind=kind, parent=parent, contacts=tuple(contacts))


PROVINCE = unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", "province", contacts=["mailto://snv@x"])
DISTRICT = unit("QNG.BSN", "Ủy ban nhân dân huyện Bình Sơn", "district", "QNG", ["json://h/bs"])
X07 = unit("QNG.BSN.X07", "Ủy ban nhân dân xã Bình Thạnh", parent="QNG.BSN")
X08 = unit("QNG.BSN.X08", "Ủy ban nhân dân xã Bình Chánh", parent="QNG.BSN", contacts=())
SNV = unit("QNG.SNV", "Sở Nội vụ", "department", "QNG")
UNITS = {u.code: u for u in (PROVINCE, DISTRICT, X07, X08, SNV)}
COMPILER = {"QNG.BSN.X07": "QNG.BSN", "QNG.BSN.X08": "QNG.BSN", "QNG.SNV": "QNG", "QNG.BSN": "QNG"}


def build(dues, owing, progress=None):
    return build_reminders(
        "self_assessment", dues, owing, units=UNITS, compiler_of=COMPILER, progress=progress
    )


def test_before_day_reminds_units_and_digests_compilers():
    batch = build([Due("before", 3)], [X07, X08, SNV], {"QNG.BSN": Progress(22, 12)})
    got = {(r.recipient, r.kind) for r in batch}
    assert got == {
        ("QNG.BSN.X07", "before"),
        ("QNG.SNV", "before"),
        ("QNG.BSN", "digest"),
        ("QNG", "digest"),
    }
    digest = next(r for r in batch if r.recipient == "QNG.BSN")
    assert digest.about == ("QNG.BSN.X07", "QNG.BSN.X08")
    assert digest.about_names == ("Ủy ban nhân dân xã Bình Thạnh", "Ủy ban nhân dân xã Bình Chánh")
    assert digest.progress == Progress(22, 12) and digest.stage == "before" and digest.days == 3
    assert digest.to == ("json://h/bs",)
    province_digest = next(r for r in batch if r.recipient == "QNG")
    assert province_digest.progress is None and province_digest.about == ("QNG.SNV",)
    assert [(s.recipient, s.kind) for s in batch.skipped_no_contact] == [("QNG.BSN.X08", "before")]


def test_escalation_day_one_message_per_compiler():
    batch = build([Due("overdue", 4), Due("escalation", 4)], [X08, X07, SNV])
    escalations = [r for r in batch if r.kind == "escalation"]
    assert [(r.recipient, r.about, r.days) for r in escalations] == [
        ("QNG", ("QNG.SNV",), 4),
        ("QNG.BSN", ("QNG.BSN.X07", "QNG.BSN.X08"), 4),
    ]
    keys = [(r.recipient, r.milestone, r.kind) for r in batch]
    assert len(keys) == len(set(keys))  # one per recipient, milestone and kind


def test_nothing_on_a_quiet_day_or_when_nobody_owes():
    assert build([], [X07]).reminders == []
    assert build([Due("before", 3)], []).reminders == []


def test_compiler_without_contacts_is_skipped_visibly():
    units = {**UNITS, "QNG.BSN": unit("QNG.BSN", "Huyện", "district", "QNG", contacts=())}
    batch = build_reminders(
        "self_assessment", [Due("due", 0)], [X07], units=units, compiler_of=COMPILER
    )
    assert [(r.recipient, r.kind) for r in batch] == [("QNG.BSN.X07", "due")]
    assert [(s.recipient, s.kind) for s in batch.skipped_no_contact] == [("QNG.BSN", "digest")]


def test_unit_without_compiler_gets_no_digest():
    batch = build_reminders(
        "province_scoring", [Due("due", 0)], [PROVINCE], units=UNITS, compiler_of={"QNG": None}
    )
    assert [(r.recipient, r.kind) for r in batch] == [("QNG", "due")]


def test_thousand_units_build_fast():
    communes = [
        unit(f"P.D{i % 40:02d}.X{i:04d}", f"Xã {i}", parent=f"P.D{i % 40:02d}") for i in range(1000)
    ]
    districts = [unit(f"P.D{j:02d}", f"Huyện {j}", "district", "P") for j in range(40)]
    units = {u.code: u for u in communes + districts}
    compiler_of = {u.code: u.parent for u in communes}
    progress = {d.code: Progress(25, 5) for d in districts}
    batch = reminders_for_day(
        POLICY,
        "self_assessment",
        D(2024, 11, 14),
        D(2024, 11, 18),
        communes,
        units=units,
        compiler_of=compiler_of,
        progress=progress,
        calendar=CAL,
    )
    assert len(batch.reminders) == 1000 + 40 + 40
