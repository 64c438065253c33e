"""SPEC §4.7 limits and §3.1 codes in the pure loader: each bound with its own code and field."""

from __future__ import annotations

import json

import pytest

from danvan.rules.formats import load_document
from danvan.rules.limits import Limits, code_problem
from tests.helpers.rules import rejects


@pytest.mark.parametrize("code", ["QNG", "QNG.BSN.X07", "QNG-436-2019", "a_b", "1", "I", "T" * 64])
def test_good_codes(code: str) -> None:
    assert code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("../../x", "U+002F"),
        ("/abs", "U+002F"),
        ("QNG BSN", "U+0020"),
        ("QNG.Х07", "CYRILLIC CAPITAL LETTER HA"),
        ("QNG.\u200bX07", "ZERO WIDTH SPACE"),
        ("X０７", "FULLWIDTH DIGIT ZERO"),
        ("T" * 65, "tối đa 64"),
        ("..", "bắt đầu"),
        ("-x", "bắt đầu"),
    ],
)
def test_bad_codes_say_why(code: str, said: str) -> None:
    problem = code_problem(code)
    assert problem is not None and said in problem


SMALL = Limits(max_file_bytes=600, max_text_chars=10, max_number=1000, max_submission_rows=2)


@pytest.mark.parametrize(
    ("name", "data", "code", "field"),
    [
        ("a.yaml", b"a: " + b"x" * 700, "file_too_large", ""),
        ("a.yaml", b"a: xxxxxxxxxxx", "text_too_long", "a"),
        ("a.json", b'{"a": ["ok", "\\u0007"]}', "control_character", "a[1]"),
        ("a.json", b'{"a": "\\ud800"}', "invalid_character", "a"),
        ("a.json", b'{"a\\u0000": 1}', "control_character", "a\x00"),
        ("a.yaml", b"a: {b: 1001}", "number_too_large", "a.b"),
        ("a.yaml", b"a: -1001.5", "number_too_large", "a"),
        ("a.yaml", b"a: .inf", "invalid_number", "a"),
        ("a.json", b'{"a": ' + b"9" * 401 + b"}", "number_too_large", ""),
        ("a.yaml", b"a: " + b"1:" * 50 + b"1", "number_too_large", ""),
        ("a.yaml", b"[" * 40 + b"]" * 40, "too_deep", ""),
        ("a.json", b"[" * 40 + b"]" * 40, "too_deep", ""),
        ("a.yaml", b"[" + b"1, " * 50 + b"1]", "too_large", ""),
        ("a.json", b"[" + b"1, " * 50 + b"1]", "too_large", ""),
    ],
)
def test_values_are_bounded(name: str, data: bytes, code: str, field: str) -> None:
    rejects(lambda: load_document(name, data, limits=SMALL, rows=2), code, field)


def test_line_breaks_and_tabs_are_text() -> None:
    doc = json.dumps({"reason": "một\thai\nba"}).encode()
    assert load_document("a.json", doc) == {"reason": "một hai ba"}
