"""Vietnamese labels of the figures, as the seeds' appendix tables and officials name them."""

from __future__ import annotations

from danvan.rules.domain import MILESTONE_LABELS

GROUP_LABELS: dict[str, str] = {
    "citizen_reception": "Tiếp công dân",
    "petitions": "Đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh của công dân",
    "staff_complaints": "Khiếu nại của cán bộ, công chức, viên chức",
    "mediation": "Hòa giải ở cơ sở",
    "admin_procedures": "Thủ tục hành chính",
    "models": "Mô hình “Dân vận khéo”",
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "citizen_reception": {
        "regular_sessions": "Số lần tiếp thường xuyên",
        "regular_people": "Số người (tiếp thường xuyên)",
        "periodic_sessions": "Số lần tiếp định kỳ",
        "periodic_people": "Số người (tiếp định kỳ)",
        "cases": "Số vụ việc",
        "group_cases": "Số đoàn đông người",
    },
    "petitions": {
        "received": "Số đơn đã tiếp nhận",
        "in_jurisdiction": "Số đơn thuộc thẩm quyền",
        "resolved": "Số đơn đã giải quyết",
        "outstanding": "Số đơn tồn đọng",
    },
    "staff_complaints": {
        "received": "Số đơn đã tiếp nhận",
        "in_jurisdiction": "Số đơn thuộc thẩm quyền",
        "resolved": "Số đơn đã giải quyết",
        "outstanding": "Số đơn tồn đọng",
    },
    "mediation": {
        "received": "Số vụ tiếp nhận hòa giải",
        "successful": "Hòa giải thành",
        "unsuccessful": "Hòa giải không thành",
    },
    "admin_procedures": {
        "received": "Số hồ sơ tiếp nhận",
        "online": "Hồ sơ trực tuyến",
        "resolved": "Số hồ sơ đã giải quyết",
        "on_time": "Giải quyết trước và đúng hạn",
        "overdue": "Quá hạn",
    },
    "models": {"registered": "Số mô hình đăng ký", "recognised": "Số mô hình được công nhận"},
}

RATE_LABELS: dict[str, str] = {
    "mediation_success": "Tỷ lệ hòa giải thành",
    "admin_on_time": "Tỷ lệ hồ sơ giải quyết trước và đúng hạn",
    "admin_online": "Tỷ lệ hồ sơ trực tuyến",
    "petitions_resolved": "Tỷ lệ giải quyết đơn thư",
}

STATUS_LABELS: dict[str, str] = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa nộp"}

#: A unit's state in a sentence or a table cell (``status``'s table and CSV): lower case, and
#: the returned state a report's column never shows.
STATUS_WORDS: dict[str, str] = {
    "on_time": "đúng hạn",
    "late": "trễ hạn",
    "missing": "chưa nộp",
    "returned": "trả lại, đang bổ sung",
}

#: The kinds of message (``Delivery.kind``), as an official names them.
MESSAGE_KIND_LABELS: dict[str, str] = {
    "before": "nhắc trước hạn",
    "due": "đến hạn",
    "overdue": "quá hạn",
    "escalation": "báo nơi tổng hợp",
    "digest": "tổng hợp tình hình",
    "announcement": "thông báo kế hoạch",
    "result": "thông báo kết quả",
    "returned": "trả lại, yêu cầu bổ sung",
    "revision": "nhắc bổ sung",
    "revision_escalation": "báo nơi tổng hợp việc bổ sung",
    "receipt": "xác nhận đã nhận",
    "refusal": "báo tệp bị từ chối",
    "compiled": "báo đã tổng hợp",
}

#: The milestone a message belongs to (``Delivery.milestone``): the plan's deadlines and the two
#: moments that are not deadlines.
MESSAGE_MILESTONE_LABELS: dict[str, str] = {
    **MILESTONE_LABELS,
    "plan": "kế hoạch",
    "publish": "công bố kết quả",
}

#: Band rules that changed a unit's band (``rules`` in JSON), in words, code kept in brackets.
BAND_RULE_LABELS: dict[str, str] = {
    "zero_criterion_caps_band": "có tiêu chí 0 điểm",
    "penalty_caps_band": "bị trừ điểm nhiều",
    "late_caps_band": "nộp trễ",
    "top_band_quota": "vượt tỷ lệ xếp loại cao nhất",
    "missing_band": "không nộp",
}


def message_text(f: dict) -> str:
    """One failed or unknown message: unit, what it was, the day and where it went (redacted)."""
    milestone = MESSAGE_MILESTONE_LABELS.get(f["milestone"], f["milestone"])
    kind = MESSAGE_KIND_LABELS.get(f["kind"], f["kind"])
    return f"{f['unit']} · {milestone} · {kind} ngày {f['day']} → {f['to']}"


#: The level a unit's figures are reported at, as the seeds name them (departments and agencies
#: with the province: *Cấp tỉnh*; a district's offices with the district: *Cấp huyện*).
LEVEL_OF_KIND: dict[str, str] = {
    "province": "Cấp tỉnh",
    "department": "Cấp tỉnh",
    "agency": "Cấp tỉnh",
    "district": "Cấp huyện",
    "district_office": "Cấp huyện",
    "commune": "Cấp xã",
}
LEVELS: tuple[str, ...] = ("Cấp tỉnh", "Cấp huyện", "Cấp xã")

#: Score columns (workbook, Phụ lục II): never the internal keys ``bonus``/``penalty``.
TARGET_LABELS: dict[str, str] = {"bonus": "Điểm thưởng", "penalty": "Điểm trừ"}


_TOP_FIELDS = {"unit": "Mã đơn vị", "year": "Năm", "bonus": "Điểm thưởng", "penalty": "Điểm trừ",
               "report_file": "Tệp báo cáo", "submitted_by": "Người lập báo cáo",
               "scores": "Điểm tự chấm", "figures": "Số liệu", "not_applicable": "Không áp dụng",
               "evidence": "Minh chứng"}  # fmt: skip


def describe_field(field: str) -> str:
    """A problem's field as an official reads it, the key kept for finding it in the file:
    ``figures.admin_procedures.received`` → ``Số hồ sơ tiếp nhận (figures.admin_procedures.received)``,
    ``scores.3`` → ``Điểm tiêu chí 3 (scores.3)``."""
    parts = field.split(".")
    if parts[0] == "figures" and len(parts) == 3 and parts[1] in FIELD_LABELS:
        label = FIELD_LABELS[parts[1]].get(parts[2])
        group = GROUP_LABELS[parts[1]]
        return f"{group}: {label} ({field})" if label else field
    if parts[0] == "figures" and len(parts) == 2 and parts[1] in GROUP_LABELS:
        return f"{GROUP_LABELS[parts[1]]} ({field})"
    if parts[0] == "scores" and len(parts) >= 2:
        return f"Điểm tiêu chí {'.'.join(parts[1:])} ({field})"
    if field in _TOP_FIELDS:
        return f"{_TOP_FIELDS[field]} ({field})"
    return field
