"""The portal running on the test province for a browser test: its address, each unit's link,
the clock the portal reads (``clock[0]``, moved by the test), the output folder, and (when the
unit's contact is a real HTTP sink) the messages that reached it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import portal as h
from tests.helpers.sinks import HttpSink, running_http_sink


@dataclass
class Site:
    url: str
    links: dict[str, str]
    clock: list[datetime]
    out: Path
    sink: HttpSink | None = None

    def link(self, code: str) -> str:
        return self.url + self.links[code]

    def receipts(self, count: int) -> list[str]:
        """The receipts the unit's contact got (the plan's announcement came there before)."""
        assert self.sink is not None, "running_site(..., sink_for=UNIT) gives the unit a sink"
        deadline = time.monotonic() + 10
        while True:
            found = [
                r.body["message"] for r in self.sink.requests if "[Đã nhận]" in r.body["title"]
            ]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@contextmanager
def running_site(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    codes: list[str],
    *,
    sink_for: str | None = None,
    now: str = "2024-11-08T10:00",
) -> Iterator[Site]:
    """The province set up in ``tmp_path``, links minted for ``codes``, the portal running;
    ``sink_for``: that unit's contact is an HTTP sink of the test's."""
    from danvan.config.settings import get_settings
    from danvan.portal.server import running

    monkeypatch.setenv("DANVAN_OUT_DIR", str(tmp_path / "out"))
    get_settings.cache_clear()
    with ExitStack() as stack:
        sink = stack.enter_context(running_http_sink()) if sink_for else None
        contacts = {sink_for: sink.url("x07")} if sink and sink_for else None
        h.set_up_province(tmp_path / "province", contacts=contacts)
        links = h.mint_links(codes)
        clock = [h.at(now)]
        url = stack.enter_context(running(now=lambda: clock[0]))
        yield Site(url, links, clock, tmp_path / "out", sink)
