"""Tổng hợp ngay: a compiler's compile started as a run whose progress is shown (issue 18).

One entry point for every door (:func:`start_compile`): claim the request
(``tasks.compile_requests``), then run it — on a Prefect server when one is configured and
answering (a run of the ``tong-hop`` deployment, created at once like ``run_deployment(...,
timeout=0)`` with the request as idempotency key), else in a background thread of this process,
which holds the request's lease. Either way the run is :func:`run_request`: the very ``compile``
flow the CLI runs for ``--unit``, at the request's instant, so the same ``--at`` gives the same
files.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from danvan.flows.compile import compile_reports
from danvan.rules.errors import Rejected
from danvan.runtime.api import PrefectRest, PrefectUnavailable, RunSpec, connect
from danvan.tasks import compile_requests as requests
from danvan.tasks.compile_requests import RequestView

#: Prefect states after which a run never starts the request it carries.
_ENDED = {"CANCELLED", "CANCELLING", "CRASHED", "FAILED", "COMPLETED"}


@dataclass(frozen=True)
class Progress:
    """A request and, when a Prefect run carries it, that run's state name (as Prefect's UI)."""

    request: RequestView
    run_state: str | None = None


def start_compile(*, year: int, code: str, at: datetime, actor: str, out_dir: str) -> RequestView:
    """Compile ``code`` as of ``at`` in the background; the request to follow. A compiler with a
    request already queued or running gets that one (two clicks start one compile)."""
    rest = connect()
    if rest is not None:
        with rest:
            return _on_prefect(rest, year=year, code=code, at=at, actor=actor)
    lease = requests.hold_lease()
    try:
        view, new = requests.claim(year=year, code=code, at=at, actor=actor, lease=lease.token)
    except BaseException:
        lease.__exit__(None, None, None)
        raise
    if not new:
        lease.__exit__(None, None, None)
        return view

    def run() -> None:
        try:
            run_request(view.id, out_dir, lease.token)
        finally:
            lease.__exit__(None, None, None)

    threading.Thread(target=run, name=f"compile-request-{view.id}", daemon=True).start()
    return view


def run_request(request_id: int, out_dir: str, lease: str) -> str | None:
    """Run a claimed request (once: a second start finds it running): ``compile`` for its
    compiler at its instant. Returns the request's final status, None when it was not queued."""
    got = requests.start(request_id, lease)
    if got is None:
        return None
    year, code, at, actor = got
    try:
        doc = compile_reports(year, at, out_dir, code, actor=actor)
    except Rejected as exc:
        requests.finish(request_id, None, exc.render())
        return "failed"
    except Exception as exc:  # a failed compile is shown on the page, never left "running"
        requests.fail(request_id, exc)
        return "failed"
    files = [f for c in doc["compiled"] if c["compiler"] == code for f in c["files"]]
    requests.finish(request_id, [f for f in files if f != "summary.json"])
    return "done"


def run_held(request_id: int, out_dir: str) -> str | None:
    """:func:`run_request` under a lease of this process (a worker's run of the deployment)."""
    lease = requests.hold_lease()
    try:
        return run_request(request_id, out_dir, lease.token)
    finally:
        lease.__exit__(None, None, None)


def progress(*, year: int, code: str, request_id: int, at: datetime) -> Progress | None:
    """The request as it stands at ``at`` (the door's now), with its Prefect run's state when
    one carries it; a queued request whose run ended without starting it, or that no runner
    took in time (``DANVAN_COMPILE_START_MINUTES``), is failed here (None: not this
    compiler's)."""
    view = requests.request_view(year=year, code=code, request_id=request_id, at=at)
    if view is None or view.run_id is None or view.finished:
        return None if view is None else Progress(view)
    rest = connect()
    if rest is None:
        return Progress(view)
    with rest:
        try:
            run = rest.read_run(view.run_id) or {}
        except PrefectUnavailable:
            return Progress(view)
    state = run.get("state") or {}
    if view.status == "queued" and state.get("type") in _ENDED:
        requests.give_up(view.id, f"Lần chạy trên Prefect đã dừng ({state.get('name')}) trước "
                         f"khi tổng hợp; bấm Tổng hợp ngay để chạy lại. [run_{state['type'].lower()}]")  # fmt: skip
        view = requests.request_view(year=year, code=code, request_id=request_id) or view
    return Progress(view, state.get("name"))


def _on_prefect(
    rest: PrefectRest, *, year: int, code: str, at: datetime, actor: str
) -> RequestView:
    view, new = requests.claim(year=year, code=code, at=at, actor=actor)
    if not new:
        return view
    spec = RunSpec(
        flow="compile-milestone",
        deployment="tong-hop",
        name=f"tong-hop-ngay-{code}-{view.id}",
        key=f"compile-request-{view.id}",
        scheduled=None,
        parameters={"year": year, "unit": code, "at": at.isoformat(), "request": view.id},
        tags=("danvan", str(year), "tong-hop-ngay", code),
    )
    try:
        run = rest.create_run(spec)
    except PrefectUnavailable:
        run = None
    requests.set_run(view.id, run["id"] if run else None)
    return requests.request_view(year=year, code=code, request_id=view.id) or view
