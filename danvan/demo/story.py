"""The demo's story, step by step: the same flows the commands run, at simulated instants."""

from __future__ import annotations

import random
from pathlib import Path

from danvan.demo.data import APPRAISALS, at, submissions, write_yaml
from danvan.flows.appraise import appraise
from danvan.flows.compile import compile_reports
from danvan.flows.intake import submit
from danvan.flows.plan import issue_plan
from danvan.flows.publish import publish
from danvan.flows.remind import remind
from danvan.models.db import get_engine, reading
from danvan.models.schema import upgrade
from danvan.rules.text import format_decimal
from danvan.tasks.org import import_org
from danvan.tasks.signoff import record_sign_off
from danvan.tasks.views import cycle_status


def _sent_lines(sent: list[dict]) -> list[str]:
    return [
        f"    {'✓' if s['ok'] else '✗'} {s['kind']:<12} → {s['unit']}"
        + (f" (về: {', '.join(s['about'])})" if s["kind"] in ("escalation", "digest") else "")
        for s in sent
    ]


def _batches(items: list[tuple[str, Path]]) -> list[tuple[str, list[str]]]:
    """Files handed in at the same instant go in one ``submit`` (one flow run, as the CLI does)."""
    groups: dict[str, list[str]] = {}
    for when, path in items:
        groups.setdefault(when, []).append(str(path))
    return sorted(groups.items())


def _reminder_before(remind, say) -> None:
    doc = remind(2024, at("2024-11-07T08:00"))
    say(f"    Nhắc hạn 07/11/2024 (còn 03 ngày): {len(doc['sent'])} tin.")
    for line in _sent_lines(doc["sent"])[:6]:
        say(line)
    if len(doc["sent"]) > 6:
        say(f"    … và {len(doc['sent']) - 6} tin khác")


def play(out: Path, org: dict, received: list[dict], say) -> None:
    upgrade(get_engine())
    files = out / "input"
    rng = random.Random(2024)
    imported = import_org(str(files / "org.yaml"), at("2023-01-05T08:00"))
    say(f"1. Nhập cơ cấu tổ chức: {len(imported.created)} đơn vị.")

    say("2. Năm trước (2023), để so sánh cùng kỳ: ban hành kế hoạch, các đơn vị nộp đủ.")
    issue_plan(str(files / "plan-2023.yaml"), at("2023-02-20T09:00"))
    for when, paths in _batches(submissions(out, org, 2023, rng)):
        submit(paths, at(when))
    record_sign_off(2023, "QNG", at("2023-11-30T08:30"), note="Đồng ý kết quả xếp loại")
    publish(2023, at("2023-11-30T09:00"))
    received.clear()

    issued = issue_plan(str(files / "plan-2024.yaml"), at("2024-02-17T09:00"))
    say(f"3. Ban hành kế hoạch 2024, thông báo tới {sum(s['ok'] for s in issued['sent'])} đơn vị.")

    say(
        "4. Các đơn vị nộp tự đánh giá (có đơn vị nộp trễ, một đơn vị nộp lại, ba đơn vị không nộp):"
    )
    reminded = False
    for when, paths in _batches(submissions(out, org, 2024, rng)):
        if not reminded and when >= "2024-11-07T08:00":  # the reminder day comes in between
            reminded = True
            _reminder_before(remind, say)
        results = submit(paths, at(when))
        say(f"    {when.replace('T', ' ')}: {len(results)} tệp")
        for r in results:
            if r["version"] > 1 or r["status"] == "late":
                late = "đúng hạn" if r["status"] == "on_time" else f"trễ {r['days_late']} ngày"
                say(f"      {r['unit']}: phiên bản {r['version']}, {late}")

    doc = remind(2024, at("2024-11-14T08:00"))
    say(f"5. Nhắc hạn 14/11/2024 (quá hạn 04 ngày, báo nơi tổng hợp): {len(doc['sent'])} tin.")
    for line in _sent_lines(doc["sent"]):
        say(line)
    for s in doc["skipped_no_contact"]:
        say(f"    ! {s['unit']}: không có địa chỉ liên hệ ({s['kind']})")

    with reading(get_engine()) as session:
        st = cycle_status(session, year=2024, at=at("2024-11-15T08:00"))
    s = st["summary"]
    say(
        f"6. Tình hình 15/11/2024: {s['submitted']}/{s['expected']} đã nộp ({s['on_time']} đúng hạn, {s['late']} trễ), {s['missing']} chưa nộp."
    )

    # A district appraises by its own deadline (district_compilation, 20/11); the province later.
    appraised_at = {"QNG.BSN": "2024-11-19T10:00", "QNG": "2024-11-25T10:00"}
    for name, doc in APPRAISALS.items():
        r = appraise(str(write_yaml(files / name, doc)), at(appraised_at[str(doc["by"])]))
        say(f"7. Thẩm định của {r['by']}: {r['adjustments']} điều chỉnh.")

    result = compile_reports(2024, at("2024-11-29T16:00"), str(out / "bao-cao"))
    say(
        f"8. Tổng hợp, xếp loại: {len(result['compiled'])} đơn vị tổng hợp (huyện trước, tỉnh sau)."
    )
    for c in result["compiled"]:
        say(f"    {c['folder']}/: {', '.join(c['files'])}")

    signed = record_sign_off(2024, "QNG", at("2024-11-30T08:30"), note="Đồng ý kết quả xếp loại")
    say(f"9. UBND tỉnh (QNG) phê duyệt kết quả xếp loại lúc {signed.at[11:16]} ngày 30/11/2024.")
    pub = publish(2024, at("2024-11-30T09:00"))
    ranked = [r for r in pub["results"] if r["rank"] is not None and r["compiler"] == "QNG"]
    say(
        f"10. Công bố kết quả; {sum(x['ok'] for x in pub['sent'])} đơn vị nhận thông báo. Xếp hạng trực thuộc tỉnh:"
    )
    for r in ranked[:5]:
        say(
            f"    {r['rank']:>2}. {r['unit']:<14} {format_decimal(r['total']):>6} điểm  {r['band']}"
        )
