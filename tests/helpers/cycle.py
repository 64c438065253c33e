"""Driving a cycle through the CLI: input files written as YAML, steps that must succeed, complete
figures from a few values, and the DOCX read back.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_ok(cli, *args: object) -> object:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r


GROUPS = {
    "citizen_reception": (
        "regular_sessions",
        "regular_people",
        "periodic_sessions",
        "periodic_people",
        "cases",
        "group_cases",
    ),
    "petitions": ("received", "in_jurisdiction", "resolved", "outstanding"),
    "staff_complaints": ("received", "in_jurisdiction", "resolved", "outstanding"),
    "mediation": ("received", "successful", "unsuccessful"),
    "admin_procedures": ("received", "online", "resolved", "on_time", "overdue"),
    "models": ("registered", "recognised"),
}


def figs(**given: tuple[int, ...]) -> dict:
    """Complete figures (every group, every field) from the groups given as tuples of values."""
    return {g: dict(zip(f, given.get(g, (0,) * len(f)), strict=True)) for g, f in GROUPS.items()}


def docx_text(path: Path) -> tuple[list[str], list]:
    from docx import Document

    doc = Document(str(path))
    return [p.text for p in doc.paragraphs], doc
