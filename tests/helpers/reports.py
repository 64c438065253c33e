"""The bundled sample province compiled in memory (no database): the reports the rendering tests
look at, as a three-tier tree (province → districts → communes) and as a two-tier one (the
districts dissolved, their communes straight under the province, as since July 2025).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from danvan.demo.sample import sample_dir
from danvan.reports.chart import write_chart_png
from danvan.reports.docx import write_report_docx
from danvan.reports.xlsx import write_score_workbook
from danvan.rules.compilation import CompiledCycle, UnitInput, assess_unit, compile_cycle
from danvan.rules.criteria import parse_criteria
from danvan.rules.domain import CriteriaSet, OrgUnit
from danvan.rules.formats import load_document
from danvan.rules.org import compilers_for, effective_unit, parse_org, subtree
from danvan.rules.report import ReportData, build_report, district_places
from danvan.rules.submission import parse_submission

T0 = datetime(2024, 11, 8, 3, tzinfo=UTC)
DEADLINE = date(2024, 11, 10)
PLAN_REFERENCE = "Kế hoạch số 30/KH-UBND ngày 17/02/2024 của UBND tỉnh Quảng Ngãi"
REQUEST = "Công văn số 1998/SNV-XDCQ ngày 25/10/2024 của Sở Nội vụ"


def _load(path: Path) -> object:
    return load_document(path.name, path.read_bytes())


def sample_units(two_tier: bool = False) -> dict[str, OrgUnit]:
    units = {
        s.code: effective_unit(s) for s in parse_org(_load(sample_dir() / "org.yaml"), "org.yaml")
    }
    if not two_tier:
        return units
    out = {}
    for code, u in units.items():
        if u.kind in ("district", "district_office"):
            continue
        if u.kind == "commune" and u.parent != "QNG":
            u = replace(u, parent="QNG")
        out[code] = u
    return out


def criteria_sets() -> dict[str, CriteriaSet]:
    return {
        "default": parse_criteria(_load(sample_dir() / "criteria.yaml"), "criteria.yaml"),
        "commune": parse_criteria(_load(sample_dir() / "criteria-xa.yaml"), "criteria-xa.yaml"),
    }


def sample_inputs(units: dict[str, OrgUnit], *, early: bool = False) -> dict[str, UnitInput]:
    """Every assessed unit with its sample submission; ``early``: only the first half sent yet."""
    sets = criteria_sets()
    docs = {}
    for path in sorted((sample_dir() / "bao-cao").glob("*.yaml")):
        doc = parse_submission(_load(path), path.name)
        docs[doc.unit] = doc
    assessed = [c for c, u in units.items() if u.assessed and u.active]
    if early:
        docs = {c: d for i, (c, d) in enumerate(sorted(docs.items())) if i % 2 == 0}
    out = {}
    for i, code in enumerate(assessed):
        unit = units[code]
        cs = sets["commune" if unit.kind == "commune" else "default"]
        doc = docs.get(code)
        if doc is None or code not in units:
            out[code] = assess_unit(unit=unit, criteria=cs, status="missing")
            continue
        adjustments = {"1": (2.0, "Kế hoạch ban hành chậm")} if code == "QNG.BSN.TT01" else None
        if code == "QNG.SNV":  # an appraisal that changes nothing is left out of the report
            adjustments = {"penalty": (doc.penalty, "Giữ nguyên")}
        out[code] = assess_unit(
            unit=unit, criteria=cs, status="on_time", submitted_at=T0 + timedelta(minutes=i),
            days_late=0, scores=doc.scores, bonus=doc.bonus, penalty=doc.penalty,
            figures=doc.figures, adjustments=adjustments,
        )  # fmt: skip
    return out


def compile_sample(
    compiler: str, *, two_tier: bool = False, early: bool = False, previous: bool = True
) -> CompiledCycle:
    units = sample_units(two_tier)
    inputs = sample_inputs(units, early=early)
    tree = subtree(units, compiler)
    compilers = compilers_for(units)
    prev = (
        {c: u.figures for c, u in sample_inputs(units).items() if u.figures} if previous else None
    )
    return compile_cycle(
        compiler=units[compiler],
        cycle_year=2024,
        units=[inputs[c] for c in tree if c in inputs],
        direct={c for c in tree if compilers.get(c) == compiler},
        previous=prev,
        criteria_by_kind=criteria_sets(),
        places=district_places(units, compiler, tree),
    )


def sample_report(compiler: str, *, two_tier: bool = False, early: bool = False) -> ReportData:
    c = compile_sample(compiler, two_tier=two_tier, early=early)
    units = sample_units(two_tier)
    on = date(2024, 11, 5) if early else date(2024, 11, 29)
    return build_report(
        c, on=on, parent=units.get(units[compiler].parent or ""), plan_reference=PLAN_REFERENCE,
        request=REQUEST, provisional_until=DEADLINE if early else None,
    )  # fmt: skip


def write_all(c: CompiledCycle, report: ReportData, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder.name  # one name per variant: the PDFs land in one folder
    chart = folder / f"{stem}.png"
    write_chart_png(c, chart)
    docx = folder / f"{stem}.docx"
    write_report_docx(report, docx, chart, created=datetime(2024, 11, 29, 9, tzinfo=UTC))
    xlsx = folder / f"{stem}.xlsx"
    write_score_workbook(c, xlsx)
    return {"docx": docx, "xlsx": xlsx, "png": chart}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(files: list[Path], out: Path, profile: Path) -> None:
    """One LibreOffice run for all files, with its own profile (parallel tests never share one)."""
    exe = soffice()
    assert exe is not None
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
