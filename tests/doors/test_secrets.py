"""Issue 7, Done when: a secret planted in contact URLs is found in no output channel.

A small province whose contacts carry a known password (``mailto://user:PASSWORD@…``), a token in
a query (``json://…?token=…``) and a bot token (``tgram://…``) goes through the whole cycle on
the real CLI: org import (and a rejected org file whose malformed contact holds the password),
plan issue, submit, status in every format, remind (dry run and real, text and JSON), appraise,
compile, publish. Every channel is collected — stdout, stderr, every log record of danvan and
Apprise at DEBUG (message and traceback), the JSON and CSV outputs, the files ``compile`` writes
(inside the DOCX/XLSX zips too), what the endpoints received — and none may hold a secret.

Other channels join through :class:`Channels`: the Prefect engineer adds flow-run parameters and
artifacts with ``channels.add(name, text)`` from a test that runs :func:`run_cycle` against a
Prefect API.
"""

from __future__ import annotations

import logging
import traceback
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.helpers.province import CRITERIA, YEAR, org_doc, write_submission
from tests.helpers.sinks import running_http_sink, running_smtp_sink

pytestmark = pytest.mark.slow

PASSWORD = "Pw9sEcReT7mailQ"
TOKEN = "Tk4qUeRySeCrEt8z"
BOT = "123456789:AAHbotSeCrEtToKeN0123456789abcdefXY"
SECRETS = (PASSWORD, TOKEN, BOT, BOT.split(":", 1)[1])


class Channels:
    """Every text a run exposed, by name; :meth:`leaks` says where a secret was found."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, name: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.texts.append((name, text))

    def add_file(self, path: Path) -> None:
        data = path.read_bytes()
        self.add(str(path), data)
        if zipfile.is_zipfile(path):  # DOCX/XLSX: the text lives inside the zip
            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    self.add(f"{path}!{member}", z.read(member))

    def add_logs(self, records: list[logging.LogRecord]) -> None:
        for r in records:
            text = f"{r.name} {r.levelname} {r.getMessage()}"
            if r.exc_info:
                text += "".join(traceback.format_exception(*r.exc_info))
            self.add(f"log:{r.name}", text)

    def leaks(self) -> list[str]:
        return [
            f"{name} holds {secret[:4]}…"
            for name, text in self.texts
            for secret in SECRETS
            if secret in text
        ]


def _org(mail: str, http: str) -> dict:
    contacts = {
        "TST": [f"tgram://{BOT}/-100123456789"],
        "TST.H01": [f"{http}/h01?token={TOKEN}"],
        "TST.H01.X01": [mail],
        "TST.H01.X02": [f"{http}/x02?token={TOKEN}", mail],
        "TST.SNV": [f"json://svc:{PASSWORD}@{http.removeprefix('json://')}/snv"],
    }
    return org_doc(contacts)


def _plan() -> dict:
    return {
        "province": "TST",
        "year": YEAR,
        "title": "Kế hoạch thử",
        "issued_on": "2024-02-17",
        "criteria": "criteria.yaml",
        "deadlines": {
            "self_assessment": "2024-11-08",
            "district_compilation": "2024-11-20",
            "province_scoring": "2024-11-29",
        },
        "reminders": {"before_days": [3, 1], "send_at": "08:00"},
    }


def _write(path: Path, doc: object) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def run_cycle(tmp_path: Path, cli, channels: Channels, mail: str, http: str) -> None:  # type: ignore[no-untyped-def]
    """The whole cycle on the CLI; every output goes into ``channels``."""

    def run(*args: str | Path, ok: tuple[int, ...] = (0,)) -> None:
        r = cli(*args)
        name = " ".join(str(a) for a in args[:3])
        channels.add(f"stdout of {name}", r.stdout)
        channels.add(f"stderr of {name}", r.stderr)
        assert r.exit_code in ok, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stdout + r.stderr

    org = _write(tmp_path / "org.yaml", _org(mail, http))
    _write(tmp_path / "criteria.yaml", CRITERIA)
    plan = _write(tmp_path / "plan.yaml", _plan())
    bad = _org(mail, http)
    bad["units"][2]["contacts"] = [f"mailto//noivu:{PASSWORD}@example.gov.vn", f"x {TOKEN}"]
    bad_org = _write(tmp_path / "bad-org.yaml", bad)

    run("org", "import", bad_org, ok=(1,))
    run("org", "import", bad_org, "--format", "json", ok=(1,))
    run("org", "import", org, "--format", "json")
    run("plan", "issue", plan, "--at", "2024-02-17T09:00")
    run("plan", "issue", plan, "--at", "2024-02-17T09:00", "--format", "json")
    x01 = write_submission(tmp_path, "TST.H01.X01")
    snv = write_submission(tmp_path, "TST.SNV", score=30)
    run("submit", x01, "--at", "2024-11-06T10:00")
    run("submit", snv, "--at", "2024-11-12T10:00", "--format", "json")
    for t in ("2024-11-05T09:00", "2024-11-12T09:00"):
        run("remind", "--cycle", "2024", "--at", t, "--dry-run", "--format", "json")
        run("remind", "--cycle", "2024", "--at", t, "--dry-run")
        run("remind", "--cycle", "2024", "--at", t, "--format", "json")
        run("remind", "--cycle", "2024", "--at", t)
    for fmt in ("table", "json", "csv"):
        run("status", "--cycle", "2024", "--at", "2024-11-13T09:00", "--format", fmt)
    appraisal = _write(
        tmp_path / "tham-dinh.yaml",
        {
            "year": YEAR,
            "by": "TST.H01",
            "adjustments": [{"unit": "TST.H01.X01", "penalty": 1, "reason": "Nộp thiếu"}],
        },
    )
    run("appraise", appraisal, "--at", "2024-11-18T10:00", "--format", "json")
    out = tmp_path / "bao-cao"
    run("compile", "--cycle", "2024", "--out", out, "--at", "2024-11-29T16:00", "--format", "json")
    run("approve", "--cycle", "2024", "--by", "TST", "--at", "2024-11-30T08:30")
    run("publish", "--cycle", "2024", "--at", "2024-11-30T09:00", "--format", "json")
    run("publish", "--cycle", "2024", "--at", "2024-11-30T09:00")
    run("status", "--cycle", "2024", "--at", "2024-12-01T09:00", "--format", "json")
    for path in sorted(out.rglob("*")):
        if path.is_file():
            channels.add_file(path)


def test_no_secret_in_any_output(
    sqlite_url: str,
    tmp_path: Path,
    cli,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_NOTIFY_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DANVAN_NOTIFY_RETRIES", "0")
    get_settings.cache_clear()
    caplog.set_level(logging.DEBUG, logger="danvan")
    caplog.set_level(logging.DEBUG, logger="apprise")
    channels = Channels()
    with running_smtp_sink() as smtp, running_http_sink() as sink:
        mail = smtp.url("x01@example.gov.vn", auth=f"noivu:{PASSWORD}")
        run_cycle(tmp_path, cli, channels, mail, f"json://{sink.host}:{sink.port}")
        assert smtp.mails and sink.requests  # the contacts were really used
        assert set(smtp.logins) == {"noivu"}  # … with the password
        for req in sink.requests:
            channels.add("http body", str(req.body))
        for m in smtp.mails:
            channels.add(f"mail to {m.recipients}", m.text)
    channels.add_logs(caplog.records)
    assert any(name.startswith("log:apprise") for name, _ in channels.texts)
    leaks = channels.leaks()
    assert not leaks, "\n".join(leaks)
