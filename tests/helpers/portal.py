"""A portal test province: the bundled sample (Quảng Ngãi, 29 units) without contacts, its 2024
plan issued, and helpers to write valid and broken submissions and to mint links."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import httpx
import yaml

from danvan.rules.timing import parse_instant

YEAR = 2024
UNIT = "QNG.BSN.X07"  # a commune of the district QNG.BSN
OTHER = "QNG.BSN.X08"  # its neighbour: same district
FAR = "QNG.STH.X01"  # a commune of another district
DISTRICT = "QNG.BSN"
PROVINCE = "QNG"
BASE = "http://portal.test"


def at(value: str) -> datetime:
    return parse_instant(value, "Asia/Ho_Chi_Minh")


def set_up_province(folder: Path, contacts: dict[str, str] | None = None) -> dict:
    """Org (no contacts but ``contacts``: nothing else is sent), criteria and the 2024 plan,
    issued on 17/02/2024. Returns what ``issue-plan`` answered."""
    from danvan.demo.sample import __file__ as sample_init
    from danvan.flows.plan import issue_plan
    from danvan.tasks.org import import_org

    sample = Path(sample_init).parent
    folder.mkdir(parents=True, exist_ok=True)
    org = yaml.safe_load((sample / "org.yaml").read_text(encoding="utf-8"))
    for unit in org["units"]:
        unit.pop("contacts", None)
        if contacts and unit["code"] in contacts:
            unit["contacts"] = [contacts[unit["code"]]]
    (folder / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    for name in ("plan.yaml", "criteria.yaml", "criteria-xa.yaml"):
        shutil.copy(sample / name, folder / name)
    import_org(str(folder / "org.yaml"), at("2024-01-05T08:00"))
    return issue_plan.fn(str(folder / "plan.yaml"), at("2024-02-17T09:00"))


def criteria_codes(code: str) -> list[tuple[str, float]]:
    """(criterion code, max) of ``code``'s criteria set."""
    from danvan.models.context import load_context
    from danvan.models.db import get_engine, reading

    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=YEAR)
    cs = ctx.criteria_for(ctx.units[code])
    return [(c.code, c.max) for c in cs.criteria]


def submission(code: str, version_hint: int = 0) -> dict:
    """A valid self-assessment: every criterion at its maximum less a quarter point per hint."""
    scores = {c: max(0.0, m - 0.25 * version_hint) for c, m in criteria_codes(code)}
    return {
        "unit": code,
        "year": YEAR,
        "submitted_by": "Chánh Văn phòng",
        "scores": scores,
        "bonus": 1,
        "penalty": 0,
        "figures": {
            "petitions": {"received": 10, "in_jurisdiction": 8, "resolved": 7, "outstanding": 1}
        },
    }


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def mint_links(codes: list[str], when: str = "2024-11-01T08:00") -> dict[str, str]:
    """code → the link path (``/l/<token>``) for each unit, minted as ``portal links`` does."""
    from danvan.tasks.links import link_paths

    return link_paths(YEAR, codes, at(when), "test")


def open_session(url: str, link: str) -> httpx.Client:
    """A client of the portal at ``url`` signed in by ``link`` (``/l/<token>``), as a browser
    is: the link's page, then its button (:func:`danvan.demo.load.sign_in`)."""
    from danvan.demo.load import sign_in

    client = httpx.Client(base_url=url, timeout=60)
    sign_in(client, link)
    return client


def follow_compile(client: httpx.Client, location: str, seconds: float = 180) -> str:
    """The progress page of a "Tổng hợp ngay" (``location``), looked at as its meta refresh
    does until the compile is finished (done or failed); its last text."""
    import time

    ends = time.monotonic() + seconds
    while True:
        text = client.get(location).text
        if 'http-equiv="refresh"' not in text or time.monotonic() > ends:
            return text
        time.sleep(0.3)


def csrf_of(page: str) -> str:
    """The CSRF token of a portal page's form (``danvan.demo.load``'s reader; the page has one)."""
    from danvan.demo.load import csrf_of as read

    token = read(page)
    assert token is not None, page[:500]
    return token


def submit_unit_and_other(tmp_path: Path) -> None:
    """UNIT and OTHER send their files (JSON), before the deadline: something to compile."""
    from danvan.flows.intake import submit

    sent = [write_json(tmp_path / f"{c}.json", submission(c)) for c in (UNIT, OTHER)]
    submit.fn([str(p) for p in sent], at("2024-11-08T09:00"))
