"""Delivery for real through Apprise to sinks on 127.0.0.1; secrets never leak."""

from __future__ import annotations

import logging

import pytest

from danvan.notify.channels import (
    AppriseNotifier,
    Notifier,
    Outgoing,
    RecordingNotifier,
    deliver,
    redact,
)
from tests.helpers.sinks import running_http_sink, running_smtp_sink

SUBJECT = "[Quá hạn 04 ngày] Tự đánh giá, chấm điểm công tác dân vận chính quyền năm 2024"
BODY = "Kính gửi: Ủy ban nhân dân xã Bình Thạnh.\n\nHạn gửi là ngày 15 tháng 11 năm 2024."
FAST = {"timeout": 3.0, "retries": 0, "concurrency": 8}


@pytest.fixture
def http():
    with running_http_sink() as sink:
        yield sink


@pytest.fixture
def smtp():
    with running_smtp_sink() as sink:
        yield sink


def test_json_delivery_reads_back_vietnamese(http):
    outcomes = deliver([Outgoing("a", http.url("hook"), SUBJECT, BODY)], **FAST)
    assert outcomes[0].ok and outcomes[0].error is None
    (request,) = http.wait_for(1)
    assert request.path == "/hook"
    assert request.body["title"] == SUBJECT
    assert request.body["message"] == BODY


def test_mail_delivery_reads_back_recipient_subject_body(smtp):
    url = smtp.url(to="vanphong@binhthanh.example.gov.vn")
    outcomes = deliver([Outgoing(7, url, SUBJECT, BODY)], **FAST)
    assert outcomes == [outcomes[0]] and outcomes[0].ok, outcomes
    (mail,) = smtp.wait_for(1)
    assert mail.recipients == ("vanphong@binhthanh.example.gov.vn",)
    assert mail.subject == SUBJECT
    assert "Ủy ban nhân dân xã Bình Thạnh" in mail.text
    assert "ngày 15 tháng 11 năm 2024" in mail.text


def test_one_endpoint_down_the_others_still_deliver(http, smtp):
    batch = [
        Outgoing(1, http.url("one"), "s1", "b1"),
        Outgoing(2, "json://127.0.0.1:1/x", "s2", "b2"),
        Outgoing(3, smtp.url(to="a@example.gov.vn"), "s3", "b3"),
        Outgoing(4, http.url("four"), "s4", "b4"),
    ]
    outcomes = deliver(batch, timeout=2.0, retries=1, concurrency=4)
    assert [o.key for o in outcomes] == [1, 2, 3, 4]
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert outcomes[1].attempts == 2 and outcomes[1].error
    assert sorted(r.path for r in http.wait_for(2)) == ["/four", "/one"]
    assert len(smtp.wait_for(1)) == 1


def test_many_messages_concurrently(http):
    batch = [Outgoing(i, http.url(f"u{i}"), f"s{i}", "b") for i in range(30)]
    outcomes = deliver(batch, timeout=3.0, retries=0, concurrency=16)
    assert all(o.ok for o in outcomes)
    assert len(http.wait_for(30)) == 30


def test_unloadable_url_fails_without_retrying():
    (outcome,) = deliver([Outgoing("x", "nosuch://user:pw9999@host/tok", "s", "b")], **FAST)
    assert not outcome.ok and outcome.attempts == 1
    assert "pw9999" not in (outcome.error or "")


def test_empty_batch_is_empty():
    assert deliver([], **FAST) == []


