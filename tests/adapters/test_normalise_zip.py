"""``normalise_zip`` copies deflated entries' bytes as they are (issue 20): the file must be the
very bytes that inflating and deflating every entry again gave, and a valid zip."""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from danvan.reports.outputs import normalise_zip

AT = datetime(2024, 11, 15, 1, 0, tzinfo=UTC)
CORE = (
    '<cp:coreProperties xmlns:dcterms="http://purl.org/dc/terms/">'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2020-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2021-01-01T00:00:00Z</dcterms:modified>'
    "</cp:coreProperties>"
)


def _recompressed(path: Path, out: Path, at: datetime) -> None:
    """The previous way: every entry inflated and deflated again, dated ``at``."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=at.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            if info.filename == "docProps/core.xml":
                text = src.read(info).decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)",
                                  rf"\g<1>{stamp}\g<2>", text)  # fmt: skip
                dst.writestr(fixed, text.encode("utf-8"))
                continue
            fixed.file_size = info.file_size
            with src.open(info) as entry, dst.open(fixed, "w") as w:
                shutil.copyfileobj(entry, w)


def test_copied_entries_are_the_bytes_deflating_again_gave(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    big = "".join(f"<w:p><w:t>Đơn vị {i}: {i * 7 % 101}</w:t></w:p>" for i in range(40_000))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", big)
        z.writestr("docProps/core.xml", CORE)
        z.writestr(zipfile.ZipInfo("word/media/image1.png"), b"\x89PNG" + bytes(range(256)) * 50)
        z.writestr("xl/tên-tiếng-việt.xml", "<x>Tổng hợp</x>")  # a UTF-8 name (flag 0x800)
    reference = tmp_path / "reference.docx"
    _recompressed(path, reference, AT)
    normalise_zip(path, AT)
    assert path.read_bytes() == reference.read_bytes()
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert z.read("word/document.xml").decode() == big
        assert all(i.date_time == AT.timetuple()[:6] for i in z.infolist())
        assert "2024-11-15T01:00:00Z" in z.read("docProps/core.xml").decode()
