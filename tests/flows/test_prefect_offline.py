"""Intake and the officials' commands never depend on Prefect being up (issue #8).

With a Prefect API configured (in the environment, or only in the active Prefect profile, as
``prefect config set PREFECT_API_URL=…`` leaves it) and nothing answering there, ``submit``,
``status``, ``remind``, ``approve`` record their step, answer as usual, and say so in one line.
Runs the real console script: what an official types.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from danvan.models.db import get_engine
from danvan.models.schema import upgrade
from danvan.runtime.api import profile_api_url
from tests.helpers.db import use_database
from tests.helpers.province import issue_small_cycle, write_submission
from tests.helpers.sinks import free_port

DANVAN = Path(sys.executable).parent / "danvan"


@pytest.fixture
def cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'danvan.db'}"
    use_database(url, monkeypatch)
    upgrade(get_engine())
    issue_small_cycle(tmp_path)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DANVAN_"))}
    return base | {"DANVAN_DATABASE_URL": url, "PREFECT_HOME": str(tmp_path / "prefect-home")}


def danvan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DANVAN), *args], env=env, capture_output=True, text=True)


def _down_api() -> str:
    return f"http://127.0.0.1:{free_port()}/api"  # nothing listens there


def _profile(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "profiles.toml").write_text(
        f'active = "local"\n\n[profiles.local]\nPREFECT_API_URL = "{url}"\n', "utf-8"
    )


@pytest.mark.parametrize("where", ["environment", "profile"])
def test_commands_work_and_say_prefect_is_unreachable(cycle, tmp_path, where):
    env = dict(cycle)
    api = _down_api()
    if where == "environment":
        env["PREFECT_API_URL"] = api
    else:
        _profile(Path(env["PREFECT_HOME"]), api)
    sub = write_submission(tmp_path, "TST.H01.X01")

    done = danvan(env, "submit", str(sub), "--at", "2024-11-05T10:00")
    assert done.returncode == 0, done.stderr
    assert "ĐÃ NHẬN TST.H01.X01 phiên bản 1" in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "[prefect_unreachable]" in lines[0], done.stderr
    assert "Traceback" not in done.stderr

    status = danvan(
        env, "status", "--cycle", "2024", "--at", "2024-11-06T08:00", "--format", "json"
    )
    assert status.returncode == 0, status.stderr
    assert '"submitted": 1' in status.stdout
    assert status.stderr.count("[prefect_unreachable]") == 1

    remind = danvan(env, "remind", "--cycle", "2024", "--at", "2024-11-07T08:30")
    assert remind.returncode == 0, remind.stderr
    assert remind.stderr.strip().splitlines() == [lines[0]]

    approve = danvan(env, "approve", "--cycle", "2024", "--by", "TST", "--note", "Đồng ý")
    assert approve.returncode == 0, approve.stderr
    assert "Đã phê duyệt" in approve.stdout


def test_no_prefect_configured_says_nothing(cycle, tmp_path):
    sub = write_submission(tmp_path, "TST.SNV")
    done = danvan(cycle, "submit", str(sub), "--at", "2024-11-05T10:00")
    assert done.returncode == 0 and done.stderr == ""


def test_profile_is_read_like_prefect_reads_it(tmp_path):
    home = tmp_path / "home"
    _profile(home, "http://127.0.0.1:4200/api")
    env = {"PREFECT_HOME": str(home)}
    assert profile_api_url(env) == "http://127.0.0.1:4200/api"
    assert profile_api_url(env | {"PREFECT_PROFILE": "other"}) is None
    assert profile_api_url({"PREFECT_HOME": str(tmp_path / "none")}) is None


def test_only_the_province_signs_off(cycle, tmp_path):
    done = danvan(cycle, "approve", "--cycle", "2024", "--by", "TST.H01")
    assert done.returncode == 1 and "[not_province]" in done.stderr
    back = danvan(cycle, "approve", "--cycle", "2024", "--by", "TST", "--return")
    assert back.returncode == 1 and "[note_required]" in back.stderr
    ok = danvan(cycle, "approve", "--cycle", "2024", "--by", "TST", "--return", "--note", "Xem lại")
    assert ok.returncode == 0 and "Đã trả lại" in ok.stdout