def test_secrets_never_printed_logged_or_returned(http, smtp, caplog, capsys):
    caplog.set_level(logging.DEBUG, logger="apprise")
    secret_mail = smtp.url(to="a@example.gov.vn", auth="noivu:s3cretPW")
    secret_header = http.url("h", **{"+X-Api-Key": "t0kenXYZ"})
    secret_down = "mailto://noivu:d0wnPASS@127.0.0.1:1?from=a@example.gov.vn&to=b@example.gov.vn"
    batch = [
        Outgoing(i, u, SUBJECT, BODY)
        for i, u in enumerate((secret_mail, secret_header, secret_down))
    ]
    outcomes = deliver(batch, timeout=2.0, retries=0, concurrency=3)
    assert [o.ok for o in outcomes] == [True, True, False]
    assert smtp.wait_for(1) and smtp.logins == ["noivu"]
    assert http.wait_for(1)[0].headers["X-Api-Key"] == "t0kenXYZ"  # the secret did its job
    printed = capsys.readouterr()
    shown = " ".join(
        [
            caplog.text,
            printed.out,
            printed.err,
            *(redact(u) for (u,) in [(secret_mail,), (secret_header,), (secret_down,)]),
        ]
        + [repr(o) for o in outcomes]
    )
    assert "Loaded" in caplog.text  # Apprise did log the URLs: scrubbed
    for secret in ("s3cretPW", "t0kenXYZ", "d0wnPASS"):
        assert secret not in shown


@pytest.mark.parametrize(
    ("url", "kept", "hidden"),
    [
        (
            "mailto://user:s3cret@smtp.example.gov.vn?to=a@example.gov.vn",
            "smtp.example.gov.vn",
            "s3cret",
        ),
        ("json://u:p4ssw0rd@127.0.0.1:8080/x", "127.0.0.1", "p4ssw0rd"),
        ("json://127.0.0.1:8080/x?+Authorization=Bearer%20zz9zz", "127.0.0.1", "zz9zz"),
        (
            "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/98765",
            "tgram://",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ),
        (
            "weird://admin:hunter22@host.example/secret-path?token=abc123",
            "host.example",
            "hunter22",
        ),
        ("weird://admin:hunter22@host.example/secret-path?token=abc123", "weird://", "abc123"),
    ],
)
def test_redact(url, kept, hidden):
    shown = redact(url)
    assert kept in shown
    assert hidden not in shown


def test_recording_notifier_records_and_fails_on_demand():
    notifier: Notifier = RecordingNotifier(failing=frozenset({"json://bad/x"}))
    outcomes = notifier.send(
        [Outgoing(1, "json://ok/x", "s", "b"), Outgoing(2, "json://bad/x", "s", "b")]
    )
    assert [o.ok for o in outcomes] == [True, False]
    assert [o.key for o in notifier.sent] == [1, 2]  # type: ignore[attr-defined]


def test_apprise_notifier_is_a_notifier(http):
    notifier: Notifier = AppriseNotifier(timeout=3.0, retries=0, concurrency=2)
    (outcome,) = notifier.send([Outgoing("k", http.url(), "s", "b")])
    assert outcome.ok


def test_notifier_from_settings():
    from danvan.config.settings import Settings

    settings = Settings(notify_timeout_seconds=3, notify_retries=0, notify_concurrency=4)
    assert AppriseNotifier.from_settings(settings) == AppriseNotifier(3.0, 0, 4)


def test_apprise_failures_are_said_in_our_words() -> None:
    """Issue 17: Apprise's English warnings reached officials as is, 26 times per plan issue."""
    from danvan.notify.channels import our_words

    where = "json://127.0.0.1:9/X"
    assert our_words(
        "A Connection error occurred sending JSON notification to 127.0.0.1.", where
    ) == ("không kết nối được tới nơi nhận json://127.0.0.1:9/X [connection_error]")
    refused = "Failed to send JSON POST notification: Not Found - error=404."
    assert (
        our_words(refused, where)
        == "nơi nhận json://127.0.0.1:9/X từ chối tin (mã HTTP 404) [http_error]"
    )
    assert our_words("Zalo: mã lỗi -213", where) == "Zalo: mã lỗi -213"
    # anything else in English (a plugin's warning, an exception's text) is never shown as is
    for english in ("Unsupported format specified", "ValueError: bad host", "Failed to send"):
        assert our_words(english, where) == f"gửi không thành công tới {where} [send_failed]"
