"""Operator commands: ``danvan bench`` end to end on a tiny province, ``danvan serve`` refusals."""

from __future__ import annotations

from collections import Counter

import pytest

from danvan.demo.bench import synthetic_org

STAGES = (
    "org import",
    "plan issue",
    "templates: write",
    "templates: read back",
    "submit: JSON (one batch)",
    "submit: workbooks (one batch)",
    "status",
    "org update (contacts)",
    "reminders for a day",
    "compile",
)


@pytest.mark.parametrize("n", [4, 40, 1000, 2500])
def test_synthetic_org_has_exactly_n_units_shaped_like_a_province(n):
    units = synthetic_org(n)
    assert len(units) == n
    assert len({u["code"] for u in units}) == n
    kinds = Counter(u["kind"] for u in units)
    assert kinds["province"] == 1
    assert kinds["district"] >= 1 and kinds["department"] >= 1
    if n >= 1000:
        assert kinds["commune"] > kinds["district_office"] > kinds["district"]
    assert all("contacts" not in u for u in units)


def test_bench_runs_every_stage_and_keeps_its_files(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DANVAN_DATABASE_URL", "sqlite:///must-not-be-touched.db")
    r = cli("bench", "--units", "30", "--keep", tmp_path / "b")
    assert r.exit_code == 0, r.stderr
    for stage in STAGES:
        assert stage in r.stdout
    assert "29/29 tệp được nhận" in r.stdout
    for kind in ("tệp tĩnh", "trang đơn vị", "nộp JSON", "trang tỉnh"):
        assert f"{kind} CPU" in r.stdout  # the portal's CPU per request beside a static file
    assert (tmp_path / "b" / "bench.db").exists()
    assert len(list((tmp_path / "b" / "submissions").glob("*.json"))) == 29
    assert not (tmp_path / "must-not-be-touched.db").exists()
    from danvan.config.settings import get_settings

    assert get_settings().database_url == "sqlite:///must-not-be-touched.db"  # restored


def test_bench_refuses_a_database_that_is_not_empty(cli, tmp_path):
    first = cli("bench", "--units", "10", "--keep", tmp_path)
    assert first.exit_code == 0, first.stderr
    again = cli("bench", "--units", "10", "--keep", tmp_path)
    assert again.exit_code == 1
    assert "database_not_empty" in again.stderr


def test_serve_help_is_current(cli):
    """No separate environment, no FastAPI pin to copy: danvan's own environment serves."""
    r = cli("serve", "--help")
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    assert "fastapi" not in text.lower() and "prefect-server/bin" not in text
    assert "tự khởi động một server cục bộ" in text
    assert "Ví dụ: danvan serve" in text


@pytest.mark.slow
@pytest.mark.prefect
def test_serve_without_a_setting_starts_a_local_prefect_server(sqlite_url, tmp_path):
    """The server ``danvan serve`` starts when nothing is configured: SQLite beside danvan.db."""
    import httpx

    from danvan.cli.ops import _local_server
    from tests.helpers.sinks import free_port

    with _local_server(free_port()) as url:
        assert httpx.get(url + "/health", timeout=5).status_code == 200
        assert (tmp_path / "prefect").is_dir()
    assert any((tmp_path / "prefect").glob("*.db"))


def test_serve_with_an_unreachable_server_fails_fast(cli, monkeypatch):
    from danvan.config.settings import get_settings

    monkeypatch.setenv("DANVAN_PREFECT_API_URL", "http://127.0.0.1:1/api")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    get_settings.cache_clear()
    try:
        r = cli("serve")
    finally:
        monkeypatch.delenv("DANVAN_PREFECT_API_URL")
        get_settings.cache_clear()
    assert r.exit_code == 1
    assert "[prefect_unavailable]" in r.stderr
