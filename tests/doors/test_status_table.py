"""``status``'s table past 300 units (issue 20): one line per compiler, every unit with --all."""

from __future__ import annotations

import io

from rich.console import Console

from danvan.cli.tables import UNITS_LISTED, print_status


def _doc(n: int) -> dict:
    units = [
        {"code": f"P.H{i % 3}.X{i:04d}", "name": f"Ủy ban nhân dân xã {i}", "compiler": f"P.H{i % 3}",
         "status": "on_time" if i % 4 else "missing", "days_late": None, "version": 1 if i % 4 else None,
         "self_total": 90.0 if i % 4 else None, "final_total": 90.0 if i % 4 else None,
         "band": "Tốt" if i % 4 else None}
        for i in range(n)
    ]  # fmt: skip
    units += [{"code": f"P.H{d}", "name": f"Ủy ban nhân dân huyện {d}", "compiler": "P",
               "status": "on_time", "days_late": None, "version": 1, "self_total": 95.0,
               "final_total": 95.0, "band": "Tốt"} for d in range(3)]  # fmt: skip
    compilers = {
        f"P.H{d}": {"expected": 0, "submitted": 0, "on_time": 0, "late": 0, "missing": 0,
                    "returned": 0} for d in range(3)
    }  # fmt: skip
    for u in units[:n]:
        p = compilers[u["compiler"]]
        p["expected"] += 1
        p["submitted" if u["version"] else "missing"] += 1
        p["on_time"] += 1 if u["version"] else 0
    compilers["P"] = {"expected": 3, "submitted": 3, "on_time": 3, "late": 0, "missing": 0,
                      "returned": 0}  # fmt: skip
    summary = {"expected": n + 3, "submitted": n + 3 - n // 4 - 1, "on_time": 0, "late": 0,
               "missing": 0, "returned": 0}  # fmt: skip
    return {"cycle": 2024, "as_of": "2024-11-20T08:00:00+07:00", "summary": summary,
            "units": units, "compilers": dict(sorted(compilers.items())), "deliveries": {}}  # fmt: skip


def _printed(doc: dict, every_unit: bool) -> str:
    out = io.StringIO()
    print_status(doc, Console(file=out, width=80), every_unit=every_unit)
    return out.getvalue()


def test_past_the_limit_one_line_per_compiler_and_every_unit_on_asking() -> None:
    doc = _doc(UNITS_LISTED + 1)
    text = _printed(doc, every_unit=False)
    assert "Tiến độ theo nơi tổng hợp" in text and "P.H0.X0001" not in text
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()[:2] == "P."
             or line.strip().startswith("P ")}  # fmt: skip
    assert set(lines) == {"P", "P.H0", "P.H1", "P.H2"}
    assert lines["P.H1"][-6:] == ["100", "75", "75", "0", "25", "0"]  # every column fits 80
    every = _printed(doc, every_unit=True)
    assert "P.H0.X0000" in every and "P.H0.X0300" in every
    small = _printed(_doc(10), every_unit=False)  # a small province: every unit, as before
    assert "P.H0.X0000" in small and "Tiến độ theo nơi tổng hợp" not in small
