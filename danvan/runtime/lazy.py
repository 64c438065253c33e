"""How the cycle's flows run: as Prefect flow runs, or in-process with no Prefect at all.

Why this exists: ``import prefect`` costs 1.4–1.9 s on the reference machine and the ephemeral
server another 7–14 s (PLATFORM.md), while an official's ``danvan submit`` should answer in about a
second. So flows and tasks are declared with the decorators below. They keep the plain function
(``.fn``) and build the real ``prefect.flow`` / ``prefect.task`` objects only when asked:

* inside ``danvan demo`` (``DANVAN_USE_PREFECT=1``) and in runs that ``danvan serve`` executes,
  calling a flow runs it as a Prefect flow run and every step inside it as a Prefect task run,
  recorded in the UI;
* otherwise the very same functions run in-process, in the same order, with the same
  transactions: the database, not Prefect, holds the cycle's state.

Deployments and workers import the real flow objects through :attr:`LazyFlow.prefect`.
"""

from __future__ import annotations

import contextvars
import functools
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, ParamSpec, TypeVar

from danvan.config.settings import get_settings
from danvan.rules.calendar import started_too_late
from danvan.runtime.api import configured_api_url, reachable, say_unreachable

P = ParamSpec("P")
R = TypeVar("R")

#: Set while a flow body runs under Prefect, so that steps become task runs.
_under_prefect: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "danvan_prefect", default=False
)

FORCE_ENV = "DANVAN_USE_PREFECT"


def prefect_enabled() -> bool:
    """Flows go through Prefect only when asked (``danvan demo``, ``DANVAN_USE_PREFECT=1``).

    An official's command with a Prefect API configured still runs in-process: it records its
    step in the database first and then reports to Prefect over REST (``danvan.runtime.api``), so
    it answers in about a second and never depends on Prefect being up. Asked to use a
    configured server that is down, the flow runs in-process after one line on stderr.
    """
    if os.environ.get(FORCE_ENV, "").lower() not in {"1", "true", "yes"}:
        return False
    url = configured_api_url()
    if url and not reachable(url):
        say_unreachable(url)
        os.environ[FORCE_ENV] = "0"  # said once; the rest of the process runs in-process
        return False
    return True


class _Lazy(Generic[P, R]):
    """The plain function (``.fn``) and its Prefect object, built on first use (``.prefect``)."""

    def __init__(self, fn: Callable[P, R], **options: Any) -> None:
        self.fn = fn
        self.options = options
        self._prefect: Any = None
        functools.update_wrapper(self, fn)

    @property
    def prefect(self) -> Any:
        if self._prefect is None:
            self._prefect = self._build()
        return self._prefect

    def _build(self) -> Any:
        raise NotImplementedError

    def _through_prefect(self) -> bool:
        raise NotImplementedError

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._through_prefect():
            return self.prefect(*args, **kwargs)
        return self.fn(*args, **kwargs)


class LazyTask(_Lazy[P, R]):
    """A step of a flow: one I/O action. Runs as a Prefect task run only inside a Prefect flow."""

    def _build(self) -> Any:
        # lazy: Prefect loads only when a flow runs through it
        from prefect import task

        return task(self.fn, **self.options)

    def _through_prefect(self) -> bool:
        return _under_prefect.get()


class LazyFlow(_Lazy[P, R]):
    """A flow of the cycle. ``flow(...)`` runs it through Prefect or in-process (see module doc).

    ``.prefect`` is the real ``prefect.Flow`` (for deployments, ``serve`` and workers).
    """

    def _build(self) -> Any:
        # lazy: Prefect loads only when a flow runs through it
        from prefect import flow

        body = self.fn

        @functools.wraps(body)
        def under_prefect(*args: Any, **kwargs: Any) -> Any:
            return _run_marked(body, *args, **kwargs)

        return flow(under_prefect, **self.options)

    def _through_prefect(self) -> bool:
        return prefect_enabled()


