"""``status --format csv``'s rows for Excel, apart from the terminal's tables: the CSV needs
no rich (issue 20: a command imports only what it uses)."""

from __future__ import annotations

from danvan.rules.domain import KIND_LABELS as UNIT_KIND_LABELS
from danvan.rules.labels import BAND_RULE_LABELS as RULE_LABELS
from danvan.rules.labels import STATUS_WORDS as STATUS_LABELS
from danvan.rules.labels import message_text

#: ``status --format csv``: the JSON keys (kept in ``--format json``) and the headers Excel shows.
STATUS_CSV = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "kind": "Loại đơn vị",
    "compiler": "Nơi tổng hợp",
    "status": "Tình trạng",
    "version": "Phiên bản",
    "submitted_at": "Thời điểm nộp",
    "days_late": "Số ngày trễ",
    "self_total": "Điểm tự chấm",
    "final_total": "Điểm cuối",
    "band": "Xếp loại",
    "revise_by": "Hạn bổ sung",
    "rules": "Quy tắc hạ mức",
    "warnings": "Cảnh báo",
    "flags": "Số liệu cần kiểm tra",
    "unknown_messages": "Tin chưa rõ đã đến",
}


def flags_text(flags: list[dict]) -> str:
    """A unit's flags not yet checked, in one CSV cell for the official who opens it in Excel:
    each flag's sentence (it names the figure), `` | `` between them; the codes are in JSON."""
    return " | ".join(f["note"] for f in flags if not f["checked"])


def status_csv(doc: dict) -> tuple[list[dict], list[str]]:
    """``status``'s rows for Excel: Vietnamese headers and values (kinds, states, rules in words,
    a rule's code in brackets); numbers stay numbers. The JSON keeps the English keys."""
    unknown: dict[str, list[str]] = {}
    for f in doc["deliveries"]["failed"]:
        if f["status"] == "unknown":
            unknown.setdefault(f["unit"], []).append(message_text(f))
    rows = []
    for u in doc["units"]:
        row = {
            **u,
            "kind": UNIT_KIND_LABELS.get(u["kind"], u["kind"]),
            "status": STATUS_LABELS.get(u["status"], u["status"]),
            "rules": "; ".join(f"{RULE_LABELS.get(r, r)} [{r}]" for r in u["rules"]),
            "warnings": " | ".join(u["warnings"]),
            "flags": flags_text(u.get("flags", [])),
            "unknown_messages": " | ".join(unknown.get(u["code"], [])),
        }
        rows.append({STATUS_CSV[k]: row.get(k) for k in STATUS_CSV})
    return rows, list(STATUS_CSV.values())
