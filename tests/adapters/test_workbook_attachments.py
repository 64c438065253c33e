"""The announcement and a unit's own reminders carry its workbook by email, and say how to reply."""

from __future__ import annotations

import yaml

from danvan.rules.xlsx_gate import XlsxLimits
from danvan.rules.xlsx_read import read_xlsx
from danvan.workbook.layout import SHEET_IDENTITY, is_template
from danvan.workbook.read import read_workbook
from tests.helpers.province import write_province
from tests.helpers.sinks import running_smtp_sink

UNIT = "TST.H01.X01"
NAME = f"{UNIT}-tu-danh-gia-2024.xlsx"


def _attachments(mail) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in mail.message.iter_attachments()
    }


def test_email_carries_the_units_workbook(sqlite_url, tmp_path, cli):
    with running_smtp_sink() as smtp:
        write_province(tmp_path)
        org = yaml.safe_load((tmp_path / "org.yaml").read_text("utf-8"))
        for unit in org["units"]:
            if unit["code"] == UNIT:
                unit["contacts"] = [smtp.url("x01@example.gov.vn")]
        (tmp_path / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
        assert cli("org", "import", tmp_path / "org.yaml").exit_code == 0
        r = cli("plan", "issue", tmp_path / "plan.yaml", "--at", "2024-02-17T09:00")
        assert r.exit_code == 0, r.stderr
        [mail] = smtp.wait_for(1)
        files = _attachments(mail)
        assert list(files) == [NAME]
        assert "gửi lại đúng tệp đó" in mail.text
        book = read_xlsx(NAME, files[NAME], XlsxLimits())
        assert is_template(list(book.sheets))
        assert read_workbook(book.sheets).identity["unit"] == UNIT
        assert SHEET_IDENTITY in book.sheets

        r = cli("remind", "--cycle", "2024", "--at", "2024-11-07T08:30")
        assert r.exit_code == 0, r.stderr
        mails = smtp.wait_for(2)
        assert "[Nhắc hạn]" in mails[1].subject
        assert list(_attachments(mails[1])) == [NAME]