def _run_marked(body: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a flow body with its steps as task runs.

    A module-level function, so that Prefect can pickle the flow for a run subprocess
    (``run_flow_in_subprocess``, ``Flow.serve``):
    a closure over the ContextVar itself cannot be pickled.
    """
    token = _under_prefect.set(True)
    try:
        return body(*args, **kwargs)
    finally:
        _under_prefect.reset(token)


class ScheduledName:
    """A flow's ``flow_run_name`` that keeps the name a run was created with.

    Why: Prefect renames every run at start to its flow's ``flow_run_name``, so each reminder day
    (``nhac-viec-QNG-2027-10-24``) became ``remind-2027`` in the UI. A run whose name starts with
    ``prefix`` (the calendar's and the follow-ups' names) keeps it; any other (a run started from
    the UI's button or ``prefect deployment run``, named ``clever-otter``) gets ``fallback`` of
    its parameters. An object, not a closure, so Prefect can pickle the flow for a subprocess.
    """

    def __init__(self, prefix: str, fallback: Callable[[dict[str, Any]], str]) -> None:
        self.prefix = prefix
        self.fallback = fallback

    def __call__(self) -> str:
        # lazy: Prefect loads only when a flow runs through it
        from prefect.runtime import flow_run

        name = str(flow_run.name or "")
        if name.startswith(self.prefix):
            return name
        return self.fallback(dict(flow_run.parameters))


def task(**options: Any) -> Callable[[Callable[P, R]], LazyTask[P, R]]:
    """``@task(name=..., retries=...)`` with Prefect's options, applied lazily."""

    def decorate(fn: Callable[P, R]) -> LazyTask[P, R]:
        return LazyTask(fn, **options)

    return decorate


def flow(**options: Any) -> Callable[[Callable[P, R]], LazyFlow[P, R]]:
    """``@flow(name=..., flow_run_name=...)`` with Prefect's options, applied lazily."""

    def decorate(fn: Callable[P, R]) -> LazyFlow[P, R]:
        return LazyFlow(fn, **options)

    return decorate


def log(message: str) -> None:
    """A line in the Prefect run log when under Prefect; silent in-process (the CLI prints)."""
    if _under_prefect.get():
        # lazy: Prefect loads only when a flow runs through it
        from prefect import get_run_logger

        get_run_logger().info(message)


def scheduled_instant() -> datetime:
    """The instant a scheduled flow run acts at: its scheduled start time (never the clock)."""
    if not _under_prefect.get():
        raise ValueError("'at' is required outside a Prefect flow run")
    # lazy: Prefect loads only when a flow runs through it
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    return datetime.fromtimestamp(scheduled.timestamp(), tz=UTC)


def _scheduled_and_started() -> tuple[datetime, datetime] | None:
    """This run's expected start and its recorded start (read from the API), never the clock."""
    if not _under_prefect.get():
        return None
    # lazy: Prefect loads only when a flow runs through it
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return None
    run = ctx.flow_run
    started = run.start_time
    if started is None:
        # lazy: Prefect loads only when a flow runs through it
        from prefect import get_client

        with get_client(sync_client=True) as client:
            started = client.read_flow_run(run.id).start_time
    if started is None or run.expected_start_time is None:
        return None
    return run.expected_start_time, started


def run_started_late(tz: str) -> bool:
    """Did this scheduled run start on a later local day than the one it was scheduled for?

    Compares the run's scheduled time with its own recorded start (read from the API), never
    the clock: after an outage Prefect runs every missed run, and a reminder of a past day must
    not go out late (SPEC §4.1).
    """
    found = _scheduled_and_started()
    return found is not None and started_too_late(found[0], found[1], tz)


def run_started_after(seconds: float) -> bool:
    """Did this run start more than ``seconds`` after its scheduled time (a missed periodic
    look, run after an outage: a newer one follows, so it can do nothing)?"""
    found = _scheduled_and_started()
    return found is not None and (found[1] - found[0]).total_seconds() > seconds


def outcome(doc: Any, problem: str | None, state_name: str = "Có lỗi") -> Any:
    """The flow's return value; under Prefect, a run with a ``problem`` ends in a named state
    (``Có lỗi``: type Completed, so callers still get ``doc``) that operators see in the UI,
    never a plain Completed."""
    if problem is None or not _under_prefect.get():
        return doc
    # lazy: Prefect loads only when a flow runs through it
    from prefect.states import Completed

    return Completed(name=state_name, message=problem, data=doc)


def artifact_markdown(key: str, markdown: str) -> None:
    """A markdown artifact in the Prefect UI (only under Prefect; keys: lowercase, digits, -)."""
    if _under_prefect.get():
        # lazy: Prefect loads only when a flow runs through it
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(key=key, markdown=markdown)


def artifact_table(key: str, rows: list[dict]) -> None:
    """A table artifact in the Prefect UI (only under Prefect)."""
    if _under_prefect.get():
        # lazy: Prefect loads only when a flow runs through it
        from prefect.artifacts import create_table_artifact

        create_table_artifact(key=key, table=rows)


def current_api_url() -> str | None:
    """The Prefect API this run's own REST calls go to (the calendar, releasing a sign-off):
    danvan's setting (``DANVAN_PREFECT_API_URL``/``PREFECT_API_URL``) when set, else the one the
    run reports to."""
    if not _under_prefect.get():
        return None
    # lazy: Prefect loads only when a flow runs through it
    from prefect.settings import PREFECT_API_URL

    return get_settings().prefect_api_url or PREFECT_API_URL.value()


def decision_instant() -> datetime | None:
    """When this run last changed state (a resumed sign-off: the moment it was answered)."""
    if not _under_prefect.get():
        return None
    # lazy: Prefect loads only when a flow runs through it
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    state = ctx.flow_run.state if ctx and ctx.flow_run else None
    if state is None or state.timestamp is None:
        return None
    return datetime.fromtimestamp(state.timestamp.timestamp(), tz=UTC)


def wait_for_input(form: type, key: str) -> Any:
    """Suspend this run until someone answers ``form`` in the Prefect UI (or by the API).

    Suspended, not paused: the process exits and the run resumes days later if need be (a pause
    times out after an hour); on resume the flow runs again from the top and this call returns
    the answer given.
    """
    # lazy: Prefect loads only when a flow runs through it
    from prefect.flow_runs import suspend_flow_run

    return suspend_flow_run(wait_for_input=form, key=key, timeout=None)
