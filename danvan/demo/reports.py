"""The demo units' own narrative reports, laid out as the seeds are (seed 001: *Đánh giá chung*
with *Ưu điểm*, *Hạn chế*, *Nguyên nhân*; *Phương hướng, nhiệm vụ*; *Kiến nghị, đề xuất*).

Written for the demo: each unit picks its points from the pools below with a generator seeded
by its code (the figures' generator is left untouched), most as DOCX, some as plain text, one
in an old export without diacritics, so that the compiled reports show drafted sections whose
shared proposals are said once with every unit's name.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

STRENGTHS = [
    "Công tác dân vận chính quyền được cấp ủy, chính quyền quan tâm chỉ đạo; mối quan hệ giữa"
    " chính quyền với Nhân dân được củng cố.",
    "Thực hiện tốt Quy chế dân chủ ở cơ sở; các chủ trương, chính sách được công khai, minh bạch"
    " để Nhân dân biết, bàn, làm, kiểm tra.",
    "Mô hình “Dân vận khéo” trong xây dựng nông thôn mới được nhân rộng, huy động được sự tham"
    " gia của Nhân dân.",
    "Giải quyết thủ tục hành chính cơ bản đúng hạn; tỷ lệ hồ sơ trực tuyến tăng so với năm trước.",
    "Tiếp công dân, đối thoại với Nhân dân được duy trì thường xuyên; nhiều vụ việc được giải"
    " quyết ngay tại cơ sở.",
]
LIMITATIONS = [
    "Công tác tuyên truyền về dân vận chính quyền có lúc chưa sâu sát, chủ yếu bằng văn bản.",
    "Một số hồ sơ thủ tục hành chính còn giải quyết trễ hạn.",
    "Việc nhân rộng các mô hình “Dân vận khéo” còn chậm, chưa đều giữa các địa bàn.",
]
CAUSES = [
    "Một số cán bộ, công chức còn nặng về công tác chuyên môn, chưa quan tâm đúng mức đến công tác"
    " dân vận.",
    "Kinh phí và trang thiết bị phục vụ công tác dân vận còn hạn chế.",
]
DIRECTIONS = [
    "Tiếp tục quán triệt, thực hiện các chương trình, kế hoạch của tỉnh về công tác dân vận chính"
    " quyền.",
    "Đẩy mạnh cải cách hành chính, chuyển đổi số, nâng cao chỉ số hài lòng của người dân.",
    "Tăng cường kỷ luật, kỷ cương hành chính; kiểm tra, giám sát việc thực thi công vụ.",
    "Thực hiện nghiêm trách nhiệm tiếp công dân, đối thoại với Nhân dân của người đứng đầu.",
]
#: Each proposal as several units would word it: the draft says each once, with all their names.
PROPOSALS = [
    ["Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
     "Kiến nghị UBND tỉnh bố trí kinh phí thực hiện công tác dân vận chính quyền hằng năm.",
     "Đề nghị tỉnh hỗ trợ, bố trí kinh phí cho công tác dân vận chính quyền ở cơ sở."],
    ["Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ công tác dân vận cho cán bộ, công chức cấp xã.",
     "Đề nghị Sở Nội vụ mở lớp tập huấn nghiệp vụ về công tác dân vận cho công chức cấp xã."],
    ["Đề nghị nâng cấp phần mềm một cửa điện tử để giảm hồ sơ trễ hạn.",
     "Đề nghị nâng cấp phần mềm dịch vụ công, hệ thống một cửa điện tử vì thường xuyên bị lỗi."],
    ["Đề nghị tỉnh kịp thời khen thưởng các mô hình “Dân vận khéo” tiêu biểu ở cơ sở."],
]  # fmt: skip
#: Units that send no report file (their parts stay with the others' words, or placeholders).
NO_REPORT = {"QNG.BSN.VP", "QNG.STH.PTP", "QNG.TTT"}
OLD_EXPORT = "QNG.BSN.X10"  # its report came from an old program: no diacritics
AS_TEXT = {"QNG.BSN.PTP", "QNG.STH.X04"}


def _bare(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def report_lines(code: str, name: str, year: int) -> list[str]:
    """The unit's report as paragraphs, in the seeds' layout."""
    rng = random.Random(f"{code}-{year}")
    proposals = [rng.choice(p) for p in rng.sample(PROPOSALS, 2)]
    lines = [
        name.upper(),
        f"BÁO CÁO Kết quả thực hiện công tác dân vận chính quyền năm {year}",
        "I. ĐẶC ĐIỂM TÌNH HÌNH",
        f"Năm {year}, tình hình kinh tế - xã hội trên địa bàn tiếp tục ổn định.",
        "II. KẾT QUẢ THỰC HIỆN",
        "1. Dân vận trong công tác cải cách hành chính",
        "(Số liệu chi tiết tại biểu tự đánh giá kèm theo.)",
        "III. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm",
        rng.choice(STRENGTHS),
        "2. Những hạn chế và nguyên nhân của hạn chế",
        "2.1. Hạn chế",
        rng.choice(LIMITATIONS),
        "2.2. Nguyên nhân",
        rng.choice(CAUSES),
        f"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {year + 1}",
        *(f"{i}. {d}" for i, d in enumerate(rng.sample(DIRECTIONS, 2), start=1)),
        "V. KIẾN NGHỊ, ĐỀ XUẤT",
        *(f"{i}. {p}" for i, p in enumerate(proposals, start=1)),
        f"Trên đây là báo cáo kết quả thực hiện công tác dân vận chính quyền năm {year} của"
        f" {name}./.",
        "Nơi nhận:",
        "- Như trên;",
    ]
    return [_bare(line) for line in lines] if code == OLD_EXPORT else lines


def write_report(folder: Path, code: str, name: str, year: int) -> str | None:
    """Write the unit's report beside its submission; its file name (``report_file``), or
    ``None`` for a unit that sends none."""
    if code in NO_REPORT:
        return None
    lines = report_lines(code, name, year)
    folder.mkdir(parents=True, exist_ok=True)
    if code in AS_TEXT:
        path = folder / f"{code}-bao-cao.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path.name
    import docx  # python-docx, as the reports are written

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    path = folder / f"{code}-bao-cao.docx"
    document.save(str(path))
    return path.name
