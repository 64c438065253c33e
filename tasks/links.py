"""The operator's commands on personal links (``danvan portal links``, ``renew``, ``revoke``).

How links are stored, minted and checked is :mod:`danvan.models.links`; here the cycle's
audience is chosen and every change is audited, for the CLI and the tests that drive the portal
as the units would.
"""

from __future__ import annotations

from datetime import datetime

from danvan.models import store
from danvan.models.context import find_context_cycle, load_context
from danvan.models.db import get_engine, reading, transaction
from danvan.models.links import LINK_PREFIX, link_url, mint, renew, revoke
from danvan.rules.errors import reject
from danvan.rules.org import subtree


def portal_audience(year: int, under: str | None = None) -> tuple[int, list[tuple[str, str, int]]]:
    """The cycle id and every unit that gets a link: the assessed units and the compilers of the
    province (or of ``under``'s subtree), as (code, name, unit id), sorted by code."""
    with reading(get_engine()) as session:
        ctx = load_context(session=session, year=year)
    if under is not None and under not in ctx.in_province:
        raise reject("unknown_unit", "--under", f"Không có đơn vị mã '{under}' trong tỉnh.")
    pool = subtree(ctx.units, under) if under else ctx.province_units
    codes = sorted(
        c for c in pool if ctx.units[c].active and (ctx.units[c].assessed or ctx.units[c].compiles)
    )
    assert ctx.cycle.id is not None
    return ctx.cycle.id, [(c, ctx.units[c].name, ctx.org.ids[c]) for c in codes]


def issue_links(year: int, at: datetime, base_url: str, under: str | None = None) -> list[dict]:
    """Mint one new link per unit and compiler; earlier links keep working until revoked."""
    cycle_id, audience = portal_audience(year, under)
    with transaction(get_engine()) as session:
        tokens = mint(
            session=session,
            cycle_id=cycle_id,
            unit_ids=[uid for _, _, uid in audience],
            purpose="list",
            at=at,
        )
        store.audit(
            session=session,
            at=at,
            actor="cli",
            action="portal_links",
            entity="cycle",
            key=str(year),
            units=len(tokens),
            under=under,
        )
    return [
        {"unit": code, "name": name, "link": link_url(base_url, tokens[uid])}
        for code, name, uid in audience
    ]


def renew_links(year: int, at: datetime, until: datetime, under: str | None = None) -> int:
    """Keep the links of the units (under ``under``) working until ``until``."""
    cycle_id, audience = portal_audience(year, under)
    with transaction(get_engine()) as session:
        n = renew(
            session=session, cycle_id=cycle_id, unit_ids=[u for *_, u in audience], until=until
        )
        store.audit(
            session=session,
            at=at,
            actor="cli",
            action="portal_renew",
            entity="cycle",
            key=str(year),
            links=n,
            until=until.isoformat(),
        )
    return n


def revoke_unit(code: str, at: datetime) -> int:
    """End every link of the unit ``code`` at once (its open sessions end with them)."""
    with transaction(get_engine()) as session:
        ids = store.load_org(session=session).ids
        if code not in ids:
            raise reject("unknown_unit", "CODE", f"Không có đơn vị mã '{code}'.")
        n = revoke(session=session, unit_id=ids[code], at=at)
        store.audit(
            session=session,
            at=at,
            actor="cli",
            action="portal_revoke",
            entity="unit",
            key=code,
            links=n,
        )
    return n


def link_paths(year: int, codes: list[str], at: datetime, purpose: str) -> dict[str, str]:
    """code → ``/l/<token>`` for each unit: new links for tests and the benchmark, which drive
    the portal as the units would."""
    with transaction(get_engine()) as session:
        cycle = find_context_cycle(session, year, unit=codes[0] if codes else None)
        assert cycle.id is not None
        ids = store.load_org(session=session, province_id=cycle.province_id).ids
        tokens = mint(
            session=session,
            cycle_id=cycle.id,
            unit_ids=[ids[c] for c in codes],
            purpose=purpose,
            at=at,
        )
    code_of = {ids[c]: c for c in codes}
    return {code_of[uid]: LINK_PREFIX + tok for uid, tok in tokens.items()}
