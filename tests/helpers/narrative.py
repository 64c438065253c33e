"""Seed-like narrative reports (laid out as seed 001) and the pairs of proposals that should and
should not merge: shared by the rules, adapter, core and demo tests."""

from __future__ import annotations

from pathlib import Path

#: (first proposal, second proposal, should they merge)
PROPOSAL_PAIRS: list[tuple[str, str, bool]] = [
    ("Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
     "Kiến nghị UBND tỉnh bố trí kinh phí thực hiện công tác dân vận chính quyền hằng năm.", True),
    ("Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ công tác dân vận cho cán bộ, công chức cấp xã.",
     "Đề nghị Sở Nội vụ mở lớp tập huấn nghiệp vụ về công tác dân vận cho công chức cấp xã.", True),
    ("Đề nghị tỉnh sớm ban hành hướng dẫn chấm điểm bộ tiêu chí dân vận chính quyền.",
     "Đề nghị sớm ban hành văn bản hướng dẫn chấm điểm bộ tiêu chí đánh giá công tác dân vận"
     " chính quyền.", True),
    ("Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
     "De nghi UBND tinh quan tam bo tri kinh phi cho cong tac dan van chinh quyen.", True),
    ("Đề nghị khen thưởng kịp thời các mô hình Dân vận khéo tiêu biểu.",
     "Kiến nghị tỉnh kịp thời khen thưởng các mô hình “Dân vận khéo” tiêu biểu ở cơ sở.", True),
    ("Đề nghị nâng cấp phần mềm một cửa điện tử để giảm hồ sơ trễ hạn.",
     "Đề nghị nâng cấp phần mềm dịch vụ công, hệ thống một cửa điện tử vì thường xuyên bị lỗi.",
     True),
    ("Đề nghị UBND tỉnh quan tâm bố trí kinh phí.",
     "Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền và quy chế dân"
     " chủ ở cơ sở.", True),
    ("Tăng cường kỷ luật, kỷ cương hành chính và công tác kiểm tra, giám sát công vụ.",
     "Tiếp tục tăng cường kỷ luật, kỷ cương hành chính; kiểm tra, giám sát thi hành công vụ.",
     True),
    ("Đề nghị Sở Nội vụ tổ chức tập huấn nghiệp vụ công tác dân vận cho cán bộ, công chức cấp xã.",
     "Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.", False),
    ("Đề nghị UBND tỉnh quan tâm bố trí kinh phí cho công tác dân vận chính quyền.",
     "Đề nghị UBND tỉnh quan tâm chỉ đạo giải quyết dứt điểm các vụ khiếu nại đông người.", False),
    ("Đề nghị tỉnh sớm ban hành hướng dẫn chấm điểm bộ tiêu chí dân vận chính quyền.",
     "Đề nghị tỉnh sớm bổ sung biên chế công chức văn hóa - xã hội cho cấp xã.", False),
    ("Đề nghị khen thưởng kịp thời các mô hình Dân vận khéo tiêu biểu.",
     "Đề nghị nâng cấp phần mềm một cửa điện tử để giảm hồ sơ trễ hạn.", False),
    ("Đề nghị tăng cường công tác tuyên truyền về chuyển đổi số cho người dân.",
     "Đề nghị tăng cường công tác kiểm tra, giám sát việc thực hiện quy chế dân chủ ở cơ sở.",
     False),
    ("Kiến nghị tỉnh hỗ trợ kinh phí đầu tư trang thiết bị cho bộ phận một cửa cấp xã.",
     "Kiến nghị tỉnh hỗ trợ kinh phí tổ chức đối thoại với Nhân dân ở cơ sở.", False),
    ("Đề nghị UBND tỉnh quan tâm.",
     "Đề nghị UBND tỉnh quan tâm chỉ đạo giải quyết dứt điểm các vụ khiếu nại đông người.", False),
    ("Tăng cường kỷ luật, kỷ cương hành chính và công tác kiểm tra, giám sát công vụ.",
     "Đẩy mạnh cải cách thủ tục hành chính, chuyển đổi số, nâng cao chỉ số hài lòng của người"
     " dân.", False),
]  # fmt: skip


