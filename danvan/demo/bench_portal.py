"""The bench's portal stages (split out of :mod:`danvan.demo.bench`): pages and uploads timed
through a real portal on 127.0.0.1, and the CPU each kind of request costs beside a static
file served in the same run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from danvan.demo.load import Timings, read_pages, request_costs, upload_all
from danvan.demo.sink import receiving_sink
from danvan.demo.synthetic import (
    PROVINCE,
    YEAR,
    fill_workbook,
    submission,
    synthetic_org,
    write_json,
)
from danvan.portal.server import running
from danvan.tasks.links import link_paths
from danvan.tasks.org import import_org
from danvan.tasks.templates import write_templates

if TYPE_CHECKING:
    from danvan.demo.bench import BenchRun

#: How many units the portal stages sample (pages read, files sent) and how many at once.
PORTAL_SAMPLE = 100
PORTAL_CONCURRENCY = 8
#: Requests of each kind measured one after another for the CPU per request.
PORTAL_REPEAT = 10
PORTAL_AT = "2024-11-12T09:00"


def portal_stages(
    run: BenchRun, org: list[dict[str, Any]], at: datetime, out: Path, port: int | None = None
) -> None:
    """Page and upload latencies of the portal (in-process on 127.0.0.1, a thread): a sample of
    units open their links (the link's page, then its button: ``danvan.demo.load.sign_in``) and
    read their page, a district and the province read theirs, then the sample sends new versions
    ``PORTAL_CONCURRENCY`` at a time. Targets: p95 page ≤ 300 ms, upload ≤ 1 s.

    Every unit has one live contact (:func:`danvan.demo.sink.receiving_sink`, a process of its
    own): each upload queues its receipt and the courier sends it once, as on a real day."""
    out.mkdir(parents=True, exist_ok=True)
    with receiving_sink() as contact:
        org_file = write_json(
            out / "org-lien-lac.json", {"units": synthetic_org(len(org), contact)}
        )
        import_org(org_file, at)  # untimed: the units' contacts, before the portal starts
        _portal_stages(run, org, at, out, port)


def _portal_stages(
    run: BenchRun, org: list[dict[str, Any]], at: datetime, out: Path, port: int | None
) -> None:
    assessed = [u["code"] for u in org if u["kind"] != "province"]
    step = max(1, len(assessed) // PORTAL_SAMPLE)
    sample = assessed[::step][:PORTAL_SAMPLE]
    district = next(u["code"] for u in org if u["kind"] == "district")
    links = _bench_links([*sample, district, PROVINCE], at)
    files = {
        code: (f"{code}.json", json.dumps(submission(code, i + 1)).encode())
        for i, code in enumerate(sample)
    }
    with running(now=lambda: at, rate_burst=10_000, open_burst=10_000, port=port) as url:
        with run.stage("portal pages", len(sample) + 40) as s:
            pages: list[float] = []
            for code in sample:
                pages += read_pages(url, links[code], ["/don-vi"], 1)
            district_pages = read_pages(url, links[district], ["/tong-hop"], 20)
            province_pages = read_pages(url, links[PROVINCE], ["/tong-hop"], 20)
            s.note = (
                f"p95 đơn vị {_ms(Timings.p(pages, 0.95))}, "
                f"huyện {_ms(Timings.p(district_pages, 0.95))}, "
                f"tỉnh ({len(assessed)} đơn vị) {_ms(Timings.p(province_pages, 0.95))}"
            )
        with run.stage("portal uploads", len(sample)) as s:
            t = upload_all(url, {c: links[c] for c in sample}, files, PORTAL_CONCURRENCY)
            s.note = (
                f"{t.accepted}/{len(sample)} nhận, {PORTAL_CONCURRENCY} cùng lúc: "
                f"p50 {_ms(Timings.p(t.upload, 0.5))}, p95 {_ms(Timings.p(t.upload, 0.95))}"
            )
        with run.stage("portal CPU/request", 4 * PORTAL_REPEAT) as s:
            one = sample[0]  # new versions of one unit's file, each different
            again = [
                (f"{one}.json", json.dumps(submission(one, 100 + i)).encode())
                for i in range(PORTAL_REPEAT)
            ]
            books = _filled_books(one, out, PORTAL_REPEAT)
            costs = request_costs(
                url, links[one], links[PROVINCE], again, PORTAL_REPEAT, workbooks=books
            )
            s.note = "; ".join(
                f"{c.name} CPU {c.cpu * 1000:.1f} ms"
                + (f" (sau khi trả lời: {c.after * 1000:.1f} ms)" if c.after else "")
                + f", p95 {_ms(c.p95)}"
                for c in costs
            )


def _filled_books(code: str, out: Path, count: int) -> list[tuple[str, bytes]]:
    """``count`` filled copies of ``code``'s workbook, each with other scores (untimed)."""
    (template,) = write_templates(YEAR, out=out / "mau", unit=code)
    books = []
    for i in range(count):
        filled = fill_workbook(template, out / f"{i}-{template.name}", 200 + i)
        books.append((template.name, filled.read_bytes()))
    return books


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def _bench_links(codes: list[str], at: datetime) -> dict[str, str]:
    return link_paths(YEAR, codes, at, "bench")
