"""Masking of personal data on every public page and export (design.md, the public side): one
function per kind, used by every public template, so that no page can forget one.

个人信息保护法 art. 28 makes identity numbers sensitive personal information, and 政府信息公开条例
art. 15 forbids disclosing personal privacy: natural persons are shown as 张*, certificate numbers
keep their first 6 and last 4 characters, phones 138****5678. Legal persons (企业, 事业单位, 社会组织)
are public subjects and are named in full (行政许可法 art. 40: licensing decisions are public)."""

from __future__ import annotations

NATURAL_PERSON = "1"


def mask_name(name: str | None, applicant_type: str | None = NATURAL_PERSON) -> str:
    """A natural person's name as 张* (欧阳** for a longer one); a legal person's name in full."""
    name = (name or "").strip()
    if not name:
        return ""
    if applicant_type is not None and applicant_type != NATURAL_PERSON:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_cert(number: str | None) -> str:
    """The first 6 and last 4 characters of a certificate number; a short one keeps only its last 2."""
    number = (number or "").strip()
    if len(number) > 10:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 2:
        return "*" * (len(number) - 2) + number[-2:]
    return "*" * len(number)


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; a landline keeps its area code and last 4 digits."""
    phone = (phone or "").strip()
    digits = phone.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(phone) > 4:
        head = phone.split("-")[0] + "-" if "-" in phone else ""
        return head + "*" * max(len(phone) - len(head) - 4, 1) + phone[-4:]
    return "*" * len(phone)


def applicant_shown(case) -> str:
    """The applicant of a case as a public page may show it."""
    return mask_name(case.applicant_name, case.applicant_type)
