"""Whatever a workbook holds, intake answers with a rejection, never a traceback."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from danvan.rules.errors import Rejected
from danvan.rules.submission import parse_submission
from danvan.rules.submission_checks import check_submission
from danvan.workbook.layout import build_layout
from danvan.workbook.read import clean_doc, locate, read_workbook
from tests.helpers.grids import CRITERIA, GOOD_SCORES, sheets

CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["9,5", "2.473", "1 000", "#REF!", "x", "  ", "-0", "1e400", "٣", "¹", "１２"]),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1)).map(lambda d: datetime.combine(d, time())),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELL, min_size=0, max_size=7), max_size=12), st.lists(CELL, max_size=8))
@example([], ["¹"])  # found on a fresh clone: isdigit() said yes, int() said no (issue 22)
@example([["1", "x", 10, "²"]], ["１２", "١٢", "٣", "½", "Ⅻ"])
def test_any_cell_values_give_a_reading_or_a_rejection(rows, figure_values):
    figure_rows = [
        ["admin_procedures", name, "x", v]
        for name, v in zip(
            ["received", "online", "resolved", "on_time", "overdue"], figure_values, strict=False
        )
    ]
    grid = sheets([*GOOD_SCORES, *rows], figure_rows)
    try:
        read = read_workbook(grid)
        doc = parse_submission(clean_doc(read), "x.xlsx")
        problems = []
        try:
            check_submission(doc, criteria=CRITERIA)
        except Rejected as exc:
            problems = exc.problems
        for p in locate(problems, read):
            assert p.code and p.message
    except Rejected as exc:
        assert all(p.code and p.message for p in exc.problems)


def _template() -> bytes:
    from danvan.rules.domain import OrgUnit
    from danvan.workbook.draw import DrawnLayout

    layout = build_layout(CRITERIA, year=2024, reference="KH", deadline=date(2024, 11, 10))
    return DrawnLayout.of(layout).for_unit(OrgUnit("X", "Xã X", "commune", "H"))


TEMPLATE = _template()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_workbook_bytes_are_rejected_cleanly(data):
    """Bytes flipped inside a sheet or the zip structure: a rejection or a reading, nothing else."""
    from danvan.tasks.intake import read_submission

    mode = data.draw(st.sampled_from(["zip", "xml"]))
    if mode == "zip":
        raw = bytearray(TEMPLATE)
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        blob = bytes(raw)
    else:
        src = zipfile.ZipFile(io.BytesIO(TEMPLATE))
        part = data.draw(st.sampled_from([n for n in src.namelist() if n.endswith(".xml")]))
        body = bytearray(src.read(part))
        at = data.draw(st.integers(0, len(body) - 1))
        body[at : at + 1] = data.draw(st.binary(min_size=0, max_size=6))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for name in src.namelist():
                z.writestr(name, bytes(body) if name == part else src.read(name))
        blob = out.getvalue()
    try:
        read_submission("x.xlsx", blob)
    except Rejected as exc:
        assert exc.problems
