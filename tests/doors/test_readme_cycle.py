"""README's "A cycle by hand" runs as written, on the bundled sample (issue #11).

The block is read from README.md and each line run by bash in an empty folder, with this
environment's ``danvan`` first on PATH; every command must succeed and the compiled reports exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import README

pytestmark = pytest.mark.slow


def cycle_block() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### A cycle by hand", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README: no sh block under 'A cycle by hand'"
    return [line for line in block[1].splitlines() if line.strip()]


def test_the_readme_cycle_runs_as_written(tmp_path: Path) -> None:
    lines = cycle_block()
    assert lines[0].startswith("cp -r") and lines[-1].startswith("danvan publish")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANVAN_", "PREFECT_API"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = "set -e\n" + "\n".join(f"{line}\necho '<<ok>>' >&2" for line in lines)
    r = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert r.stderr.count("<<ok>>") == len(lines)
    out = tmp_path / "vi-du" / "bao-cao-2024"
    for code in ("QNG", "QNG.BSN", "QNG.STH"):
        assert (out / code / f"bao-cao-tong-hop-{code}-2024.docx").exists()
    assert "ĐÃ NHẬN QNG.BSN.X07 phiên bản 1, đúng hạn" in r.stdout
    assert "Chưa có địa chỉ liên hệ: 1 đơn vị" in r.stdout and "QNG.STH.X05" in r.stdout
    assert "tham-dinh-binh-son.yaml: đã ghi 2 điều chỉnh của QNG.BSN." in r.stdout
    assert "Traceback" not in r.stdout + r.stderr
