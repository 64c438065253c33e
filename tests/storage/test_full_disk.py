"""A compile that cannot write (SPEC §4.4): a real ``danvan compile`` whose files may not grow past
2 kB (``RLIMIT_FSIZE``: every write beyond fails as on a full disk, ``EFBIG``) answers one
``[os_error]`` line and leaves no folder it made behind, neither a compiler folder nor ``--out``;
a folder that was there before is left as found. The same compile with room writes everything.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from danvan.flows.intake import submit
from danvan.reports.outputs import is_complete
from danvan.rules.timing import parse_instant
from tests.helpers.province import issue_small_cycle, write_submission
from tests.helpers.together import child_env

AT = "2024-11-29T16:00"


def _compile(
    db_url: str, out: Path, workdir: Path, room: int | None
) -> subprocess.CompletedProcess:
    def small_disk() -> None:
        if room is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    argv = ["compile", "--cycle", "2024", "--out", str(out), "--at", AT]
    return subprocess.run(
        [sys.executable, "-c", "import danvan.cli; danvan.cli.main()", *argv],
        env=child_env(db_url),
        cwd=workdir,
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_compile_that_cannot_write_leaves_no_empty_folder(db_url: str, tmp_path: Path) -> None:
    issue_small_cycle(tmp_path)
    path = write_submission(tmp_path, "TST.H01.X01")
    submit.fn([str(path)], parse_instant("2024-11-08T10:00"))

    new = tmp_path / "bao-cao" / "2024"  # neither folder exists yet
    r = _compile(db_url, new, tmp_path, room=2048)
    assert r.returncode == 1 and "[os_error]" in r.stderr, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert not (tmp_path / "bao-cao").exists()

    there = tmp_path / "ket-qua"  # made by the operator: kept, with nothing inside
    there.mkdir()
    r = _compile(db_url, there, tmp_path, room=2048)
    assert r.returncode == 1 and "[os_error]" in r.stderr, r.stderr
    assert list(there.iterdir()) == []

    r = _compile(db_url, new, tmp_path, room=None)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in new.iterdir()) == ["TST", "TST.H01"]
    assert all(is_complete(new / code) for code in ("TST", "TST.H01"))
