"""Letterhead (SPEC §3.7): who issues and signs a compiled report — the province's choice, not code.

``letterhead.yaml`` is optional. Without it the province's report comes from ``SỞ NỘI VỤ``
(``BC-SNV``, *KT. GIÁM ĐỐC*) and a district's as the seeds' districts issue theirs: from its
``ỦY BAN NHÂN DÂN`` (``BC-UBND``) to Sở Nội vụ, *TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH*, the signer's
name a marked blank. With it, per compiler kind and per unit code where one differs::

    district:                           # or province, default; a unit code under units:
      issuer_lines: ["ỦY BAN NHÂN DÂN", "{AREA}"]     # the last line is bold, underlined
      issuer: Ủy ban nhân dân {area}                 # the issuer in prose
      number_suffix: BC-UBND
      recipients: ["Sở Nội vụ {parent}"]            # Kính gửi
      signing: TM.                                   # TM. | KT. | "" (signs in own name)
      signer_title: ỦY BAN NHÂN DÂN                  # after TM./KT.
      signer_position: CHỦ TỊCH                      # the line under it
      signer_name: Đoàn Thanh Bình
      distribution: ["Như trên;", "Ban Dân vận {party};"]
      archive: "Lưu: VT, NV."
    units:
      QNG.BSN: {signer_name: Nguyễn Văn A}

Placeholders: ``{area}`` (*huyện Bình Sơn*), ``{AREA}`` (upper case), ``{place}`` (*Bình Sơn*),
``{parent}`` / ``{PARENT}`` (the compiler's parent area, *tỉnh Quảng Ngãi*), ``{party}``
(*Huyện ủy*), ``{name}`` (the compiler's full name).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, replace

from danvan.rules.domain import OrgUnit
from danvan.rules.errors import Problems
from danvan.rules.text import fold_key, normalize_text

_BODY_PREFIXES = ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd ")
_LEVELS = {"thành phố": "Thành ủy", "thị xã": "Thị ủy", "tỉnh": "Tỉnh ủy", "huyện": "Huyện ủy",
           "quận": "Quận ủy", "xã": "Đảng ủy", "phường": "Đảng ủy", "thị trấn": "Đảng ủy"}  # fmt: skip
PLACEHOLDERS = ("area", "AREA", "place", "parent", "PARENT", "party", "name")
_LIST_FIELDS = ("issuer_lines", "recipients", "distribution")
_TEXT_FIELDS = ("issuer", "number_suffix", "signing", "signer_title", "signer_position",
                "signer_name", "archive", "place_name")  # fmt: skip
FIELDS = _LIST_FIELDS + _TEXT_FIELDS
_SIGNING = ("TM.", "KT.", "Q.", "TL.", "TUQ.", "")
#: The signer's name when letterhead.yaml gives none: a blank the official sees and fills.
SIGNER_BLANK = "(Họ và tên người ký)"


def local_name(name: str) -> str:
    """``Ủy ban nhân dân tỉnh Quảng Ngãi`` → ``tỉnh Quảng Ngãi`` (the area, with its level)."""
    text = normalize_text(name)
    for prefix in _BODY_PREFIXES:
        if fold_key(text).startswith(prefix):
            return text[len(prefix) :]
    return text


def split_level(area: str) -> tuple[str, str]:
    """``tỉnh Quảng Ngãi`` → (``tỉnh``, ``Quảng Ngãi``); unknown levels give ("", area)."""
    for level in sorted(_LEVELS, key=len, reverse=True):
        if fold_key(area).startswith(level + " "):
            return level, area[len(level) + 1 :]
    return "", area


@dataclass(frozen=True)
class Letterhead:
    """Who issues the report: header lines, number suffix, place, recipients, signature."""

    issuer_lines: tuple[str, ...]  # ("UBND TỈNH QUẢNG NGÃI", "SỞ NỘI VỤ"); the last one bold
    issuer: str  # "Sở Nội vụ tỉnh Quảng Ngãi" (in prose)
    number_suffix: str  # "BC-SNV"
    place: str  # "Quảng Ngãi"
    recipients: tuple[str, ...]
    signing: str  # "KT.", "TM." or ""
    signer_title: str  # "GIÁM ĐỐC"
    signer_position: str  # "PHÓ GIÁM ĐỐC"
    distribution: tuple[str, ...]
    archive: str = "Lưu: VT."
    signer_name: str = SIGNER_BLANK  # the official types the name over it when signing

    @property
    def signature(self) -> tuple[str, ...]:
        """``("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")``; signing in one's own name: the title alone."""
        first = f"{self.signing} {self.signer_title}".strip()
        return (first, self.signer_position) if self.signer_position else (first,)

    @property
    def recipient(self) -> str:
        """Whom the closing sentence asks to approve: the first recipient."""
        return self.recipients[0] if self.recipients else "cơ quan cấp trên"


def _values(compiler: OrgUnit, parent: OrgUnit | None) -> dict[str, str]:
    area = local_name(compiler.name)
    level, place = split_level(area)
    above = local_name(parent.name) if parent else ""
    return {
        "area": area,
        "AREA": area.upper(),
        "place": place,
        "parent": above,
        "PARENT": above.upper(),
        "party": _LEVELS.get(level, "cấp ủy"),
        "name": normalize_text(compiler.name),
    }


