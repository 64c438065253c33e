"""Giới hạn đầu vào: how big and how odd an input may be before it is refused (SPEC §4.7).

The limits are data, not constants scattered over the readers: :class:`Limits` carries the SPEC
defaults, the settings (``DANVAN_MAX_*``) override them, and every reader takes the object it is
given — so a test can shrink a limit without writing a 20 MB file, and the XLSX gate reads the
same numbers as the YAML one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """SPEC §4.7 defaults; :meth:`danvan.config.settings.Settings.limits` gives the configured ones."""

    #: A submission, workbook, org tree, plan, criteria or appraisal file.
    max_file_bytes: int = 20 * MB
    #: The uncompressed content of a workbook (the sum of its zip members).
    max_uncompressed_bytes: int = 100 * MB
    #: Rows of a submission sheet; also sizes the value budget of a YAML/JSON submission.
    max_submission_rows: int = 5_000
    #: Rows of an org sheet (or units of an org YAML/JSON).
    max_org_rows: int = 100_000
    #: A narrative report or evidence file named by a submission.
    max_attachment_bytes: int = 50 * MB
    #: Any text value (a name, a reason, a key).
    max_text_chars: int = 2_000
    #: The magnitude of any number written in a file.
    max_number: int = 10**12

    def max_values(self, rows: int) -> int:
        """How many values (scalars, lists, mappings) a YAML/JSON file of ``rows`` rows may hold.

        A row of an org tree or a submission is a handful of keys and values; 20 per row is
        generous, and caps the work a hostile file can cause before it is refused.
        """
        return max(rows, 1) * VALUES_PER_ROW


VALUES_PER_ROW = 20
DEFAULT_LIMITS = Limits()

# --- codes (SPEC §3.1) ------------------------------------------------------------------------

CODE_MAX = 64
#: ASCII letters and digits, then also ``.``, ``-``, ``_``. A code never starts with a dot or a
#: dash, so that ``..`` or ``-x`` cannot be a code (a folder name, an option).
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_CODE_CHAR = re.compile(r"[A-Za-z0-9._-]")


def code_problem(code: str) -> str | None:
    """Why ``code`` (already NFC) is not a valid code, in Vietnamese; ``None`` when it is.

    Codes are compared character by character, so a look-alike letter from another script
    (Cyrillic ``Х``), a zero-width space or a fullwidth digit would make a second unit that
    reads the same: the alphabet is ASCII on purpose.
    """
    if len(code) > CODE_MAX:
        return f"Mã dài {len(code)} ký tự, tối đa {CODE_MAX}."
    if _CODE.fullmatch(code):
        return None
    bad = next((c for c in code if not _CODE_CHAR.fullmatch(c)), None)
    rule = "chỉ gồm chữ cái A–Z, a–z, chữ số 0–9 và dấu . - _"
    if bad is None:
        return f"Mã phải bắt đầu bằng chữ cái hoặc chữ số ({rule})."
    return f"Mã có ký tự {describe_char(bad)} không được phép; mã {rule}."


def describe_char(char: str) -> str:
    """A character as an official can find it: ``“Х” (U+0425 CYRILLIC CAPITAL LETTER HA)``."""
    name = unicodedata.name(char, "")
    shown = f"“{char}” " if char.isprintable() and not char.isspace() else ""
    return f"{shown}(U+{ord(char):04X}{' ' + name if name else ''})"


def shown(value: str, most: int = 40) -> str:
    """A user's value, cut short for a message (a 2,000-character code is not worth repeating)."""
    return value if len(value) <= most else value[:most] + "…"
