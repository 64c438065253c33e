"""The README's first command: `danvan demo` tells the whole cycle and writes the reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_cycle_in_process(tmp_path: Path) -> None:
    """In-process (no Prefect server), as a new user's first run would, in a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANVAN_", "PREFECT_"))}
    out = tmp_path / "demo-out"
    r = subprocess.run(
        [str(Path(sys.executable).parent / "danvan"), "demo", "--no-prefect", "--out", str(out)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert "Công bố kết quả" in r.stdout
    for code in ("QNG", "QNG.BSN", "QNG.STH"):
        folder = out / "bao-cao" / code
        names = {p.name for p in folder.iterdir()}
        assert {"summary.json", f"bao-cao-tong-hop-{code}-2024.docx"} <= names
        assert (folder / ".complete").exists()
    summary = json.loads((out / "bao-cao" / "QNG" / "summary.json").read_text("utf-8"))
    assert summary["cycle"] == 2024 and summary["ranking"]
    # the units' own words drafted, shared proposals said once; the demo's two slips flagged
    proposals = summary["narrative"]["proposals"]
    assert proposals and len(proposals[0]["units"]) >= 3
    kinds = {(f["unit"], f["kind"]) for f in summary["flags"]}
    assert kinds == {("QNG.BSN.X08", "yoy_jump"), ("QNG.BSN.X08", "peer_outlier"),
                     ("QNG.STH.X03", "same_as_last_year")}  # fmt: skip
    from docx import Document

    body = "\n".join(
        p.text
        for p in Document(
            str(out / "bao-cao" / "QNG.BSN" / "bao-cao-tong-hop-QNG.BSN-2024.docx")
        ).paragraphs
    )
    assert "Dự thảo tổng hợp từ báo cáo của các đơn vị" in body
    assert "SỐ LIỆU CẦN KIỂM TRA" in body and "Ủy ban nhân dân xã Bình Đông" in body
