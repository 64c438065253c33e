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
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from danvan.config.settings import get_settings
from danvan.demo.load import Timings, read_pages, request_costs, upload_all
from danvan.flows import compile as compile_module
from danvan.flows.intake import submit
from danvan.flows.plan import issue_plan
from danvan.models.db import get_engine, reading
from danvan.models.schema import upgrade
from danvan.portal.server import running
from danvan.rules.errors import reject
from danvan.rules.timing import parse_instant
from danvan.rules.xlsx_read import read_xlsx
from danvan.runtime.lazy import LazyFlow
from danvan.tasks.files import xlsx_limits
from danvan.tasks.links import link_paths
from danvan.tasks.org import import_org
from danvan.tasks.remind import plan_day
from danvan.tasks.templates import write_templates
from danvan.tasks.views import cycle_status, has_units
from danvan.workbook.read import read_workbook

YEAR = 2024
PROVINCE = "BEN"
TZ = "Asia/Ho_Chi_Minh"
#: Never contacted: the bench builds reminders but sends none.
BENCH_CONTACT = "json://127.0.0.1:9/danvan-bench"
ISSUE_AT = "2024-02-17T09:00"
SUBMIT_AT = "2024-11-09T10:00"
REMIND_AT = "2024-11-07T08:30"  # 3 days before the deadline, before anyone submitted
STATUS_AT = "2024-11-12T08:00"
COMPILE_AT = "2024-11-15T08:00"


@dataclass
class Stage:
    """One timed stage: how many units it handled, in how long, and what it found."""

    name: str
    units: int
    seconds: float | None = None
    note: str = ""

    @property
    def per_second(self) -> float | None:
        if not self.seconds:
            return None
        return self.units / self.seconds


@dataclass
class BenchRun:
    units: int
    database: str
    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, units: int) -> Iterator[Stage]:
        s = Stage(name, units)
        start = time.perf_counter()
        yield s
        s.seconds = time.perf_counter() - start
        self.stages.append(s)

    def skip(self, name: str, note: str) -> None:
        self.stages.append(Stage(name, 0, None, note))


# --- the synthetic province ---------------------------------------------------------------------


