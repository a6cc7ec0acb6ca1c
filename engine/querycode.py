"""查询码: the private code an applicant, asker or complainant gets at once and follows their matter
with, no account needed. Random, kept only as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from .validation import half_width

#: 10 characters from 31 that cannot be confused (no 0/O, 1/I/L): about 49 bits of chance
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize(value) -> str:
    """As typed: full-width characters, spaces, dashes and lower case are forgiven."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"[\s\-]", "", half_width(value)).upper()[:40]


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode("ascii", "ignore")).hexdigest()


def matches(stored_digest: str | None, code) -> bool:
    """Whether ``code`` is the one behind ``stored_digest`` (constant time; never for an empty code)."""
    if not stored_digest or not normalize(code):
        return False
    return hmac.compare_digest(stored_digest, digest(code))


def normalize_number(value) -> str:
    """A number as typed (申请编号, 咨询编号, 投诉编号): half-width, no spaces, upper case."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s", "", half_width(value)).upper()[:40]
