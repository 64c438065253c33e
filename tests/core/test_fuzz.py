"""Issue 7, Done when: mutated files of every input kind, through the real path, on SQLite.

Start from valid files (``fuzz_kinds.KINDS``), mutate them (types, huge and negative numbers,
unicode oddities, missing and extra keys, truncation, byte flips), run each through the real
load/validate/record code, and hold four promises:
- nothing but :class:`Rejected` comes out (no traceback);
- an accepted file breaks no rule (what it recorded is re-checked against the rules);
- a rejected file changes nothing (a snapshot of every table before and after);
- every file of a batch is answered (a valid file after each mutated one is still accepted).

The database is restored to the kind's prepared state before every example (SQLite's backup
API), so Hypothesis can replay and shrink a failure. ``DANVAN_FUZZ_EXAMPLES=N`` runs N examples
per kind instead of the CI default (a few thousand files in all, ~30 s on two cores).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.db import use_database
from tests.helpers.fuzz_kinds import KINDS, InputKind

ON_DEMAND = int(os.environ.get("DANVAN_FUZZ_EXAMPLES", "0"))
#: Examples per kind in CI; a submission example is a batch of two files.
DEFAULT_EXAMPLES = 250

LOOK_ALIKES = ["Х", "А", "О", "Ѕ", "\u200b", "\u200d", "\ufeff", "\u202e", "１", "ǅ", "ﬁ"]
ODD_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "../../x",
            "/etc/passwd",
            '=HYPERLINK("http://x")',
            "\x00",
            "a\x07b",
            "�",
            "x" * 2001,
            "TST.H01.X01",
            "TST",
            "1",
            "true",
            "2024-13-45",
            "08:00",
            "9,5",
            "NaN",
            "Phƣờng",
            "Phừơng",
            *LOOK_ALIKES,
        ]
    ),
    st.text(max_size=20),
)
ODD_NUMBER = st.one_of(
    st.sampled_from([0, -1, 0.1, 0.25, 3.5, 10**12, 10**12 + 1, 10**13, 10**401, -(10**30)]),
    st.sampled_from([float("nan"), float("inf"), -0.0, 1e308, 5e-324]),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


ODD = st.one_of(
    ODD_TEXT,
    ODD_NUMBER,
    st.booleans(),
    st.none(),
    st.dates(),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(0, 3), max_size=3),
    st.integers(30, 60).map(_nested),
)


def _slots(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a document, depth-first."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((node, k))
                stack.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out.append((node, i))
                stack.append(v)
    return out


def _mutate_once(data: st.DataObject, doc: Any) -> Any:
    slots = _slots(doc)
    if not slots:
        return data.draw(ODD)
    parent, key = slots[data.draw(st.integers(0, len(slots) - 1))]
    value = parent[key]
    op = data.draw(
        st.sampled_from(["replace", "delete", "extra", "rename", "wrap", "text", "number"])
    )
    if op == "replace":
        parent[key] = data.draw(ODD)
    elif op == "delete":
        del parent[key]
    elif op == "extra":
        if isinstance(parent, dict):
            parent[data.draw(ODD_TEXT)] = data.draw(ODD)
        else:
            parent.append(data.draw(ODD))
    elif op == "rename" and isinstance(parent, dict) and isinstance(key, str):
        new = data.draw(st.sampled_from([key.upper(), key + "\u200b", key[:-1], "Х" + key[1:]]))
        parent[new] = parent.pop(key)
    elif op == "wrap":
        parent[key] = data.draw(st.sampled_from([[value], {"x": value}, str(value), None]))
    elif op == "text" and isinstance(value, str):
        at = data.draw(st.integers(0, len(value)))
        parent[key] = (
            value[:at] + data.draw(st.sampled_from([*LOOK_ALIKES, "\x00", "\x1b"])) + value[at:]
        )
    elif op == "number":
        parent[key] = data.draw(ODD_NUMBER)
    return doc


def _serialise(doc: Any, syntax: str, data: st.DataObject) -> bytes:
    if syntax == "json":
        text = json.dumps(doc, ensure_ascii=data.draw(st.booleans()), default=str)
    else:
        text = yaml.safe_dump(doc, allow_unicode=data.draw(st.booleans()), sort_keys=False)
    return text.encode("utf-8", "surrogatepass")


def _byte_mutation(data: st.DataObject, raw: bytes) -> bytes:
    if not raw:
        return raw
    at = data.draw(st.integers(0, len(raw) - 1))
    op = data.draw(st.sampled_from(["truncate", "flip", "insert", "duplicate"]))
    if op == "truncate":
        return raw[:at]
    if op == "flip":
        return raw[:at] + bytes([raw[at] ^ data.draw(st.integers(1, 255))]) + raw[at + 1 :]
    if op == "insert":
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    lines = raw.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    return b"".join(lines[: i + 1] + lines[i:])


def mutate(data: st.DataObject, seed: bytes, syntax: str) -> bytes:
    """1–3 structural mutations of the parsed seed, then (sometimes) one on the bytes."""
    doc = json.loads(seed) if syntax == "json" else yaml.safe_load(seed)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate_once(data, doc)
    raw = _serialise(doc, syntax, data)
    if data.draw(st.integers(0, 3)) == 0:
        raw = _byte_mutation(data, raw)
    return raw


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}


def _restore(template: sqlite3.Connection, db: Path) -> None:
    target = sqlite3.connect(db)
    try:
        template.backup(target)
    finally:
        target.close()


@pytest.fixture
def fast_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory where there is one (/dev/shm): thousands of commits, no disk syncs."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="danvan-fuzz-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_fuzz(
    name: str, tmp_path: Path, fast_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from danvan.models.db import get_engine
    from danvan.models.schema import upgrade

    kind: InputKind = KINDS[name]
    db = fast_folder / "fuzz.db"
    use_database(f"sqlite:///{db}", monkeypatch)
    upgrade(get_engine())
    folder = tmp_path / "files"
    folder.mkdir()
    kind.prepare(folder)
    template = sqlite3.connect(":memory:")
    with sqlite3.connect(db) as source:
        source.backup(template)
    seeds = kind.seeds()
    counts = {"accepted": 0, "rejected": 0}

    @settings(
        max_examples=ON_DEMAND or DEFAULT_EXAMPLES,
        deadline=None,
        derandomize=not ON_DEMAND,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_batch(data: st.DataObject) -> None:
        _restore(template, db)
        file_name, seed = data.draw(st.sampled_from(seeds))
        raw = kind.mutate(data, seed) if kind.mutate else mutate(data, seed, kind.syntax)
        path = folder / f"fuzzed-{file_name}"
        path.write_bytes(raw)
        before = snapshot(db)
        accepted = kind.run(path)  # anything but Rejected escaping here fails the test
        if accepted:
            counts["accepted"] += 1
            with sqlite3.connect(db) as conn:
                kind.recheck(conn)
        else:
            counts["rejected"] += 1
            assert snapshot(db) == before, "a rejected file changed the database"
        for follower in kind.followers(folder):
            assert kind.run(follower), "a valid file after a mutated one was not accepted"

    one_batch()
    template.close()
    assert counts["rejected"] > 0  # the mutations bite …
    assert counts["accepted"] > 0 or name in ("criteria",)  # … and some still pass
