"""load_document: every way a file can be the wrong thing, and the normalisation of its text."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan.rules.errors import Rejected
from danvan.rules.formats import load_document
from danvan.rules.text import MAX_ID, normalize_text, parse_decimal, parse_id, parse_int
from tests.helpers.rules import rejects

NFD_PHUONG = unicodedata.normalize("NFD", "Phường")
LEGACY_PHUONG = "Ph\u01b0\u1eddng".replace("\u01b0", "\u01a3")  # Phƣờng


BILLION_LAUGHS = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
).encode()


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("org.yaml", b"", "empty_file"),
        ("org.yaml", b"  \n\n", "empty_file"),
        ("org.json", b"", "empty_file"),
        ("org.yaml", b"# only a comment\n", "empty_file"),
        ("org.txt", b"units: []", "unknown_extension"),
        ("org", b"units: []", "unknown_extension"),
        ("org.docx", b"PK\x03\x04", "unknown_extension"),
        ("org.yaml", b"name: S\xf5 N\xf4i v\xf9", "not_utf8"),  # a legacy 8-bit code page
        ("org.yaml", "name: Sở".encode("utf-16"), "not_utf8"),
        ("org.yaml", b"units: [a, b\n", "invalid_yaml"),
        ("org.yaml", b"a: 1\n a: 2\n  - x", "invalid_yaml"),
        ("org.yaml", b"a: 1\n---\nb: 2\n", "invalid_yaml"),
        ("org.yaml", b"day: 2024-13-45\n", "invalid_yaml"),
        ("org.json", b'{"units": [1, 2,]}', "invalid_json"),
        ("org.json", b'{"a": NaN}', "invalid_json"),
        ("org.yaml", b"%PDF-1.7\n...", "wrong_file_type"),
        ("org.yml", _zip("xl/workbook.xml"), "wrong_file_type"),
        ("org.json", _zip("word/document.xml"), "wrong_file_type"),
        ("org.yaml", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "wrong_file_type"),
        ("org.yaml", b"a: b\x00c", "wrong_file_type"),
        ("org.xlsx", b"units:\n  - code: QNG\n", "wrong_file_type"),
        ("org.xlsx", _zip("word/document.xml"), "wrong_file_type"),
        ("org.xlsx", b"PK\x03\x04broken", "wrong_file_type"),
        ("org.yaml", b"a: &x [*x]", "too_deep"),
        ("org.json", b"[" * 5000 + b"]" * 5000, "too_deep"),
        ("org.yaml", BILLION_LAUGHS, "too_large"),
    ],
)
def test_rejects_what_is_not_the_file_it_claims(name: str, data: bytes, code: str) -> None:
    problem = rejects(lambda: load_document(name, data), code)
    assert problem.field == ""


def test_rejection_carries_file_name_and_position() -> None:
    problem = rejects(lambda: load_document("x.yaml", b"a: [1,\n"), "invalid_yaml")
    assert "dòng" in problem.message
    problem = rejects(lambda: load_document("x.json", b'{\n  "a": }'), "invalid_json")
    assert "dòng 2" in problem.message


@pytest.mark.parametrize(
    ("name", "data", "code", "field"),
    [
        ("s.yaml", b'scores: {"1": 5, "1": 6}\n', "criterion_duplicated", "scores.1"),
        ("s.yaml", b'scores:\n  "1": 5\n  1: 6\n', "criterion_duplicated", "scores.1"),
        ("s.json", b'{"scores": {"1": 5, "1": 6}}', "criterion_duplicated", "scores.1"),
        ("o.yaml", b"units:\n  - {code: A, code: B}\n", "duplicate_key", "units[0].code"),
        ("o.json", b'{"units": [{"code": "A", "code": "B"}]}', "duplicate_key", "units[0].code"),
        ("o.yaml", b"year: 2024\nyear: 2025\n", "duplicate_key", "year"),
    ],
)
def test_a_key_written_twice_is_rejected(name: str, data: bytes, code: str, field: str) -> None:
    rejects(lambda: load_document(name, data), code, field)


@pytest.mark.parametrize("name", ["o.yaml", "o.json"])
def test_bom_stripped_and_text_normalised(name: str) -> None:
    doc = {"name": f"  Ủy ban nhân dân {NFD_PHUONG}  1 ", LEGACY_PHUONG: [LEGACY_PHUONG]}
    data = b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode()
    assert load_document(name, data) == {
        "name": "Ủy ban nhân dân Phường 1",
        "Phường": ["Phường"],
    }


def test_xlsx_rows_keyed_by_normalised_header() -> None:
    data = _xlsx(
        [
            [" Code ", "NAME", None, "Assessed"],
            ["QNG", "Ủy ban nhân dân tỉnh", "ignored", False],
            [None, None, None, None],
            ["QNG.P01", f"{LEGACY_PHUONG} Cẩm Thành", None, "x"],
        ]
    )
    rows = load_document("org.xlsx", data)
    assert rows == [
        {"code": "QNG", "name": "Ủy ban nhân dân tỉnh", "assessed": False},
        {"code": "QNG.P01", "name": "Phường Cẩm Thành", "assessed": "x"},
    ]


def test_empty_xlsx_gives_no_rows() -> None:
    assert load_document("org.xlsx", _xlsx([])) == []


@given(st.text())
def test_normalize_text_is_idempotent(value: str) -> None:
    once = normalize_text(value)
    assert normalize_text(once) == once
    assert "\u01a3" not in once and "\u01a2" not in once


_PLAIN = st.characters(exclude_categories=("Cc", "Cs"))  # controls are refused (SPEC §4.7)
_SMALL = st.integers(-(10**12), 10**12)


@given(
    st.dictionaries(
        st.text(_PLAIN, min_size=1, max_size=50),
        st.text(_PLAIN, max_size=200) | _SMALL | st.booleans(),
    )
)
def test_any_json_object_loads_with_its_strings_normalised(doc: dict) -> None:
    data = json.dumps(doc, ensure_ascii=False).encode()
    keys = [normalize_text(k) for k in doc]
    if not data.strip() or len(set(keys)) != len(keys):
        return
    loaded = load_document("d.json", data)
    assert loaded == {
        normalize_text(k): normalize_text(v) if isinstance(v, str) else v for k, v in doc.items()
    }


@pytest.mark.parametrize(
    "text", ["¹", "²³", "١٢", "１２", "12\u0663", "½", "Ⅻ", "-1", "+1", "1e3", ""]
)
def test_only_ascii_digits_are_numbers(text):
    """The class behind '¹' (issue 22): every number read from text is ASCII digits, or nothing."""
    assert parse_int(text) is None
    assert parse_decimal(text) is None


@pytest.mark.parametrize(
    ("text", "n", "d"),
    [("0", 0, 0.0), (" 2473 ", 2473, 2473.0), ("9,5", None, 9.5), ("9.25", None, 9.25)],
)
def test_ascii_numbers_read(text, n, d):
    assert parse_int(text) == n
    assert parse_decimal(text) == d


def test_a_number_of_any_length_is_read_and_ids_fit_a_database_integer():
    """5,000 digits is a number (too large, for the caller's range check), not a ValueError;
    an id from a URL is 1 … 2^31 − 1 or nothing (issue 21)."""
    assert parse_int("9" * 5000) == 10**5000 - 1
    for text in ("0", "-1", "1.5", "2147483648", "9223372036854775808", "9" * 20, "٣", "", "x"):
        assert parse_id(text) is None, text
    assert parse_id(" 7 ") == 7 and parse_id("2147483647") == MAX_ID == 2**31 - 1


def test_a_yaml_file_nested_past_any_library_limit_is_too_deep():
    """PyYAML 6.0.4 stops at ~1,000 levels itself: the answer is still ours (issue 22)."""
    for text in ("[" * 1500 + "]" * 1500, "a: " + "[" * 40 + "]" * 40, "- " * 2000 + "x"):
        with pytest.raises(Rejected) as exc:
            load_document("deep.yaml", text.encode())
        assert [p.code for p in exc.value.problems] == ["too_deep"], text[:20]
