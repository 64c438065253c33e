"""A whole test province (the bundled sample, contacts removed) and a person filling workbooks.

``fill`` edits a template the way an official does in Excel: finds the rows by their codes,
types numbers (or text, or formulas), may insert rows first. It uses openpyxl, a different
library from the reader (python-calamine), so the round trip proves the file, not the code.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook

from danvan.demo.sample import sample_dir
from danvan.rules.domain import FIGURE_GROUPS
from tests.helpers.province import at

YEAR = 2024


def issue_sample(folder: Path) -> None:
    """The sample province (29 units, two criteria sets) imported and its plan issued."""
    from danvan.flows.plan import issue_plan
    from danvan.tasks.org import import_org

    src = sample_dir()
    for name in ("criteria.yaml", "criteria-xa.yaml", "plan.yaml"):
        shutil.copy(src / name, folder / name)
    org = yaml.safe_load((src / "org.yaml").read_text("utf-8"))
    for unit in org["units"]:
        unit.pop("contacts", None)
    (folder / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
    import_org(str(folder / "org.yaml"), at("2024-02-17T09:00"))
    issue_plan.fn(str(folder / "plan.yaml"), at("2024-02-17T09:00"))


def scores_for(codes: list[str], seed: int) -> dict[str, float]:
    """Plausible scores on the 0.25 grid (kept ≤ 5, the smallest maximum of the samples)."""
    return {c: ((seed + i) % 20) * 0.25 for i, c in enumerate(codes)}


def figures_for(seed: int) -> dict[str, dict[str, int]]:
    received = 100 + seed * 37
    resolved = received - seed % 5
    return {
        "petitions": {
            "received": received,
            "in_jurisdiction": received,
            "resolved": resolved,
            "outstanding": received - resolved,
        },
        "admin_procedures": {
            "received": 2473 + seed,
            "online": 1000,
            "resolved": 2400,
            "on_time": 2390,
            "overdue": 10,
        },
        "models": {"registered": 2, "recognised": 1},
    }


def fill(
    path: Path,
    *,
    scores: dict[str, Any],
    figures: dict[str, dict[str, Any]],
    submitted_by: Any = "Nguyễn Văn A, Chánh Văn phòng",
    bonus: Any = None,
    penalty: Any = None,
    notes: dict[str, str] | None = None,
    insert_rows: bool = False,
    out: Path | None = None,
) -> Path:
    """Type values into a template as a person would; returns the saved path."""
    wb = load_workbook(path)
    guide, sheet, figs = wb["Hướng dẫn"], wb["Chấm điểm"], wb["Số liệu"]
    for row in guide.iter_rows():
        if row[0].value == "Người lập báo cáo":
            row[1].value = submitted_by
    if insert_rows:  # a note row above the first criterion, and one inside the figures
        for ws in (sheet, figs):
            ws.protection.sheet = False
        sheet.insert_rows(6)
        sheet.cell(6, 2, "Ghi chú của người lập: chèn thêm dòng")
        figs.insert_rows(8)
        figs.cell(8, 3, "Ghi chú thêm")
    for row in sheet.iter_rows(min_row=1):
        code, label = row[0].value, row[1].value
        if code is not None and str(code) in scores:
            row[3].value = scores[str(code)]
            if notes and str(code) in notes:
                row[5].value = notes[str(code)]
        elif label == "Điểm thưởng" and bonus is not None:
            row[3].value = bonus
        elif label == "Điểm trừ" and penalty is not None:
            row[3].value = penalty
    for row in figs.iter_rows(min_row=1):
        group, name = row[0].value, row[1].value
        if group in figures and name in figures[group]:
            row[3].value = figures[group][name]
    target = out or path
    wb.save(target)
    return target


def expected_figures(typed: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """What the database should hold: the groups typed (one left empty is not reported, issue
    17), zeros where a field of a typed group was left blank."""
    return {
        g: {f: typed[g].get(f, 0) for f in fields}
        for g, fields in FIGURE_GROUPS.items()
        if g in typed
    }


def libreoffice_resave(path: Path, out_dir: Path) -> Path | None:
    """Open and save again with LibreOffice headless (recalculates formulas). None: absent."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out_dir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / path.name
