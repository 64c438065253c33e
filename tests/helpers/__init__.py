"""Builders shared by the tests of every layer (tests/README.md says what goes where).

One module per kind of builder: ``db`` (databases), ``province`` (the small province), ``hgi``
(the Hậu Giang province), ``cycle`` (driving a cycle through the CLI), ``rules``, ``workbooks``,
``reports``, ``portal``, ``browser``, ``sinks``, ``together``, ``fuzz_kinds``.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "data"
REPO = TESTS.parent
README = REPO / "README.md"
