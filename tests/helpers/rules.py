"""Assertions shared by the rule tests: a rejection names the code, the field, in Vietnamese."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from danvan.rules.errors import Problem, Rejected

_VIETNAMESE = set("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


def is_vietnamese(message: str) -> bool:
    return any(ch in _VIETNAMESE for ch in message.lower())


def rejects(call: Callable[[], object], code: str, field: str | None = None) -> Problem:
    """Run ``call``; it must raise Rejected with a problem of ``code`` (at ``field``)."""
    with pytest.raises(Rejected) as info:
        call()
    found = [p for p in info.value.problems if p.code == code and field in (None, p.field)]
    assert found, f"expected {code} at {field!r}, got:\n{info.value.render()}"
    assert is_vietnamese(found[0].message), found[0].message
    return found[0]
