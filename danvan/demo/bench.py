"""``danvan bench``: time every stage of a cycle on a synthetic province of N units.

Why: a province is up to ~1,000 units and the country ~25,000; this tells an operator, on their
own machine and database, how long an import, a batch of submissions, a status page, a day of
reminders and a compilation take. Everything runs in-process through the same code the CLI
runs (the flows' plain bodies, no Prefect server), on a database of its own.

Units get no contacts while the plan is issued (so nothing goes to the network); a second org
import then gives each one a local contact so that the reminder stage renders every message,
as on a real day. The reminder stage only *builds* the day's messages: nothing is sent.
"""

from __future__ import annotations

import inspect
import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from danvan.config.settings import get_settings
from danvan.demo.bench_portal import PORTAL_AT, portal_stages
from danvan.demo.synthetic import (  # noqa: F401 (re-exported: tests and the CLI use bench.*)
    BENCH_CONTACT,
    CRITERIA,
    PLAN,
    PROVINCE,
    TZ,
    YEAR,
    fill_workbook,
    submission,
    synthetic_org,
    write_json,
)
from danvan.flows import compile as compile_module
from danvan.flows.intake import submit, submit_inbox
from danvan.flows.plan import issue_plan
from danvan.models.db import get_engine, reading
from danvan.models.schema import upgrade
from danvan.rules.errors import reject
from danvan.rules.timing import parse_instant
from danvan.rules.xlsx_read import read_xlsx
from danvan.runtime.lazy import LazyFlow
from danvan.tasks import compile as compile_task
from danvan.tasks import floors
from danvan.tasks.files import xlsx_limits
from danvan.tasks.org import import_org
from danvan.tasks.remind import plan_day
from danvan.tasks.templates import write_templates
from danvan.tasks.views import cycle_status, has_units
from danvan.workbook.read import read_workbook

ISSUE_AT = "2024-02-17T09:00"
SUBMIT_AT = "2024-11-09T10:00"
REMIND_AT = "2024-11-07T08:30"  # 3 days before the deadline, before anyone submitted
STATUS_AT = "2024-11-12T08:00"
COMPILE_AT = "2024-11-15T08:00"


@dataclass
class Stage:
    """One timed stage: how many units it handled, its wall and CPU time, what it found, and
    beside it its floor (the least the same work costs, ``danvan.demo.floors``) in CPU time."""

    name: str
    units: int
    seconds: float | None = None
    cpu: float | None = None
    note: str = ""
    floor_cpu: float | None = None
    floor_note: str = ""

    @property
    def per_second(self) -> float | None:
        if not self.seconds:
            return None
        return self.units / self.seconds

    @property
    def ratio(self) -> float | None:
        """CPU time over the floor's: how far the stage is from what its work needs."""
        if self.cpu is None or not self.floor_cpu:
            return None
        return self.cpu / self.floor_cpu


