"""danvan's REST client to Prefect retries 429/5xx with backoff (SPEC §5: a busy embedded server
answers 503 now and then; one of them must not fail a publication's clean-up). Real HTTP: a
local endpoint behind a proxy that answers 503 or 429 to the requests chosen."""

from __future__ import annotations

import pytest

from danvan.runtime.api import PrefectRest, PrefectUnavailable, retry_delay
from tests.helpers.flaky import flaky_proxy
from tests.helpers.sinks import running_http_sink

FAST = (0.01, 0.02, 0.04)


def test_retry_delay_is_for_429_and_5xx_only_and_honours_retry_after_up_to_a_ceiling():
    assert retry_delay(404, None, 0) is None
    assert retry_delay(409, None, 0) is None
    assert retry_delay(503, None, 0) == 0.5
    assert retry_delay(500, None, 3) == 4.0
    assert retry_delay(502, None, 4) == 8.0
    assert retry_delay(502, None, 5) is None  # given up after five retries
    assert retry_delay(429, "3", 0) == 3.0
    assert retry_delay(429, "3600", 0) == 10.0
    assert retry_delay(429, "Wed, 21 Oct 2026 07:28:00 GMT", 1) == 1.0


@pytest.mark.parametrize("status", [503, 429, 500])
def test_a_call_answered_with_a_passing_error_is_retried_and_goes_through(status):
    with running_http_sink() as sink, flaky_proxy(f"http://127.0.0.1:{sink.port}/api") as proxy:
        proxy.fail("POST", "/flow_runs/filter", times=2, status=status)
        with PrefectRest(proxy.url, retry_delays=FAST) as rest:
            assert rest.runs(["danvan"]) == []
        assert len(proxy.injected) == 2
        assert [r.path for r in sink.wait_for(1)] == ["/api/flow_runs/filter"]


def test_a_server_that_keeps_failing_is_unavailable_after_the_retries():
    with running_http_sink() as sink, flaky_proxy(f"http://127.0.0.1:{sink.port}/api") as proxy:
        proxy.fail("POST", "/flow_runs/filter", times=10)
        with PrefectRest(proxy.url, retry_delays=FAST) as rest, pytest.raises(PrefectUnavailable):
            rest.runs(["danvan"])
        assert len(proxy.injected) == 4  # the call and three retries (FAST: three delays)
        assert sink.requests == []
