"""``danvan plan amend``: điều chỉnh kế hoạch (SPEC §3.3), beside ``plan issue``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan.cli import At, Fmt, plan_app
from danvan.cli.common import JsonOrText, err, handles_rejections, parse_at, print_json
from danvan.rules.domain import MILESTONE_LABELS


@plan_app.command("amend")
@handles_rejections
def plan_amend(
    file: Annotated[Path, typer.Argument(help="Tệp kế hoạch đã điều chỉnh (cả kế hoạch).")],
    reason: Annotated[
        str, typer.Option("--reason", help="Lý do, vd. số hiệu văn bản gia hạn (bắt buộc).")
    ],
    at: At = None,
    fmt: Fmt = JsonOrText.text,
) -> None:
    """Điều chỉnh kế hoạch đã ban hành: thời hạn, lịch nhắc, số ngày bổ sung, tên, số hiệu.

    Tệp là cả kế hoạch (cùng tỉnh, cùng năm). Bộ tiêu chí chỉ đổi được khi chưa đơn vị nào
    nộp; thời hạn mới không được là ngày đã qua. Việc điều chỉnh được ghi nhật ký (ai, khi nào,
    vì sao); mọi đơn vị phải đánh giá được báo thời hạn cũ và mới; lịch trên Prefect đổi theo.
    Chạy lại cùng tệp không đổi gì và không gửi lại.

    Ví dụ: danvan plan amend plan.yaml --reason "Công văn số 123/UBND-NC gia hạn tự đánh giá"
    """
    from danvan.cli.common import after_step
    from danvan.flows.plan import amend_plan

    when = parse_at(at)
    result = amend_plan(str(file), reason, when)
    after_step("amend", when, [result["year"]])
    if fmt is JsonOrText.json:
        print_json(result)
        return
    if not result["amended"]:
        typer.echo(f"Kế hoạch năm {result['year']} không đổi (đã áp dụng).")
        return
    typer.echo(f"Đã điều chỉnh kế hoạch năm {result['year']} của {result['province']}.")
    for milestone, moved in result["changes"]["deadlines"].items():
        typer.echo(f"  - {MILESTONE_LABELS[milestone]}: {moved['old']} → {moved['new']}")
    for name in result["changes"]["fields"]:
        typer.echo(f"  - {name}: đã đổi")
    sent = result["sent"]
    failed = [s for s in sent if not s["ok"]]
    typer.echo(f"Thông báo: {len(sent) - len(failed)} đơn vị đã nhận, {len(failed)} gửi lỗi.")
    for s in failed:
        err(f"  ✗ {s['unit']}: {'; '.join(s['errors'])}")
