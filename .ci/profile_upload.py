"""CPU of the portal's uploads, in-process (issue 18): the ASGI app driven in one thread by
httpx (thread pools replaced by direct calls), on a database kept by ``danvan bench --keep DIR``
(a copy of its SQLite file, or a PostgreSQL URL), one unit's new versions one after another.

    DANVAN_DATABASE_URL=sqlite:////tmp/copy/bench.db DANVAN_OUT_DIR=/tmp/copy/out \\
        .venv/bin/python .ci/profile_upload.py json 30 [out.prof] [--stmts]

Prints the process's CPU per upload and its split: the request's thread, the receipts' courier
(its thread, after the answer) and the rest (the threads a batch of messages is sent on). With
``out.prof``: cProfile of the request's thread (``time.thread_time``) and its calls per upload;
``--stmts``: the statements per upload. Not a test: a measuring tool (docs/development.md)."""

from __future__ import annotations

import asyncio
import collections
import cProfile
import json
import os
import pstats
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import starlette.concurrency
from sqlalchemy import event

from danvan.demo.bench_portal import _filled_books
from danvan.demo.synthetic import YEAR, submission
from danvan.models.db import get_engine
from danvan.portal import deps
from danvan.portal.app import create_app
from danvan.tasks import courier
from danvan.tasks.links import link_paths

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
AT = datetime(2024, 11, 12, 2, 0, tzinfo=UTC)  # the bench's portal instant


async def _direct(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


for _module in (fastapi.dependencies.utils, fastapi.routing, starlette.concurrency, deps):
    _module.run_in_threadpool = _direct  # type: ignore[attr-defined]


async def main(kind: str, n: int, prof_out: str | None, stmts: bool) -> None:
    code = os.environ.get("UNIT", "BEN.H01.X001")
    links = link_paths(YEAR, [code], AT, "bench")
    app = create_app(now=lambda: AT, rate_burst=10_000, open_burst=10_000)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        first = await client.get(links[code])
        token = _CSRF.search(first.text).group(1)  # type: ignore[union-attr]
        page = await client.post(links[code], data={"csrf": token}, follow_redirects=True)
        csrf = _CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        if kind == "json":
            files = [
                (f"{code}.json", json.dumps(submission(code, 300 + i)).encode())
                for i in range(n + 5)
            ]
        else:
            files = _filled_books(code, Path(os.environ.get("DANVAN_OUT_DIR", ".")), n + 5)

        async def send(i: int) -> None:
            r = await client.post("/don-vi/nop", data={"csrf": csrf}, files={"tep": files[i]})
            assert r.status_code == 200 and "Đã nhận" in r.text, r.status_code

        for i in range(5):  # warm: templates, statements, caches
            await send(i)
        courier.wait_idle(60)
        seen: list[str] = []
        if stmts:
            event.listen(
                get_engine(),
                "before_cursor_execute",
                lambda _c, _cur, st, _p, _ctx, _many: seen.append(" ".join(st.split())[:100]),
            )
        prof = cProfile.Profile(time.thread_time) if prof_out else None
        cpu0, after0, main0 = time.process_time(), courier.cpu_seconds(), time.thread_time()
        if prof:
            prof.enable()
        for i in range(5, n + 5):
            await send(i)
        if prof:
            prof.disable()
        main = (time.thread_time() - main0) / n * 1000
        courier.wait_idle(60)
        cpu = (time.process_time() - cpu0) / n * 1000
        after = (courier.cpu_seconds() - after0) / n * 1000
        load = os.getloadavg()[0]
        print(
            f"{kind}: {cpu:.2f} ms CPU an upload (request {main:.2f}, courier {after:.2f}, "
            f"rest {cpu - main - after:.2f}), load {load:.1f}"
        )
        for text, count in collections.Counter(seen).most_common():
            print(f"{count / n:5.2f} {text}")
        if prof and prof_out:
            prof.dump_stats(prof_out)
            print(
                f"calls an upload (request's thread): {pstats.Stats(prof_out).total_calls / n:.0f}"
            )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(
        main(args[0], int(args[1]), args[2] if len(args) > 2 else None, "--stmts" in sys.argv)
    )