def synthetic_org(n: int, contacts: bool = False) -> list[dict[str, Any]]:
    """Exactly ``n`` units shaped like a province of 1,000: the province, ~3% departments,
    ~1.2% districts, each district with ~1 office for every 6 communes."""
    if n < 4:
        raise ValueError("a bench province needs at least 4 units")
    departments = max(1, n * 30 // 1000)
    districts = max(1, n * 12 // 1000)
    rest = n - 1 - departments - districts
    units = [_unit(PROVINCE, "Ủy ban nhân dân tỉnh Bến (thử tải)", "province", None, contacts)]
    for i in range(1, departments + 1):
        units.append(_unit(f"{PROVINCE}.S{i:02d}", f"Sở {i:02d}", "department", PROVINCE, contacts))
    for d in range(1, districts + 1):
        code = f"{PROVINCE}.H{d:02d}"
        units.append(_unit(code, f"Ủy ban nhân dân huyện {d:02d}", "district", PROVINCE, contacts))
        share = rest // districts + (1 if d <= rest % districts else 0)
        offices = share // 7
        for i in range(1, offices + 1):
            units.append(
                _unit(f"{code}.P{i:02d}", f"Phòng {i:02d}", "district_office", code, contacts)
            )
        for i in range(1, share - offices + 1):
            units.append(_unit(f"{code}.X{i:03d}", f"Xã {i:03d}", "commune", code, contacts))
    return units


def _unit(code: str, name: str, kind: str, parent: str | None, contacts: bool) -> dict[str, Any]:
    unit: dict[str, Any] = {"code": code, "name": name, "kind": kind}
    if parent:
        unit["parent"] = parent
    if contacts:
        unit["contacts"] = [BENCH_CONTACT]
    return unit


CRITERIA: dict[str, Any] = {
    "code": "BEN-BENCH",
    "name": "Bộ tiêu chí thử tải",
    "groups": [
        {
            "code": g,
            "name": f"Nhóm {g}",
            "criteria": [{"code": str(c), "name": f"Tiêu chí {c}", "max": 10} for c in crit],
        }
        for g, crit in (("I", range(1, 4)), ("II", range(4, 8)), ("III", range(8, 11)))
    ],
    "bonus_max": 5,
    "penalty_max": 10,
    "bands": [
        {"name": "Tốt", "min": 90},
        {"name": "Khá", "min": 70},
        {"name": "Trung bình", "min": 50},
        {"name": "Yếu", "min": 0},
    ],
}

PLAN: dict[str, Any] = {
    "province": PROVINCE,
    "year": YEAR,
    "title": "Kế hoạch thử tải",
    "issued_on": "2024-02-17",
    "criteria": "criteria.json",
    "deadlines": {
        "self_assessment": "2024-11-10",
        "district_compilation": "2024-11-20",
        "province_scoring": "2024-11-29",
    },
    "reminders": {
        "before_days": [14, 7, 3, 1],
        "overdue_every_days": 2,
        "escalate_after_days": 3,
        "send_at": "08:00",
        "working_days_only": True,
    },
    "timezone": TZ,
}


def submission(code: str, i: int) -> dict[str, Any]:
    """A valid self-assessment with scores and figures that vary by unit (deterministic)."""
    received = 50 + i % 200
    resolved = received - i % 7
    return {
        "unit": code,
        "year": YEAR,
        "submitted_by": "Người thử tải",
        "scores": {str(c): 10 - (i + c) % 4 * 0.5 for c in range(1, 11)},
        "bonus": i % 3,
        "figures": {
            "admin_procedures": {
                "received": received,
                "online": received // 2,
                "resolved": resolved,
                "on_time": resolved - i % 3,
                "overdue": i % 3,
            },
            "mediation": {"received": i % 9, "successful": i % 9 // 2, "unsuccessful": i % 9 // 3},
        },
    }


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


# --- the run ------------------------------------------------------------------------------------


def run_bench(n: int, workdir: Path, database_url: str) -> BenchRun:
    """Build the province in ``database_url`` (which must be empty) and time every stage."""

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

    org = synthetic_org(n)
    org_file = write_json(workdir / "org.json", {"units": org})
    write_json(workdir / "criteria.json", CRITERIA)
    plan_file = write_json(workdir / "plan.json", PLAN)
    assessed = [u["code"] for u in org if u["kind"] != "province"]
    subs = workdir / "submissions"
    subs.mkdir(exist_ok=True)
    paths = [write_json(subs / f"{c}.json", submission(c, i)) for i, c in enumerate(assessed)]

    run = BenchRun(units=n, database=engine.url.render_as_string(hide_password=True))
    with run.stage("org import", n) as s:
        created = import_org(org_file, at(ISSUE_AT)).created
        s.note = f"{len(created)} đơn vị"
    with run.stage("plan issue", len(assessed)) as s:
        issued = issue_plan.fn(plan_file, at(ISSUE_AT))
        s.note = f"{len(issued['sent'])} thông báo (đơn vị không có địa chỉ)"
    _template_stages(run, workdir / "mau", len(assessed))
    with run.stage("submit (one batch)", len(paths)) as s:
        results = submit.fn(paths, at(SUBMIT_AT))
        s.note = f"{sum(r['accepted'] for r in results)}/{len(paths)} tệp được nhận"
    with run.stage("status", len(assessed)) as s:
        with reading(get_engine()) as session:
            doc = cycle_status(session, year=YEAR, at=at(STATUS_AT))
        s.note = f"{doc['summary']['submitted']}/{doc['summary']['expected']} đã nộp"
    contacts_file = write_json(workdir / "org-contacts.json", {"units": synthetic_org(n, True)})
    with run.stage("org update (contacts)", n) as s:
        s.note = f"{len(import_org(contacts_file, at(ISSUE_AT)).updated)} đơn vị cập nhật"
    with run.stage("reminders for a day", len(assessed)) as s:
        day = plan_day(YEAR, at(REMIND_AT))
        s.note = f"{len(day.queued)} tin nhắn dựng (không gửi)"
    _compile_stage(run, workdir, at(COMPILE_AT), len(assessed))
    _portal_stages(run, org, at(PORTAL_AT))
    return run


def _template_stages(run: BenchRun, out: Path, units: int) -> None:
    """Write every unit's workbook, then read each back as intake does (gate, calamine, layout)."""
    with run.stage("templates: write", units) as s:
        paths = write_templates(YEAR, out=out)
        s.note = f"{len(paths)} tệp .xlsx"
    limits = xlsx_limits("submission")
    with run.stage("templates: read back", len(paths)) as s:
        rows = 0
        for path in paths:
            book = read_xlsx(path.name, path.read_bytes(), limits)
            rows += len(read_workbook(book.sheets, no_value=book.no_value).cells)
        s.note = f"{rows} ô được định vị"


#: How many units the portal stages sample (pages read, files sent) and how many at once.
PORTAL_SAMPLE = 100
PORTAL_CONCURRENCY = 8
#: Requests of each kind measured one after another for the CPU per request.
PORTAL_REPEAT = 10
PORTAL_AT = "2024-11-12T09:00"


def _portal_stages(run: BenchRun, org: list[dict[str, Any]], at: datetime) -> None:
    """Page and upload latencies of the portal (in-process on 127.0.0.1, a thread): a sample of
    units open their links (the link's page, then its button: ``danvan.demo.load.sign_in``) and
    read their page, a district and the province read theirs, then the sample sends new versions
    ``PORTAL_CONCURRENCY`` at a time. Targets: p95 page ≤ 300 ms, upload ≤ 1 s."""
    assessed = [u["code"] for u in org if u["kind"] != "province"]
    step = max(1, len(assessed) // PORTAL_SAMPLE)
    sample = assessed[::step][:PORTAL_SAMPLE]
    district = next(u["code"] for u in org if u["kind"] == "district")
    links = _bench_links([*sample, district, PROVINCE], at)
    files = {
        code: (f"{code}.json", json.dumps(submission(code, i + 1)).encode())
        for i, code in enumerate(sample)
    }
    with running(now=lambda: at, rate_burst=10_000, open_burst=10_000) as url:
        with run.stage("portal pages", len(sample) + 40) as s:
            pages: list[float] = []
            for code in sample:
                pages += read_pages(url, links[code], ["/don-vi"], 1)
            district_pages = read_pages(url, links[district], ["/tong-hop"], 20)
            province_pages = read_pages(url, links[PROVINCE], ["/tong-hop"], 20)
            s.note = (
                f"p95 đơn vị {_ms(Timings.p(pages, 0.95))}, "
                f"huyện {_ms(Timings.p(district_pages, 0.95))}, "
                f"tỉnh ({len(assessed)} đơn vị) {_ms(Timings.p(province_pages, 0.95))}"
            )
        with run.stage("portal uploads", len(sample)) as s:
            t = upload_all(url, {c: links[c] for c in sample}, files, PORTAL_CONCURRENCY)
            s.note = (
                f"{t.accepted}/{len(sample)} nhận, {PORTAL_CONCURRENCY} cùng lúc: "
                f"p50 {_ms(Timings.p(t.upload, 0.5))}, p95 {_ms(Timings.p(t.upload, 0.95))}"
            )
        with run.stage("portal CPU/request", 4 * PORTAL_REPEAT) as s:
            one = sample[0]  # new versions of one unit's file, each different
            again = [
                (f"{one}.json", json.dumps(submission(one, 100 + i)).encode())
                for i in range(PORTAL_REPEAT)
            ]
            costs = request_costs(url, links[one], links[PROVINCE], again, PORTAL_REPEAT)
            s.note = "; ".join(
                f"{c.name} CPU {c.cpu * 1000:.1f} ms, p95 {_ms(c.p95)}" for c in costs
            )


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def _bench_links(codes: list[str], at: datetime) -> dict[str, str]:
    return link_paths(YEAR, codes, at, "bench")


def _compile_stage(run: BenchRun, workdir: Path, at: datetime, units: int) -> None:
    """Time ``danvan.flows.compile``'s flow (skipped when it is not recognised)."""
    call = _compile_call(compile_module, workdir / "out", at)
    if call is None:
        run.skip("compile", "bỏ qua: không nhận ra flow tổng hợp trong danvan.flows.compile")
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
