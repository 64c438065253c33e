"""``danvan bench`` (issue 20): several provinces, stages skipped, each stage beside its floor."""

from __future__ import annotations

from pathlib import Path


def test_bench_two_provinces_with_floors(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("bench", "--units", "40", "--provinces", "2", "--skip", "portal", "--skip", "remind",
            "--keep", tmp_path / "b")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "2 tỉnh × 40 đơn vị" in out and "× floor" in out
    for stage in ("org import", "submit: JSON", "submit: inbox", "submit: workbooks", "status",
                  "compile"):  # fmt: skip
        assert stage in out, stage
    assert "39/39 tệp được nhận" in out  # both intakes accepted every file
    assert "portal pages" not in out and "reminders" not in out  # skipped
    r = cli("bench", "--units", "40", "--skip", "nothing")
    assert r.exit_code == 2 and "--skip" in r.stderr