def cpu_now() -> float:
    """This process's CPU time, its finished children's, and compile's worker processes': their
    forkserver's and its finished workers' where ``/proc`` tells (the writers' imports and the
    workers' start-up included), else what the workers measured while writing."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = compile_task.writers_cpu()
    if workers is None:
        workers = sum(compile_task.WORKER_CPU)
    return time.process_time() + children.ru_utime + children.ru_stime + workers


@dataclass
class BenchRun:
    units: int
    database: str
    provinces: int = 1
    skip: frozenset[str] = frozenset()
    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, units: int) -> Iterator[Stage]:
        s = Stage(name, units)
        start, cpu = time.perf_counter(), cpu_now()
        yield s
        s.seconds, s.cpu = time.perf_counter() - start, cpu_now() - cpu
        self.stages.append(s)

    def floor(self, work: Callable[[], str]) -> None:
        """Time ``work`` (the floor of the stage just timed) in CPU and put it beside it."""
        cpu = cpu_now()
        note = work()
        s = self.stages[-1]
        s.floor_cpu, s.floor_note = cpu_now() - cpu, note

    def skip_stage(self, name: str, note: str) -> None:
        self.stages.append(Stage(name, 0, None, None, note))

    def wants(self, key: str) -> bool:
        return key not in self.skip


#: Stages ``--skip`` may leave out (the org, the plan and the JSON intake always run).
SKIPPABLE = ("templates", "inbox", "workbooks", "status", "remind", "compile", "portal")


# --- the run ------------------------------------------------------------------------------------


def run_bench(
    n: int,
    workdir: Path,
    database_url: str,
    *,
    provinces: int = 1,
    skip: Iterable[str] = (),
    portal_port: int | None = None,
) -> BenchRun:
    """Build ``provinces`` provinces of ``n`` units in ``database_url`` (which must be empty) and
    time every stage on the last one, ``BEN``, with the others beside it: one province's cost,
    in a database that holds the rest of the country (SPEC §4). Each stage is timed in wall and
    CPU time, and beside it its floor (``danvan.demo.floors``) in CPU time."""

    def at(value: str) -> datetime:
        return parse_instant(value, TZ)

    engine = get_engine(database_url)
    upgrade(engine)
    with reading(engine) as session:
        if has_units(session):
            raise reject(
                "database_not_empty",
                "--database-url",
                "Cơ sở dữ liệu thử tải phải trống (bench tạo tỉnh riêng của nó).",
            )
    assert get_settings().database_url == database_url, "tasks must write to the bench database"
    write_json(workdir / "criteria.json", CRITERIA)
    run = BenchRun(units=n, database=engine.url.render_as_string(hide_password=True),
                   provinces=provinces, skip=frozenset(skip))  # fmt: skip
    if provinces > 1:
        with run.stage(f"{provinces - 1} tỉnh khác: nạp cây + ban hành", n * (provinces - 1)) as s:
            for p in range(1, provinces):
                code = f"B{p:02d}"
                org = write_json(
                    workdir / f"org-{code}.json", {"units": synthetic_org(n, province=code)}
                )
                import_org(org, at(ISSUE_AT))
                issue_plan.fn(write_json(workdir / f"plan-{code}.json", PLAN | {"province": code}),
                              at(ISSUE_AT))  # fmt: skip
            s.note = f"{provinces - 1} × {n} đơn vị"
    with _province_scope(PROVINCE):
        _province_stages(run, n, workdir, at, portal_port)
    return run


@contextmanager
def _province_scope(code: str) -> Iterator[None]:
    """What ``--province`` does for a command (``DANVAN_PROVINCE``), for the bench's stages."""
    previous = os.environ.get("DANVAN_PROVINCE")
    os.environ["DANVAN_PROVINCE"] = code
    get_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DANVAN_PROVINCE", None)
        else:
            os.environ["DANVAN_PROVINCE"] = previous
        get_settings.cache_clear()


def _province_stages(
    run: BenchRun,
    n: int,
    workdir: Path,
    at: Callable[[str], datetime],
    portal_port: int | None,
) -> None:
    org = synthetic_org(n)
    org_file = write_json(workdir / "org.json", {"units": org})
    plan_file = write_json(workdir / "plan.json", PLAN)
    assessed = [u["code"] for u in org if u["kind"] != "province"]
    subs = workdir / "submissions"
    subs.mkdir(exist_ok=True)
    paths = [write_json(subs / f"{c}.json", submission(c, i)) for i, c in enumerate(assessed)]

    with run.stage("org import", n) as s:
        created = import_org(org_file, at(ISSUE_AT)).created
        s.note = f"{len(created)} đơn vị"
    run.floor(lambda: floors.org_floor(org))
    with run.stage("plan issue", len(assessed)) as s:
        issued = issue_plan.fn(plan_file, at(ISSUE_AT))
        s.note = f"{len(issued['sent'])} thông báo (đơn vị không có địa chỉ)"
    templates = _template_stages(run, workdir / "mau", len(assessed))
    with run.stage("submit: JSON (one batch)", len(paths)) as s:
        results = submit.fn(paths, at(SUBMIT_AT))
        s.note = f"{sum(r['accepted'] for r in results)}/{len(paths)} tệp được nhận"
    run.floor(lambda: floors.json_intake_floor(paths))
    if run.wants("inbox"):
        _inbox_stage(run, workdir / "hop-thu", assessed, at(SUBMIT_AT))
    if run.wants("workbooks") and templates:
        _workbook_intake(run, templates, workdir / "dien", at(SUBMIT_XLSX_AT))
    if run.wants("status"):
        with run.stage("status (in-process)", len(assessed)) as s:
            with reading(get_engine()) as session:
                doc = cycle_status(session, year=YEAR, at=at(STATUS_AT))
            s.note = f"{doc['summary']['submitted']}/{doc['summary']['expected']} đã nộp"
        run.floor(lambda: floors.status_floor(YEAR))
    if run.wants("remind"):
        contacts = {"units": synthetic_org(n, True)}
        contacts_file = write_json(workdir / "org-contacts.json", contacts)
        with run.stage("org update (contacts)", n) as s:
            s.note = f"{len(import_org(contacts_file, at(ISSUE_AT)).updated)} đơn vị cập nhật"
        with run.stage("reminders for a day", len(assessed)) as s:
            day = plan_day(YEAR, at(REMIND_AT))
            s.note = f"{len(day.queued)} tin nhắn dựng (không gửi)"
    if run.wants("compile"):
        _compile_stage(run, workdir, at(COMPILE_AT), len(assessed))
        compilers = sum(1 for u in org if u["kind"] in ("province", "district"))
        run.floor(lambda: floors.compile_floor(workdir / "floor-compile", compilers, len(assessed)))
    if run.wants("portal"):
        portal_stages(run, org, at(PORTAL_AT), workdir / "portal", portal_port)


