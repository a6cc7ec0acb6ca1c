"""Certificate numbers (证件号码): 居民身份证 and residence permits (GB 11643-1999, ISO 7064
MOD 11-2) and 统一社会信用代码 (GB 32100-2015). Written here rather than taken from
python-stdnum, whose ``cn.uscc`` rejects valid codes starting with a letter and whose ``cn.ric``
rejects the 81/82/83 residence permits of Hong Kong, Macao and Taiwan residents."""

from __future__ import annotations

import re
from datetime import date

from .errors import InvalidInput

CERT_TYPES = {
    "111": "居民身份证", "001": "统一社会信用代码", "414": "普通护照",
    "516": "港澳居民来往内地通行证", "511": "台湾居民来往大陆通行证", "990": "其他证件",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
              53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_number_problem(number: str) -> str | None:
    """None if valid, else what is wrong (in Chinese)."""
    n = (number or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return "应为 18 位，前 17 位是数字，最后一位是数字或 X"
    if int(n[:2]) not in _PROVINCES:
        return f"地区码 {n[:6]} 无效"
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return f"出生日期 {n[6:14]} 无效"
    if born.year < 1900 or born > date.today():
        return f"出生日期 {n[6:14]} 无效"
    if id_check_char(n[:17]) != n[17]:
        return "校验码错误"
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    c = (code or "").strip().upper()
    if len(c) != 18 or any(ch not in USCC_CHARS for ch in c):
        return "应为 18 位，由数字和大写字母（不含 I、O、S、V、Z）组成"
    if uscc_check_char(c[:17]) != c[17]:
        return "校验码错误"
    return None


def check_certificate(cert_type: str, number: str, label: str = "证件号码") -> None:
    """Raise InvalidInput naming the field when the number is not valid for its type."""
    if cert_type not in CERT_TYPES:
        raise InvalidInput(f"{label}：证件类型 {cert_type} 无效。", field="cert_type")
    n = (number or "").strip().upper()
    if not n:
        raise InvalidInput(f"{label}不能为空。", field="cert_number")
    problem = None
    if cert_type == "111":
        problem = id_number_problem(n)
    elif cert_type == "001":
        problem = uscc_problem(n)
    elif cert_type == "516" and not re.fullmatch(r"[HM]\d{8}(\d{2})?", n):
        problem = "港澳居民来往内地通行证号码应为 H 或 M 加 8 位或 10 位数字"
    elif cert_type == "511" and not re.fullmatch(r"\d{8}", n):
        problem = "台湾居民来往大陆通行证号码应为 8 位数字"
    elif cert_type == "414" and not re.fullmatch(r"[A-Z0-9]{5,17}", n):
        problem = "护照号码格式不正确"
    if problem:
        raise InvalidInput(f"{label}（{CERT_TYPES[cert_type]}）{problem}。", field="cert_number")