def default_letterhead(compiler: OrgUnit, parent: OrgUnit | None = None) -> Letterhead:
    """Today's wording, from the compiler's kind and name (what ``letterhead.yaml`` overrides)."""
    v = _values(compiler, parent)
    area, above, party = v["area"], v["parent"], v["party"]
    if compiler.kind == "province":
        return Letterhead(
            (f"UBND {v['AREA']}", "SỞ NỘI VỤ"), f"Sở Nội vụ {area}", "BC-SNV", v["place"],
            (v["name"],), "KT.", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC",
            ("Như trên;", f"Ban Dân vận {party};", "Lãnh đạo Sở;"), "Lưu: VT, XDCQ.",
        )  # fmt: skip
    if compiler.kind == "district":  # as the seeds' districts issue it (seed 001, 002, 003)
        return Letterhead(
            ("ỦY BAN NHÂN DÂN", v["AREA"]), f"Ủy ban nhân dân {area}", "BC-UBND", v["place"],
            (f"Sở Nội vụ {above}" if above else "Cơ quan cấp trên",),
            "TM.", "ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
            ("Như trên;", f"Ban Dân vận {party};", "CT, PCT.UBND huyện;", "Phòng Nội vụ;"),
            "Lưu: VT, NV.",
        )  # fmt: skip
    return Letterhead(
        ((f"UBND {v['PARENT']}",) if above else ()) + (v["name"].upper(),), v["name"], "BC",
        split_level(above)[1] if above else v["place"],
        (normalize_text(parent.name),) if parent else ("Cơ quan cấp trên",),
        "", "THỦ TRƯỞNG ĐƠN VỊ", "", ("Như trên;",), "Lưu: VT.",
    )  # fmt: skip


@dataclass(frozen=True)
class LetterheadConfig:
    """``letterhead.yaml`` as read: field overrides per compiler kind (or ``default``) and code."""

    by_kind: Mapping[str, Mapping[str, object]]
    by_unit: Mapping[str, Mapping[str, object]]

    def letterhead_for(self, compiler: OrgUnit, parent: OrgUnit | None = None) -> Letterhead:
        """Today's wording, then ``default``, the compiler's kind and its own code on top."""
        lh = default_letterhead(compiler, parent)
        v = _values(compiler, parent)
        for layer in (
            self.by_kind.get("default", {}),
            self.by_kind.get(compiler.kind, {}),
            self.by_unit.get(compiler.code, {}),
        ):
            lh = _apply(lh, layer, v)
        return lh


NO_CONFIG = LetterheadConfig({}, {})


def _apply(lh: Letterhead, layer: Mapping[str, object], v: Mapping[str, str]) -> Letterhead:
    changes: dict[str, object] = {}
    for key, value in layer.items():
        if key == "place_name":
            changes["place"] = str(value).format_map(v)
        elif key in _LIST_FIELDS:
            changes[key] = tuple(str(x).format_map(v) for x in value)  # type: ignore[attr-defined]
        else:
            changes[key] = str(value).format_map(v)
    return replace(lh, **changes)  # type: ignore[arg-type]


def _check_template(text: str, field: str, p: Problems) -> None:
    try:
        names = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
    except ValueError:
        p.add("invalid_template", field, f"Dấu ngoặc {{ }} không khớp trong “{text}”.")
        return
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    if unknown:
        allowed = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
        p.add("invalid_template", field,
              f"Không có chỗ điền “{{{unknown[0]}}}”; dùng được: {allowed}.")  # fmt: skip


def _entry(doc: object, where: str, p: Problems) -> dict[str, object]:
    if not isinstance(doc, Mapping):
        p.add("not_a_mapping", where, "Phải là một nhóm trường (tên: giá trị).")
        return {}
    out: dict[str, object] = {}
    for key, value in doc.items():
        field = f"{where}.{key}"
        if key not in FIELDS:
            p.add("unknown_field", field, f"Trường không có; dùng được: {', '.join(FIELDS)}.")
        elif key in _LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                p.add("not_a_list", field, "Phải là danh sách các dòng chữ.")
                continue
            for i, line in enumerate(value):
                _check_template(line, f"{field}[{i}]", p)
            out[key] = [normalize_text(x) for x in value]
        elif not isinstance(value, str | None):
            p.add("not_text", field, "Phải là một dòng chữ.")
        elif key == "signing" and (value or "") not in _SIGNING:
            p.add(
                "invalid_signing", field, "Hình thức ký là TM., KT., Q., TL., TUQ. hoặc để trống."
            )
        else:
            _check_template(value or "", field, p)
            out[key] = normalize_text(value or "")
    return out


def parse_letterhead(doc: object, file: str) -> LetterheadConfig:
    """Check ``letterhead.yaml``; every problem of the file at once."""
    p = Problems()
    kinds: dict[str, dict[str, object]] = {}
    units: dict[str, dict[str, object]] = {}
    if not isinstance(doc, Mapping):
        p.add("not_a_mapping", "", "Tệp phải là các nhóm theo loại đơn vị (province, district…).")
    else:
        for key, value in doc.items():
            if key == "units":
                if not isinstance(value, Mapping):
                    p.add("not_a_mapping", "units", "Phải là các nhóm theo mã đơn vị.")
                    continue
                units = {str(c): _entry(e, f"units.{c}", p) for c, e in value.items()}
            elif key in ("default", "province", "district", "department", "district_office",
                         "commune", "agency"):  # fmt: skip
                kinds[str(key)] = _entry(value, str(key), p)
            else:
                p.add("unknown_field", str(key),
                      "Nhóm không có; dùng default, province, district, units.")  # fmt: skip
    p.raise_if_any(file)
    return LetterheadConfig(kinds, units)
