"""``danvan serve`` on the defaults, on one machine, with nobody watching (issue #16): serve starts
its own Prefect server (SQLite, in danvan's data folder) and leaves its address there; the
officials' commands in a shell with no Prefect setting at all find it. A publication run started
by hand is released by ``danvan approve``; a run that fails is told to the operators once;
SIGTERM (systemd's stop) stops serve and its server cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.helpers.prefect_world import (
    BIN,
    create_run,
    healthy,
    read_run,
    run,
    runs,
    state,
    wait,
)
from tests.helpers.province import write_province
from tests.helpers.sinks import HttpSink, free_port, running_http_sink

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

YEAR = 2027


@pytest.fixture(scope="module")
def sink() -> Iterator[HttpSink]:
    with running_http_sink() as s:
        yield s


def finished(api: httpx.Client, run_id: str) -> dict | None:
    found = read_run(api, run_id)
    return found if found["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED"} else None


def test_a_season_on_serve_defaults(tmp_path: Path, sink: HttpSink) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DANVAN_"))} | {
        "PREFECT_HOME": str(tmp_path / "home-prefect"),  # an official's shell: no profile set
        "DANVAN_DATABASE_URL": f"sqlite:///{tmp_path / 'danvan.db'}",
        "DANVAN_OUT_DIR": str(tmp_path / "out"),
        "DANVAN_OPERATOR_CONTACTS": sink.url("ops"),
    }
    write_province(tmp_path, sink.url("w"))
    plan = yaml.safe_load((tmp_path / "plan.yaml").read_text("utf-8"))
    plan |= {"year": YEAR, "issued_on": f"{YEAR}-02-17"}
    plan["deadlines"] = {m: d.replace("2024", str(YEAR)) for m, d in plan["deadlines"].items()}
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    run(env, "init")
    run(env, "org", "import", str(tmp_path / "org.yaml"), "--at", f"{YEAR}-01-05T09:00")
    address = tmp_path / "prefect" / "api-url"
    serve_env = env | {"PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen([str(BIN / "danvan"), "serve", "--port", str(free_port())],
                             env=serve_env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = wait(lambda: address.is_file() and address.read_text().strip(), 180, "serve's API")
        assert healthy(url)
        api = httpx.Client(base_url=url, timeout=10)
        wait(lambda: api.get("/deployments/name/follow-cycle/theo-doi").status_code == 200,
             120, "the deployments")  # fmt: skip

        # the official's command finds serve's server with no setting; the calendar follows
        run(env, "plan", "issue", str(tmp_path / "plan.yaml"), "--at", f"{YEAR}-02-17T09:00")
        wait(lambda: any("xep-loai" in r["tags"] for r in runs(api, f"TST-{YEAR}")), 180,
             "the calendar")  # fmt: skip

        # a publication started by hand, released by `danvan approve` in that same shell
        hand = create_run(api, "sign-off-and-publish", "xep-loai",
                          parameters={"year": YEAR, "at": f"{YEAR}-11-28T09:00:00+07:00"})  # fmt: skip
        wait(lambda: state(read_run(api, hand["id"])) == "PAUSED", 240, "the sign-off wait")
        run(env, "approve", "--cycle", str(YEAR), "--by", "TST", "--at", f"{YEAR}-11-28T10:00")
        done = wait(lambda: finished(api, hand["id"]), 300, "the publication")
        assert done["state"]["type"] == "COMPLETED", done["state"]
        assert done["name"] == f"xep-loai-TST-{YEAR}"

        # a run that fails (a unit that does not exist): the operators hear of it once
        failing = create_run(api, "compile-milestone", "tong-hop",
                             parameters={"year": YEAR, "unit": "TST.KHONG-CO",
                                         "at": f"{YEAR}-11-29T08:00:00+07:00"})  # fmt: skip
        failed = wait(lambda: finished(api, failing["id"]), 240, "the failing run")
        assert failed["state"]["type"] == "FAILED"
        first = len(sink.requests)
        for _ in range(2):  # two looks: told once
            look = create_run(api, "follow-cycle", "theo-doi")
            wait(lambda: finished(api, look["id"]), 240, "a reconciliation")  # noqa: B023
        alerts = [r for r in sink.requests[first:] if r.path == "/ops"]
        assert len(alerts) == 1, [a.body for a in alerts]
        assert "tong-hop-TST.KHONG-CO-2027" in alerts[0].body["title"]
        assert "bị lỗi" in alerts[0].body["title"]
        # published: no run of the cycle's calendar is left scheduled (a reconciliation a
        # command asked for may still wait for the one slot of theo-doi: it changes nothing)
        left = [r for r in runs(api, f"TST-{YEAR}") if state(r) == "SCHEDULED"]
        assert [r for r in left if "theo-doi" not in r["tags"]] == []
    finally:
        serve.send_signal(signal.SIGTERM)  # what systemd sends
        try:
            code = serve.wait(timeout=90)
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
    assert code == 0
    assert not address.exists()  # the officials' commands no longer look for it
    assert not healthy(url)  # serve's own server stopped with it
