"""Tổng hợp ngay: a compiler's compile started as a run whose progress is shown (issue 18).

One entry point for every door (:func:`start_compile`): claim the request
(``tasks.compile_requests``), then run it — on a Prefect server when one is configured and
answering (a run of the ``tong-hop`` deployment, created at once like ``run_deployment(...,
timeout=0)`` with the request as idempotency key), else in a background thread of this process,
which holds the request's lease. Either way the run is :func:`run_request`: the very ``compile``
flow the CLI runs for ``--unit``, at the request's instant, so the same ``--at`` gives the same
files.

A request is cancelled by :func:`cancel_compile` (the row first, then the Prefect run). One
still queued for a Prefect run that will never start it — the server no longer knows the run,
or does not answer — is given up as soon as the page or a new click finds it so
(``[run_unknown]``, ``[prefect_unreachable]``), rather than after the start wait: the next click
then goes ahead, on this machine while Prefect is away.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from danvan.flows.compile import compile_reports
from danvan.rules import compile_wait
from danvan.rules.errors import Rejected
from danvan.runtime.api import (
    PrefectRest,
    PrefectUnavailable,
    RunSpec,
    configured_api_url,
    connect,
)
from danvan.tasks import compile_requests as requests
from danvan.tasks.compile_cancel import cancel, queued_on_prefect
from danvan.tasks.compile_requests import CompileCancelled, RequestView

logger = logging.getLogger("danvan.compile_now")

#: Prefect states after which a run never starts the request it carries.
_ENDED = {"CANCELLED", "CANCELLING", "CRASHED", "FAILED", "COMPLETED"}


@dataclass(frozen=True)
class Progress:
    """A request and, when a Prefect run carries it, that run's state name (as Prefect's UI)."""

    request: RequestView
    run_state: str | None = None


def start_compile(*, year: int, code: str, at: datetime, actor: str, out_dir: str) -> RequestView:
    """Compile ``code`` as of ``at`` in the background; the request to follow. A compiler with a
    request already queued or running gets that one (two clicks start one compile), unless it
    waits for a Prefect run that will never start it: that one is given up first. A server that
    answered its health check once (asked once per process) but refuses the new run now: the
    compile runs here, as with no server."""
    rest = connect()
    if rest is not None:
        with rest:
            _give_up_stale(rest, year, code)
            on_prefect = _on_prefect(rest, year=year, code=code, at=at, actor=actor)
        if on_prefect is not None:
            return on_prefect
    else:
        _give_up_stale(None, year, code)
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
        doc = compile_reports(year, at, out_dir, code, actor=actor, request=request_id)
    except CompileCancelled:  # the row says so already (``tasks.compile_cancel``)
        return "cancelled"
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
    try:
        problem, state = _run_gone(rest, view.run_id)
    finally:
        if rest is not None:
            rest.close()
    if view.status == "queued" and problem:
        requests.give_up(view.id, problem)
        view = requests.request_view(year=year, code=code, request_id=request_id) or view
    return Progress(view, state)


@dataclass(frozen=True)
class CancelAnswer:
    """What the compiler's cancel did (``tasks.compile_cancel.Cancelled.outcome``), and whether
    a Prefect run carrying it could not be told (its server away: the run, if it ever starts,
    finds its request cancelled and compiles nothing)."""

    outcome: str
    run_not_told: bool = False


def cancel_compile(
    *, year: int, code: str, request_id: int, at: datetime, actor: str
) -> CancelAnswer | None:
    """Cancel the compiler's request: its row at once (a thread of any portal process stops
    before its next compiler), then the Prefect run that carries it, if any, as ``prefect
    flow-run cancel`` does. None: not this compiler's request."""
    done = cancel(year=year, code=code, request_id=request_id, at=at, actor=actor)
    if done is None:
        return None
    run_id = done.request.run_id
    if done.outcome != "cancelled" or run_id is None:
        return CancelAnswer(done.outcome)
    rest = connect()
    why = "Prefect unreachable"
    if rest is not None:
        with rest:
            try:
                rest.cancel_run(run_id, "Người tổng hợp đã huỷ trên cổng thông tin.")
                return CancelAnswer(done.outcome)
            except PrefectUnavailable as exc:
                why = str(exc)
    logger.warning("compile request %s cancelled, its run not told (%s)", request_id, why)
    return CancelAnswer(done.outcome, run_not_told=True)


def _run_gone(rest: PrefectRest | None, run_id: str) -> tuple[str | None, str | None]:
    """(why the run will never start its queued request, or None; the run's state name as the
    Prefect UI shows it): ended before starting it, unknown to the server, or the server out of
    reach (``rest`` None: configured but not answering; with no server configured at all, the
    start wait decides, ``tasks.compile_requests``)."""
    if rest is None:
        if configured_api_url() is None:
            return None, None
        return compile_wait.stale_problem(compile_wait.PREFECT_UNREACHABLE), None
    try:
        run = rest.read_run(run_id)
    except PrefectUnavailable:
        return compile_wait.stale_problem(compile_wait.PREFECT_UNREACHABLE), None
    if run is None:
        return compile_wait.stale_problem(compile_wait.RUN_UNKNOWN), None
    state = run.get("state") or {}
    if state.get("type") in _ENDED:
        return (f"Lần chạy trên Prefect đã dừng ({state.get('name')}) trước khi tổng hợp; bấm "
                f"Tổng hợp ngay để chạy lại. [run_{state['type'].lower()}]"), state.get("name")  # fmt: skip
    return None, state.get("name")


def _give_up_stale(rest: PrefectRest | None, year: int, code: str) -> None:
    """Before a claim: the compiler's request queued for a Prefect run that will never start it
    is given up, so the claim queues a new one instead of joining it."""
    found = queued_on_prefect(year, code)
    if found is None:
        return
    problem, _ = _run_gone(rest, found[1])
    if problem:
        requests.give_up(found[0], problem)


def _on_prefect(
    rest: PrefectRest, *, year: int, code: str, at: datetime, actor: str
) -> RequestView | None:
    """The request as a run of ``tong-hop``; None when the server did not answer (the request
    given up ``[prefect_unreachable]``: the caller runs a new one here)."""
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
        requests.give_up(view.id, compile_wait.stale_problem(compile_wait.PREFECT_UNREACHABLE))
        return None
    requests.set_run(view.id, run["id"] if run else None)
    return requests.request_view(year=year, code=code, request_id=view.id) or view