def seed_like_report(
    unit_name: str,
    *,
    strengths: str,
    limitations: str,
    causes: str,
    directions: list[str],
    proposals: list[str],
    style: str = "seed",
) -> list[str]:
    """A unit's report as paragraphs, laid out as seed 001, in one of several heading styles:
    ``seed`` (Roman + Arabic, capitals, as 001), ``letters`` (A/B/a/b), ``plain`` (no diacritics,
    an old export), ``lower`` (Arabic only, no capitals)."""
    h = {
        "seed": ("V. ĐÁNH GIÁ CHUNG", "1. Ưu điểm", "2. Những hạn chế và nguyên nhân của hạn chế",
                 "2.1. Hạn chế", "2.2. Nguyên nhân", "VI. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025",
                 "VII. KIẾN NGHỊ, ĐỀ XUẤT"),
        "letters": ("C. ĐÁNH GIÁ CHUNG", "a) Kết quả nổi bật", "b) Hạn chế, tồn tại",
                    "", "c) Nguyên nhân", "D. PHƯƠNG HƯỚNG NHIỆM VỤ", "E. ĐỀ XUẤT, KIẾN NGHỊ"),
        "plain": ("IV. DANH GIA CHUNG", "1. Uu diem", "2. Han che, ton tai", "", "3. Nguyen nhan",
                  "V. PHUONG HUONG, NHIEM VU NAM 2025", "VI. KIEN NGHI, DE XUAT"),
        "lower": ("3. Đánh giá chung", "3.1. Ưu điểm", "3.2. Hạn chế", "", "3.3. Nguyên nhân",
                  "4. Phương hướng, nhiệm vụ năm 2025", "5. Kiến nghị, đề xuất"),
    }[style]  # fmt: skip
    lines = [
        f"{unit_name.upper()}",
        "BÁO CÁO",
        "Kết quả thực hiện công tác dân vận chính quyền năm 2024",
        "I. ĐẶC ĐIỂM TÌNH HÌNH" if style != "lower" else "1. Đặc điểm tình hình",
        "Năm 2024, tình hình kinh tế - xã hội trên địa bàn tiếp tục ổn định.",
        "II. KẾT QUẢ THỰC HIỆN" if style != "lower" else "2. Kết quả thực hiện",
        "1. Dân vận trong cải cách hành chính",
        "Tiếp nhận 3.697 hồ sơ, giải quyết đúng hạn 3.306 hồ sơ.",
        h[0],
        h[1],
        strengths,
        h[2],
    ]
    if h[3]:
        lines.append(h[3])
    lines += [limitations, h[4], causes, h[5]]
    lines += [f"{i}. {d}" for i, d in enumerate(directions, start=1)]
    lines.append(h[6])
    lines += [f"{i}. {p}" for i, p in enumerate(proposals, start=1)]
    lines += [
        "Trên đây là báo cáo kết quả thực hiện công tác dân vận chính quyền năm 2024./.",
        "Nơi nhận:",
        "- Như trên;",
    ]
    return lines


def write_report(path: Path, lines: list[str]) -> Path:
    """The report as the unit would send it: ``.docx`` (python-docx, one paragraph a line),
    ``.pdf`` (a text layer, drawn by matplotlib with TrueType fonts, wrapped over pages) or
    ``.txt``."""
    if path.suffix == ".docx":
        import docx

        document = docx.Document()
        for line in lines:
            document.add_paragraph(line)
        document.save(str(path))
    elif path.suffix == ".pdf":
        _write_pdf(path, lines)
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_pdf(path: Path, lines: list[str]) -> None:
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    wrapped = [part for line in lines for part in textwrap.wrap(line, 90) or [""]]
    per_page = 40
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for start in range(0, len(wrapped), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            for i, line in enumerate(wrapped[start : start + per_page]):
                fig.text(0.06, 0.95 - i * 0.022, line, fontsize=9)
            pdf.savefig(fig)
            plt.close(fig)