def _inbox_stage(run: BenchRun, inbox: Path, assessed: list[str], when: datetime) -> None:
    """Every unit's next version (figures of the next unit's) dropped in a folder (untimed),
    then one ``submit --inbox`` run: claimed, recorded set-wise, each filed with its answer."""
    inbox.mkdir(exist_ok=True)
    names = [Path(write_json(inbox / f"{c}.json", submission(c, i + 1))).name
             for i, c in enumerate(assessed)]  # fmt: skip
    with run.stage("submit: inbox (one run, new versions)", len(names)) as s:
        taken = submit_inbox.fn(str(inbox), when)
        s.note = f"{sum(f['accepted'] for f in taken['files'])}/{len(names)} tệp được nhận"
    run.floor(lambda: floors.json_intake_floor([str(inbox / "accepted" / n) for n in names]))


#: Workbooks filled and sent in the workbook intake stage: the per-file cost is what it shows,
#: and filling a workbook (openpyxl, untimed) costs more than reading it.
WORKBOOK_SAMPLE = 1000
SUBMIT_XLSX_AT = "2024-11-09T15:00"


def _template_stages(run: BenchRun, out: Path, units: int) -> list[Path]:
    """Write every unit's workbook, then read each back as intake does (gate, calamine, layout)."""
    if not run.wants("templates") and not run.wants("workbooks"):
        return []
    with run.stage("templates: write", units) as s:
        paths = write_templates(YEAR, out=out)
        s.note = f"{len(paths)} tệp .xlsx"
    first = paths[0].read_bytes() if paths else b""
    run.floor(
        lambda: floors.templates_floor(out.parent / "floor-mau", [p.stem for p in paths], first)
    )
    if not run.wants("templates"):
        return paths
    limits = xlsx_limits("submission")
    with run.stage("templates: read back", len(paths)) as s:
        rows = 0
        for path in paths:
            book = read_xlsx(path.name, path.read_bytes(), limits)
            rows += len(read_workbook(book.sheets, no_value=book.no_value).cells)
        s.note = f"{rows} ô được định vị"
    run.floor(lambda: floors.workbook_intake_floor(paths))
    return paths


def _workbook_intake(run: BenchRun, templates: list[Path], out: Path, when: datetime) -> None:
    """Fill a sample of the templates as an official would (untimed), then submit them in one
    batch: the README's way of sending a self-assessment."""
    out.mkdir(parents=True, exist_ok=True)
    sample = templates[: min(len(templates), WORKBOOK_SAMPLE)]
    filled = [fill_workbook(p, out / p.name, i) for i, p in enumerate(sample)]
    with run.stage("submit: workbooks (one batch)", len(filled)) as s:
        results = submit.fn([str(p) for p in filled], when)
        s.note = f"{sum(r['accepted'] for r in results)}/{len(filled)} tệp được nhận"
    run.floor(lambda: floors.workbook_intake_floor(filled))


def _compile_stage(run: BenchRun, workdir: Path, at: datetime, units: int) -> None:
    """Time ``danvan.flows.compile``'s flow (skipped when it is not recognised)."""
    call = _compile_call(compile_module, workdir / "out", at)
    if call is None:
        run.skip_stage("compile", "bỏ qua: không nhận ra flow tổng hợp trong danvan.flows.compile")
        return
    with run.stage("compile", units) as s:
        call()
        s.note = "tỉnh và mọi đơn vị tổng hợp"


def _compile_call(module: Any, out: Path, at: datetime) -> Callable[[], Any] | None:
    """The module's flow, called with the arguments its signature asks for by name."""
    flows = [v for v in vars(module).values() if isinstance(v, LazyFlow)]
    if len(flows) != 1:
        return None
    fn = flows[0].fn
    known = {"year": YEAR, "cycle": YEAR, "at": at, "out": str(out), "out_dir": str(out)}
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in known:
            kwargs[name] = known[name]
        elif param.default is inspect.Parameter.empty:
            return None
    return lambda: fn(**kwargs)
