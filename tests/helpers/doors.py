"""Three doors to one cycle: the CLI, the portal and the flows, driven the same way (issue 15).

Each door takes the same action on its own database, put in the same state before it (the small
province of ``small_province`` built the same way at the same instants, every unit's contact on
a local HTTP sink, so every message is queued and delivered for real on 127.0.0.1). What the action recorded is read back as
a *delta* of every table (rows added and removed, ids dropped, foreign keys named by code) and
what the door answered is reduced to the same neutral answer, so two doors can be compared.

Each stage is built once per backend and put in place for every run (SQLite: a copy of the
stage's file; PostgreSQL: the stage's rows and sequences restored into the module's database),
which keeps the whole comparison under a minute.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from openpyxl import load_workbook

from tests.helpers.db import PG_ADMIN_URL, use_database
from tests.helpers.portal import follow_compile
from tests.helpers.province import ISSUE_AT, at, write_province
from tests.helpers.workbooks import fill

YEAR = 2024
PROVINCE = "TST"
DISTRICT = "TST.H01"
UNIT = "TST.H01.X01"  # a commune of the district
OTHER = "TST.H01.X02"  # its neighbour
WORKBOOK = f"{UNIT}-tu-danh-gia-{YEAR}.xlsx"
REPORT = "bao-cao-x01.txt"
REPORT_TEXT = (
    "I. ƯU ĐIỂM\nTổ chức tốt các buổi tiếp công dân định kỳ.\n"
    "II. HẠN CHẾ, TỒN TẠI\nMột số hồ sơ còn chậm.\n"
)
LINKS_AT = "2024-11-01T08:00"
DOORS = ("flow", "cli", "portal")  # the flow first: it is the reference the others match

# ---------------------------------------------------------------------------------------------
# What was recorded: every table, normalised, before and after the action.

#: Columns that say nothing about the action: surrogate keys, random tokens, raw bytes (the
#: sha256 beside them says which bytes).
_DROPPED = {
    "stored_file": {"content"},
    "delivery": {"claimed_by"},
    "portal_link": {"token_sha256"},
}
_ACTORS = {("audit_log", "actor"), ("sign_off", "actor")}
_PORTAL_ONLY = {"compile_request"}


def snapshot(actor: Callable[[str], str]) -> dict[str, list[str]]:
    """Every row of every table as JSON text: ids dropped, references by code, the actor named
    by ``actor`` (the door's own actor becomes ``<door>``). Audit rows of the portal's own
    bookkeeping (``portal_open``, ``portal_download``, ``portal_compile``) are left out: only the
    portal has sessions and downloads; so is ``compile_request``, the portal's "Tổng hợp ngay"
    followed in the background (the compile it runs is the flow's, compared as any other)."""
    from danvan.models.db import get_engine

    out: dict[str, list[str]] = {}
    with get_engine().connect() as conn:
        units = dict(conn.execute(sa.text("select id, code from unit")).all())
        cycles = dict(conn.execute(sa.text("select id, year from cycle")).all())
        subs = {
            i: f"{units[u]}/v{v}"
            for i, u, v in conn.execute(sa.text("select id, unit_id, version from submission"))
        }
        sends = {
            i: f"{units[u]}/{k}/{d}"
            for i, u, k, d in conn.execute(sa.text("select id, unit_id, kind, day from delivery"))
        }
        refs: dict[str, dict] = {
            "unit": units,
            "cycle": cycles,
            "submission": subs,
            "delivery": sends,
        }
        for table in _tables():
            if table.name in _PORTAL_ONLY:
                continue
            cols = [
                c
                for c in table.columns
                if c.name != "id" and c.name not in _DROPPED.get(table.name, ())
            ]
            rows = []
            for raw in conn.execute(sa.select(*cols)).mappings():
                row: dict[str, Any] = {}
                for c in cols:
                    value = raw[c.name]
                    if c.foreign_keys and value is not None:
                        target = next(iter(c.foreign_keys)).column.table.name
                        value = refs.get(target, {}).get(value, value)
                    elif (table.name, c.name) in _ACTORS:
                        value = actor(value)
                    row[c.name] = _plain(value)
                if table.name == "audit_log" and str(row["action"]).startswith("portal_"):
                    continue
                rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
            out[table.name] = rows
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def delta(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict]:
    """table → {"added": rows, "removed": rows} for every table the action changed (an updated
    row is one removed and one added)."""
    out = {}
    for table in after:
        a, b = Counter(after[table]), Counter(before.get(table, []))
        added, removed = sorted((a - b).elements()), sorted((b - a).elements())
        if added or removed:
            out[table] = {
                "added": [json.loads(r) for r in added],
                "removed": [json.loads(r) for r in removed],
            }
    return out


def rows(d: dict[str, dict], table: str, which: str = "added") -> list[dict]:
    return d.get(table, {}).get(which, [])


def differences(mine: dict[str, dict], ref: dict[str, dict], name: str, ref_name: str) -> list[str]:
    """What one delta has that the other has not, table by table, in words (long texts cut)."""
    lines = []
    for table in sorted(set(mine) | set(ref)):
        for which in ("added", "removed"):
            a, b = (
                Counter(_brief(rows(mine, table, which))),
                Counter(_brief(rows(ref, table, which))),
            )
            lines += [
                f"{table} row {which} only by {name}: {r}" for r in sorted((a - b).elements())
            ]
            lines += [
                f"{table} row {which} only by {ref_name}: {r}" for r in sorted((b - a).elements())
            ]
    return lines


def _brief(found: list[dict]) -> list[str]:
    cut = [
        {k: v[:60] + "…" if isinstance(v, str) and len(v) > 64 else v for k, v in r.items()}
        for r in found
    ]
    return [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in cut]


# ---------------------------------------------------------------------------------------------
# The stages a case starts from, each built once per backend and cloned for every door.


@dataclass
class Files:
    """The files the doors send, written once per backend (the workbook needs its cycle)."""

    folder: Path

    @property
    def workbook(self) -> Path:  # the unit's filled workbook, its report beside it
        return self.folder / "wb" / WORKBOOK

    @property
    def workbook_alone(self) -> Path:  # the very same bytes, in a folder without the report
        return self.folder / "alone" / WORKBOOK

    @property
    def yaml(self) -> Path:
        return self.folder / "yaml" / f"{UNIT}.yaml"

    @property
    def bad_yaml(self) -> Path:
        return self.folder / "bad" / f"{UNIT}.yaml"

    @property
    def bad_workbook(self) -> Path:
        return self.folder / "badwb" / WORKBOOK

    @property
    def other_yaml(self) -> Path:
        return self.folder / "x02" / f"{OTHER}.yaml"

    def report_of(self, main: Path) -> list[Path]:
        """The attachments a person sends with ``main`` through the portal (what lies beside it
        for the CLI and the flow)."""
        beside = main.parent / REPORT
        return [beside] if beside.exists() else []


def _doc(unit: str, **extra: Any) -> dict:
    return {
        "unit": unit,
        "year": YEAR,
        "submitted_by": "Chánh Văn phòng UBND xã",
        "scores": {"1": 45, "2": 40},
        "bonus": 1,
        "penalty": 0,
        "figures": {
            "petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 7, "outstanding": 1}
        },
        **extra,
    }


def write_files(folder: Path) -> Files:
    """Every file a case sends (needs the issued cycle: the workbook is the unit's own)."""
    from danvan.tasks.templates import write_templates

    f = Files(folder)
    for sub in ("wb", "alone", "yaml", "bad", "badwb", "x02"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    [blank] = write_templates(YEAR, out=folder / "blank", unit=UNIT)
    figures = {"petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 7, "outstanding": 1}}
    fill(blank, scores={"1": 45, "2": 40}, figures=figures, bonus=1, out=f.workbook)
    book = load_workbook(f.workbook)
    guide = book["Hướng dẫn"]
    next(r for r in guide.iter_rows() if r[0].value == "Tệp báo cáo thuyết minh")[1].value = REPORT
    book.save(f.workbook)
    (f.workbook.parent / REPORT).write_text(REPORT_TEXT, "utf-8")
    shutil.copy(f.workbook, f.workbook_alone)
    (f.yaml.parent / REPORT).write_text(REPORT_TEXT, "utf-8")
    f.yaml.write_text(yaml.safe_dump(_doc(UNIT, report_file=REPORT), allow_unicode=True), "utf-8")
    bad = _doc(UNIT)
    bad["scores"] = {"1": 60, "2": 40}  # above the maximum of 50
    bad["figures"] = {
        "petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 9, "outstanding": 1}
    }  # more resolved than in jurisdiction
    f.bad_yaml.write_text(yaml.safe_dump(bad, allow_unicode=True), "utf-8")
    fill(blank, scores={"1": 60, "2": 40}, figures=bad["figures"], bonus=1, out=f.bad_workbook)
    f.other_yaml.write_text(yaml.safe_dump(_doc(OTHER), allow_unicode=True), "utf-8")
    return f


@dataclass
class Stage:
    """A state of the cycle a case starts from: built on its parent stage by ``build``."""

    parent: str | None
    build: Callable[[Files], None]


def _issued(_: Files) -> None:  # org and plan; built in :meth:`Templates._root`
    return None


def _submitted(f: Files) -> None:
    from danvan.flows.intake import submit

    [r] = submit.fn([str(f.workbook)], at("2024-11-08T10:00"))
    assert r["accepted"] and r["version"] == 1, r


def _both_submitted(f: Files) -> None:
    from danvan.flows.intake import submit

    [r] = submit.fn([str(f.other_yaml)], at("2024-11-09T10:00"))
    assert r["accepted"], r


def _compiled(f: Files) -> None:
    from danvan.flows.compile import compile_reports

    compile_reports.fn(YEAR, at("2024-11-21T09:00"), str(f.folder / "stage-out"))


def _approved(_: Files) -> None:
    from danvan.tasks.signoff import record_sign_off

    record_sign_off(YEAR, PROVINCE, at("2024-11-28T09:00"), "approved", "Đồng ý")


STAGES: dict[str, Stage] = {
    "issued": Stage(None, _issued),
    "submitted": Stage("issued", _submitted),  # the unit's workbook, v1, on time
    "both_submitted": Stage("submitted", _both_submitted),  # and its neighbour's YAML
    "compiled": Stage("both_submitted", _compiled),  # every compiler compiled on 21/11
    "approved": Stage("compiled", _approved),  # the province signed off on 28/11
}


@dataclass
class Built:
    """One backend's stages (saved states), the files, the portal links' tokens."""

    backend: str
    files: Files
    links: dict[str, str]
    saved: dict[str, Any] = field(default_factory=dict)  # stage → what ``States.load`` takes


class SqliteStates:
    """SQLite: every stage a file of its own; each run gets a copy (the backup API)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self) -> Path:
        return self.root / f"db-{uuid.uuid4().hex[:10]}.db"

    def empty(self) -> str:
        return f"sqlite:///{self._path()}"

    def save(self, url: str) -> Any:
        _dispose(url)
        return url.removeprefix("sqlite:///")  # never written again: runs work on copies

    def load(self, saved: Any) -> str:
        path = self._path()
        src, dst = sqlite3.connect(saved), sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return f"sqlite:///{path}"

    def close(self) -> None:
        return None


class PostgresStates:
    """PostgreSQL: one database for the module, its rows and sequences saved per stage and put
    back before each run (a ``CREATE DATABASE … TEMPLATE`` is quick, but every ``DROP DATABASE``
    forces a checkpoint: seconds per run)."""

    def __init__(self) -> None:
        self.url: str | None = None

    def empty(self) -> str:
        assert self.url is None
        name = f"danvan_doors_{uuid.uuid4().hex[:12]}"
        with _admin() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        return self.url

    def save(self, url: str) -> Any:
        _dispose(url)
        with _engine(url) as engine, engine.connect() as conn:
            rows = {
                t.name: [dict(r) for r in conn.execute(sa.select(t)).mappings()] for t in _tables()
            }
            sequences = dict(
                conn.execute(
                    sa.text(
                        "select schemaname || '.' || sequencename, last_value from pg_sequences"
                        " where schemaname = 'public'"
                    )
                ).all()
            )
        return rows, sequences

    def load(self, saved: Any) -> str:
        assert self.url is not None
        _dispose(self.url)
        rows, sequences = saved
        tables = _tables()
        with _engine(self.url) as engine, engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no FK order
            for t in tables:  # DELETE, not TRUNCATE: new files for 17 tables cost more
                conn.execute(t.delete())
            for t in tables:
                if rows[t.name]:
                    conn.execute(t.insert(), rows[t.name])
            for name, value in sequences.items():
                conn.execute(
                    sa.text("select setval(:name, :value, :called)"),
                    {"name": name, "value": value or 1, "called": value is not None},
                )
        return self.url

    def close(self) -> None:
        if self.url is not None:
            _dispose(self.url)
            name = self.url.rsplit("/", 1)[1]
            with _admin() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _tables() -> list[sa.Table]:
    from sqlmodel import SQLModel

    import danvan.models.tables  # noqa: F401  (the tables)

    return list(SQLModel.metadata.sorted_tables)


@contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


class Templates:
    """The stages per backend, built on first use; a database in a stage's state for each run."""

    def __init__(self, root: Path, contact: str) -> None:
        self.root = root
        self.contact = contact
        self.built: dict[str, Built] = {}
        self.states: dict[str, SqliteStates | PostgresStates] = {}

    def close(self) -> None:
        for states in self.states.values():
            states.close()

    @contextmanager
    def database(self, backend: str, stage: str) -> Iterator[tuple[str, Built]]:
        """A database in ``stage``'s state on ``backend``, configured as danvan's database."""
        built = self._stage(backend, stage)
        url = self.states[backend].load(built.saved[stage])
        try:
            with pytest.MonkeyPatch.context() as mp:
                _configure(mp, url, self.root / f"run-{uuid.uuid4().hex[:10]}")
                yield url, built
        finally:
            _settings_changed()
            _dispose(url)

    def _stage(self, backend: str, stage: str) -> Built:
        built = self.built.get(backend) or self._root(backend)
        if stage in built.saved:
            return built
        spec = STAGES[stage]
        assert spec.parent is not None
        self._stage(backend, spec.parent)
        states = self.states[backend]
        url = states.load(built.saved[spec.parent])
        with pytest.MonkeyPatch.context() as mp:
            _configure(mp, url, self.root / backend / stage)
            try:
                spec.build(built.files)
            finally:
                _settings_changed()
        built.saved[stage] = states.save(url)
        return built

    def _root(self, backend: str) -> Built:
        from danvan.flows.plan import issue_plan
        from danvan.models.db import get_engine
        from danvan.models.schema import upgrade
        from danvan.tasks.links import link_paths
        from danvan.tasks.org import import_org

        folder = self.root / backend
        states = self.states[backend] = (
            SqliteStates(self.root) if backend == "sqlite" else PostgresStates()
        )
        url = states.empty()
        with pytest.MonkeyPatch.context() as mp:
            _configure(mp, url, folder)
            try:
                upgrade(get_engine())
                write_province(folder, contact=self.contact)
                import_org(str(folder / "org.yaml"), at(ISSUE_AT))
                issued = issue_plan.fn(str(folder / "plan.yaml"), at(ISSUE_AT))
                assert issued["sent"] and all(s["ok"] for s in issued["sent"]), issued
                links = link_paths(YEAR, [UNIT, DISTRICT, PROVINCE], at(LINKS_AT), "test")
                files = write_files(folder / "files")
            finally:
                _settings_changed()
        built = Built(backend, files, links, {"issued": states.save(url)})
        self.built[backend] = built
        return built


@contextmanager
def _admin() -> Iterator[sa.Connection]:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _configure(mp: pytest.MonkeyPatch, url: str, folder: Path) -> None:
    """danvan's database is ``url``; the working folder and the output folder in ``folder``."""
    use_database(url, mp)
    folder.mkdir(parents=True, exist_ok=True)
    mp.chdir(folder)
    mp.setenv("DANVAN_OUT_DIR", str(folder / "out"))
    mp.delenv("DANVAN_PORTAL_URL", raising=False)
    _settings_changed()


def _settings_changed() -> None:
    from danvan.config.settings import get_settings

    get_settings.cache_clear()


def _dispose(url: str) -> None:
    from danvan.models import db

    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The doors. Each answers in the same neutral terms:
#   submit   {accepted, version, status, days_late, duplicate, problems: [[field, code]]}
#   others   {ok, codes, …what the action says: revise_by, compiled, decision, published}

_CODE = re.compile(r"\[([a-z][a-z0-9_]*)\]")


def _submit_answer(r: dict) -> dict:
    return {
        "accepted": bool(r["accepted"]),
        "version": r.get("version"),
        "status": r.get("status"),
        "days_late": r.get("days_late"),
        "duplicate": bool(r.get("duplicate")),
        "problems": sorted([p.get("field") or "", p["code"]] for p in r.get("problems") or []),
    }


def _codes(text: str) -> list[str]:
    return sorted(set(_CODE.findall(text)))


class Door:
    """One way in. ``enter(code, at)`` before the action (the portal opens the unit's link);
    ``actor(value)`` names the door's own actor ``<door>`` in the records."""

    name = ""

    def __init__(self, built: Built, work: Path) -> None:
        self.built = built
        self.work = work

    def settle(self) -> None:
        """Wait for what the door does after answering (the portal: its courier's deliveries)."""
        from danvan.tasks import courier

        assert courier.wait_idle(60), "the courier did not finish its deliveries"

    def enter(self, code: str, when: str) -> None:
        self.when = when

    def close(self) -> None:
        return None

    def actor(self, value: str) -> str:
        return value

    def appraisal_file(self, by: str, doc: dict) -> Path:
        """The appraisal as the portal builds it from its form (the same bytes, the same name)."""
        path = self.work / f"tham-dinh-{by}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path


class CliDoor(Door):
    """``danvan …`` through the real Typer app, in-process, ``--format json`` where it has one."""

    name = "cli"

    def actor(self, value: str) -> str:
        return "<door>" if value == "cli" or value.startswith("cli:") else value

    def run(self, *args: str | Path) -> tuple[int, str, str]:
        from typer.testing import CliRunner

        from danvan.cli import app

        r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr

    def submit(self, main: Path, attachments: list[Path]) -> dict:
        code, out, err = self.run("submit", main, "--at", self.when, "--format", "json")
        if not out.strip():  # refused before any file was read: the codes are on stderr
            problems = [{"field": "", "code": c} for c in _codes(err)]
            answer = _submit_answer({"accepted": False, "problems": problems})
        else:
            answer = _submit_answer(json.loads(out)["files"][0])
        if code != (0 if answer["accepted"] else 1):  # SPEC §4: 0 success, 1 rejected input
            answer["cli_exit_code"] = code
        return answer

    def _json(self, *args: str | Path) -> dict:
        code, out, err = self.run(*args, "--at", self.when, "--format", "json")
        if code != 0:  # SPEC §4: 1 rejected input (with its codes), 2 a usage error
            return {"ok": False, "codes": _codes(err) or [f"exit_{code}"]}
        return {"ok": True, "codes": [], "doc": json.loads(out)}

    def appraise(self, by: str, doc: dict) -> dict:
        r = self._json("appraise", self.appraisal_file(by, doc))
        return {"ok": r["ok"], "codes": r["codes"]}

    def return_(self, unit: str, by: str, reason: str) -> dict:
        r = self._json(
            "return", "--cycle", str(YEAR), "--unit", unit, "--by", by, "--reason", reason
        )
        return {
            "ok": r["ok"],
            "codes": r["codes"],
            "revise_by": r["doc"]["revise_by"] if r["ok"] else None,
        }

    def compile(self, unit: str, out: Path) -> dict:
        r = self._json("compile", "--cycle", str(YEAR), "--unit", unit, "--out", out)
        compiled = sorted(c["compiler"] for c in r["doc"]["compiled"]) if r["ok"] else []
        return {"ok": r["ok"], "codes": r["codes"], "compiled": compiled}

    def approve(self, by: str, note: str) -> dict:
        r = self._json("approve", "--cycle", str(YEAR), "--by", by, "--note", note)
        doc = r.get("doc") or {}
        return {"ok": r["ok"], "codes": r["codes"], "decision": doc.get("decision")}

    def publish(self) -> dict:
        r = self._json("publish", "--cycle", str(YEAR))
        return {
            "published": bool(r["ok"] and r["doc"]["published"]),
            "waiting_for_sign_off": "not_approved" in r["codes"],
        }


class FlowDoor(Door):
    """The flows of flows/*.py called in-process (no Prefect), as ``danvan serve`` runs them."""

    name = "flow"

    def actor(self, value: str) -> str:
        # in-process the flows keep their default actor ("cli"); the sign-off form records
        # "prefect-ui" and the publication run "prefect:<province>"
        return "<door>" if value in ("cli", "prefect-ui") or value.startswith("prefect:") else value

    def submit(self, main: Path, attachments: list[Path]) -> dict:
        from danvan.flows.intake import submit

        [r] = submit([str(main)], at(self.when))
        return _submit_answer(r)

    def _call(self, fn: Callable[[], Any]) -> tuple[dict, Any]:
        from danvan.rules.errors import Rejected

        try:
            return {"ok": True, "codes": []}, fn()
        except Rejected as exc:
            return {"ok": False, "codes": sorted({p.code for p in exc.problems})}, None

    def appraise(self, by: str, doc: dict) -> dict:
        from danvan.flows.appraise import appraise

        path = self.appraisal_file(by, doc)
        return self._call(lambda: appraise(str(path), at(self.when)))[0]

    def return_(self, unit: str, by: str, reason: str) -> dict:
        from danvan.flows.revision import return_for_revision

        r, doc = self._call(
            lambda: return_for_revision(at(self.when), year=YEAR, unit=unit, by=by, reason=reason)
        )
        return r | {"revise_by": doc["revise_by"] if doc else None}

    def compile(self, unit: str, out: Path) -> dict:
        from danvan.flows.compile import compile_reports

        r, doc = self._call(lambda: compile_reports(YEAR, at(self.when), str(out), unit))
        return r | {"compiled": sorted(c["compiler"] for c in doc["compiled"]) if doc else []}

    def approve(self, by: str, note: str) -> dict:
        # The flow's sign-off door is the form of the publication run (``sign-off-and-publish``):
        # answered in the Prefect UI, the run records it through ``record_answer``. Without a
        # Prefect server the form cannot be shown, so the answer is given to that step directly.
        from danvan.tasks.signoff import record_answer

        r, decision = self._call(
            lambda: record_answer(YEAR, True, note, at(self.when), actor="prefect-ui")
        )
        return r | {"decision": decision.decision if decision else None}

    def publish(self) -> dict:
        # The publication run of SPEC §5 (``xep-loai``): it publishes once the province has
        # signed off and otherwise waits for the sign-off form. In-process it cannot suspend, and
        # Prefect says so: that is its "waiting", and nothing is published.
        from danvan.flows.signoff import sign_off_and_publish

        try:
            doc = sign_off_and_publish(YEAR, at(self.when))
        except RuntimeError as exc:
            if "suspended" not in str(exc):
                raise
            return {"published": False, "waiting_for_sign_off": True}
        return {"published": bool(doc["published"]), "waiting_for_sign_off": False}


class PortalDoor(Door):
    """The portal's own routes over HTTP (uvicorn on 127.0.0.1, as the portal tests run it),
    signed in by a personal link, its clock at the action's instant."""

    name = "portal"

    def enter(self, code: str, when: str) -> None:
        import httpx

        from danvan.demo.load import sign_in
        from danvan.portal.server import running

        self.when, self.code = when, code
        moment = at(when)
        self._server = running(now=lambda: moment)
        url = self._server.__enter__()
        self.client = httpx.Client(base_url=url, follow_redirects=True, timeout=60)
        sign_in(self.client, self.built.links[code])  # the link's page, then its button

    def close(self) -> None:
        if hasattr(self, "client"):
            self.client.close()
            self._server.__exit__(None, None, None)

    def actor(self, value: str) -> str:
        return "<door>" if value == f"portal:{self.code}" else value

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found is not None, page.text[:500]
        return found.group(1)

    def submit(self, main: Path, attachments: list[Path]) -> dict:
        files = [("tep", (main.name, main.read_bytes()))]
        files += [("kem_theo", (a.name, a.read_bytes())) for a in attachments]
        r = self.client.post("/don-vi/nop", data={"csrf": self.csrf("/don-vi")}, files=files)
        answer = self._answer_page(r.text)
        if r.status_code != (200 if answer["accepted"] else 422):
            answer["portal_status"] = r.status_code
        return answer

    @staticmethod
    def _answer_page(page: str) -> dict:
        text = html.unescape(page)
        if 'class="banner ok"' in page:
            late = re.search(r"trễ (\d+) ngày", text)
            version = re.search(r"phiên bản (\d+)", text)
            return {
                "accepted": True,
                "version": int(version.group(1)) if version else None,
                "status": "late" if late else "on_time",
                "days_late": int(late.group(1)) if late else 0,
                "duplicate": "đã nhận trước đó" in text,  # SPEC §4.5's words
                "problems": [],
            }
        problems = re.findall(
            r'<td class="cell">(.*?)</td><td>.*?\[([a-z0-9_]+)\]</code>', text, re.S
        )
        return {
            "accepted": False,
            "version": None,
            "status": None,
            "days_late": None,
            "duplicate": False,
            "problems": sorted([f if f != "—" else "", c] for f, c in problems),
        }

    def _post(self, path: str, form: dict, page: str) -> tuple[dict, str]:
        r = self.client.post(path, data={"csrf": self.csrf(page), **form}, follow_redirects=False)
        if r.status_code == 303:
            return {"ok": True, "codes": []}, self.client.get(r.headers["location"]).text
        return {"ok": False, "codes": _codes(r.text)}, r.text

    def appraise(self, by: str, doc: dict) -> dict:
        assert by == self.code
        form: dict[str, str] = {}
        for line in doc["adjustments"]:
            unit = line["unit"]
            if "criterion" in line:
                form[f"diem_{line['criterion']}"] = f"{line['score']:g}"
                form[f"ly_do_{line['criterion']}"] = line["reason"]
            for target in ("bonus", "penalty"):
                if target in line:
                    form[target] = f"{line[target]:g}"
                    form[f"ly_do_{target}"] = line["reason"]
        page = f"/tong-hop/don-vi/{unit}"
        return self._post(f"{page}/tham-dinh", form, page)[0]

    def return_(self, unit: str, by: str, reason: str) -> dict:
        assert by == self.code
        page = f"/tong-hop/don-vi/{unit}"
        r, text = self._post(f"{page}/tra-lai", {"ly_do": reason}, page)
        found = re.search(r"bổ sung trước hết ngày (\d\d)/(\d\d)/(\d{4})", text)
        revise_by = f"{found[3]}-{found[2]}-{found[1]}" if r["ok"] and found else None
        return r | {"revise_by": revise_by}

    def compile(self, unit: str, out: Path) -> dict:
        # the portal compiles the signed-in compiler into the configured output folder
        from danvan.config.settings import get_settings

        assert unit == self.code and Path(get_settings().out_dir) == out
        r = self.client.post(
            "/tong-hop/bien-soan",
            data={"csrf": self.csrf("/tong-hop")},
            follow_redirects=False,
        )
        if r.status_code != 303:
            return {"ok": False, "codes": _codes(r.text), "compiled": []}
        text = follow_compile(self.client, r.headers["location"])  # started in the background
        done = "Đã tổng hợp xong" in text
        compiled = [unit] if done and f"bao-cao-tong-hop-{unit}-{YEAR}.docx" in text else []
        return {"ok": done, "codes": _codes(text), "compiled": compiled}

    def approve(self, by: str, note: str) -> dict:
        assert by == self.code
        form = {"quyet_dinh": "phe_duyet", "ghi_chu": note}
        r, text = self._post("/tong-hop/phe-duyet", form, "/tong-hop")
        decided = r["ok"] and "đã được phê duyệt" in text
        return r | {"decision": "approved" if decided else None}

    def publish(self) -> dict:
        # the confirmation page's button: confirmed, no reason (on or after province_scoring)
        form = {"csrf": self.csrf("/tong-hop"), "xac_nhan": "1", "ly_do": ""}
        r = self.client.post("/tong-hop/cong-bo", data=form)
        return {
            "published": r.status_code == 200 and "Đã công bố kết quả" in r.text,
            "waiting_for_sign_off": "not_approved" in _codes(r.text),
        }


DOOR_CLASSES: dict[str, type[Door]] = {"cli": CliDoor, "flow": FlowDoor, "portal": PortalDoor}


@dataclass
class Outcome:
    """What one door answered and recorded, and the compiled outputs it wrote."""

    door: str
    answer: dict
    delta: dict[str, dict]
    outputs: dict[str, Any]


def outputs_of(out: Path) -> dict[str, Any]:
    """Compiled folders: each folder's file names and its summary.json."""
    found: dict[str, Any] = {}
    if out.is_dir():
        for folder in sorted(p for p in out.iterdir() if p.is_dir()):
            summary = folder / "summary.json"
            found[folder.name] = {
                "files": sorted(p.name for p in folder.iterdir()),
                "summary": json.loads(summary.read_text("utf-8")) if summary.exists() else None,
            }
    return found
