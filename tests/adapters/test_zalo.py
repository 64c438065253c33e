"""The ``zalo://`` channel against a local endpoint answering as Zalo's OA message API does."""

from __future__ import annotations

from pathlib import Path

import pytest

from danvan.config.settings import get_settings
from danvan.notify.channels import AppriseNotifier, Outgoing, redact
from danvan.notify.zalo import MAX_TEXT, message_payload
from tests.helpers.province import YEAR, write_province, write_submission
from tests.helpers.sinks import running_zalo_sink

TOKEN = "oa-token-Secret-123456"


@pytest.fixture
def zalo(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with running_zalo_sink() as sink:
        monkeypatch.setenv("DANVAN_ZALO_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("DANVAN_ZALO_API_URL", sink.api_url)
        get_settings.cache_clear()
        yield sink
    get_settings.cache_clear()


def test_payload_is_zalos_text_message() -> None:
    assert message_payload("84123", "Tiêu đề", "Nội dung") == {
        "recipient": {"user_id": "84123"},
        "message": {"text": "Tiêu đề\n\nNội dung"},
    }
    assert len(message_payload("1", "", "x" * 5000)["message"]["text"]) == MAX_TEXT


def test_a_message_reaches_zalo_with_the_token_header(zalo) -> None:  # type: ignore[no-untyped-def]
    notifier = AppriseNotifier(timeout=5, retries=0)
    [outcome] = notifier.send([Outgoing(1, "zalo://2468013579", "Nhắc hạn", "Đề nghị gửi.")])
    assert outcome.ok
    [req] = zalo.requests
    assert req.path == "/v3.0/oa/message/cs"
    assert req.headers["access_token"] == TOKEN
    assert req.body == {
        "recipient": {"user_id": "2468013579"},
        "message": {"text": "Nhắc hạn\n\nĐề nghị gửi."},
    }
    assert redact("zalo://2468013579") == "zalo://2468013579"


def test_a_zalo_error_code_is_a_failure_naming_it_never_the_token(zalo) -> None:  # type: ignore[no-untyped-def]
    zalo.fail_with = -213
    [outcome] = AppriseNotifier(timeout=5, retries=1).send(
        [Outgoing(1, "zalo://2468013579", "Nhắc hạn", "Đề nghị gửi.")]
    )
    assert not outcome.ok and outcome.attempts == 2
    assert "-213" in (outcome.error or "") and TOKEN not in (outcome.error or "")


def test_without_a_token_nothing_is_sent(zalo, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DANVAN_ZALO_ACCESS_TOKEN")
    get_settings.cache_clear()
    [outcome] = AppriseNotifier(timeout=5, retries=0).send([Outgoing(1, "zalo://1", "a", "b")])
    assert not outcome.ok and "DANVAN_ZALO_ACCESS_TOKEN" in (outcome.error or "")
    assert zalo.requests == []


def test_remind_over_zalo_records_the_error_and_retries(  # type: ignore[no-untyped-def]
    zalo, db_url: str, tmp_path: Path, cli
) -> None:
    write_province(tmp_path, contact="zalo://84900000001")
    assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
    zalo.fail_with = -213  # the announcement fails too: recorded, not fatal
    assert cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-02-17T09:00").exit_code == 0
    for unit in ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01"):
        cli("submit", write_submission(tmp_path, unit), "--at", "2024-11-01T10:00")
    # 07/11 is 3 days before the 10/11 deadline: TST.H01.X02 is reminded, its district digested
    r = cli("remind", "--cycle", str(YEAR), "--at", "2024-11-07T08:00", "--format", "json")
    assert r.exit_code == 0, r.stderr
    before = [s for s in r.json()["sent"] if s["kind"] == "before"]
    assert [s["unit"] for s in before] == ["TST.H01.X02"] and not before[0]["ok"]
    assert TOKEN not in r.stdout + r.stderr
    texts = [q.body["message"]["text"] for q in zalo.requests]
    assert any("Ủy ban nhân dân xã Hai" in t for t in texts)
    status = cli("status", "--cycle", str(YEAR), "--at", "2024-11-07T09:00", "--format", "json")
    failed = status.json()["deliveries"]["failed"]
    assert any(f["unit"] == "TST.H01.X02" and "-213" in f["error"] for f in failed)
    assert TOKEN not in status.stdout

    zalo.fail_with = None  # Zalo answers again: the next remind delivers what failed
    r = cli("remind", "--cycle", str(YEAR), "--at", "2024-11-08T08:00", "--format", "json")
    retried = [s for s in r.json()["sent"] if s["unit"] == "TST.H01.X02" and s["kind"] == "before"]
    assert retried and all(s["ok"] for s in retried)
    status = cli("status", "--cycle", str(YEAR), "--at", "2024-11-08T09:00", "--format", "json")
    assert not any(f["kind"] == "before" for f in status.json()["deliveries"]["failed"])
