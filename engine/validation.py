"""Validation at the edge with Chinese messages: marshmallow field factories whose every error
key speaks Chinese, and helpers that make sure no library English (``Not a valid number.``) or
half-formatted message (``应在 0 到 None 之间``) ever reaches a person.

Every factory takes the label a person sees; bounds default to what an ``Integer`` column can hold
so that a value that passes here never overflows the database. Text refuses control characters
(NUL breaks PostgreSQL, bidi overrides disguise text, lone surrogates cannot be stored)."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import RAISE, Schema, ValidationError, fields

from .errors import InvalidInput

INT_MAX = 2**31 - 1  # an Integer column on PostgreSQL
ID_MAX = 2**63 - 1  # a BIGINT id
_FULL_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)},  # ０-９
               **{c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
               **{c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)},  # ａ-ｚ
               0x3000: 0x20}  # ideographic space
_NUMBER_MARKS = {0xFF0E: ord("."), 0xFF0D: ord("-"), 0xFF0B: ord("+"), 0x2212: ord("-"), 0xFF05: ord("%")}
# characters nobody means to type: bidirectional overrides (a text that reads otherwise than it holds)
# and zero-width ones (a name that looks like another)
_INVISIBLE = (set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
              | {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF})
_ALL_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LEFTOVER = re.compile(r"\bNone\b|\bnan\b|\binf\b|\{|\}", re.IGNORECASE)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def sentences(messages) -> str:
    """Several messages as one: "姓名不能为空；联系电话应为 11 位数字。" (never "。；")."""
    parts = [m.strip().rstrip("。") for m in messages if m and m.strip()]
    return "；".join(parts) + "。" if parts else ""


def normalize(text: str) -> str:
    """Full-width digits, Latin letters and the ideographic space become their ASCII forms (NFKC
    restricted to the ASCII range): ``１２３ａＢ`` → ``123aB``. Chinese punctuation is left alone."""
    return text.translate(_FULL_WIDTH)


def half_width(text: str) -> str:
    """For codes and numbers only (never prose, where ， stays ，): full-width digits, letters and
    punctuation as Chinese input methods type them, and the digits of any script, to ASCII."""
    text = text.translate(_ALL_FULL_WIDTH)
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text)


def unwanted_character(text: str, multiline: bool = False) -> tuple[int, str] | None:
    """The first character a person cannot have meant to type, with its position (from 1): control
    characters (tabs and line breaks only in a text of several lines), surrogates, non-characters,
    bidirectional overrides and zero-width characters. One rule for every edge."""
    for i, ch in enumerate(text, start=1):
        if multiline and ch in "\n\r\t":
            continue
        code = ord(ch)
        if (unicodedata.category(ch) in ("Cc", "Cs") or code in _INVISIBLE or (code & 0xFFFE) == 0xFFFE
                or 0xFDD0 <= code <= 0xFDEF):
            return i, ch
    return None


def control_character(text: str, multiline: bool = False) -> str | None:
    """The first unwanted character as ``U+XXXX``, or None."""
    found = unwanted_character(text, multiline)
    return f"U+{ord(found[1]):04X}" if found else None


def _range_text(label: str, low, high, exclusive: bool = False) -> str:
    if low is not None and high is not None:
        return f"{label}必须在 {low} 和 {high} 之间（不含 {low} 和 {high}）" if exclusive else f"{label}应在 {low} 到 {high} 之间"
    if low is not None:
        return f"{label}必须大于 {low}" if exclusive else f"{label}不能小于 {low}"
    return f"{label}必须小于 {high}" if exclusive else f"{label}不能大于 {high}"


def _messages(label: str, **extra) -> dict:
    return {"required": f"请填写{label}。", "null": f"请填写{label}。", "validator_failed": f"{label}格式不正确。",
            "invalid": f"{label}格式不正确。", **extra}


class _Field(fields.Field):
    def _blank(self):
        """An empty input: refused when required, else no value."""
        if self.required:
            raise self.make_error("required")
        return None


class _Int(_Field):
    def __init__(self, label, low, high, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"{label}必须是整数。"), metadata={"label": label}, **kw)
        self.label, self.low, self.high = label, low, high

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise self.make_error("invalid")
            value = int(value)
        elif isinstance(value, str):
            text = normalize(value).translate(_NUMBER_MARKS).strip()
            if not text:
                return self._blank()
            if not re.fullmatch(r"[+-]?\d{1,100}", text):
                raise self.make_error("invalid")
            value = int(text)
        elif not isinstance(value, int):
            raise self.make_error("invalid")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValidationError(_range_text(self.label, self.low, self.high) + "。")
        return value


def Int(label: str, min: int | None = 0, max: int | None = INT_MAX, **kw) -> fields.Field:  # noqa: A002
    """A whole number within [min, max] (an Integer column by default); ``"１２"`` and ``12.0`` are 12."""
    return _Int(label, min, max, **kw)


class _Num(_Field):
    def __init__(self, label, low, high, places, exclusive, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"{label}必须是数字。"), metadata={"label": label}, **kw)
        self.label, self.low, self.high, self.places, self.exclusive = label, low, high, places, exclusive

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = normalize(value).translate(_NUMBER_MARKS).replace(",", "").strip()
            if not value:
                return self._blank()
            if len(value) > 40:
                raise self.make_error("invalid")
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise self.make_error("invalid") from None
        if not number.is_finite() or not math.isfinite(float(number)):
            raise ValidationError(f"{self.label}必须是有限的数字。")
        if self.places is not None and _decimals(number) > self.places:
            raise ValidationError(f"{self.label}最多保留 {self.places} 位小数。" if self.places else f"{self.label}必须是整数。")
        low, high = self.low, self.high
        if self.exclusive:
            bad = (low is not None and number <= low) or (high is not None and number >= high)
        else:
            bad = (low is not None and number < low) or (high is not None and number > high)
        if bad:
            raise ValidationError(_range_text(self.label, low, high, self.exclusive) + "。")
        result = float(number)
        return int(number) if number == number.to_integral_value() else result


def _decimals(number: Decimal) -> int:
    """How many decimals a number really has (1.50 has one); no rounding context involved, so a
    huge number cannot raise InvalidOperation the way ``quantize`` does."""
    _, digits, exponent = number.as_tuple()
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return max(0, -exponent)


def Num(label: str, min: float | None = None, max: float | None = None, places: int | None = None,  # noqa: A002
        exclusive: bool = False, **kw) -> fields.Field:
    """A finite number (NaN, Infinity and ``1e400`` refused) within [min, max] (or strictly between
    them when ``exclusive``), with at most ``places`` decimals; an int when whole, else a float."""
    return _Num(label, min, max, places, exclusive, **kw)


class _Text(fields.Field):
    def __init__(self, label, max_len, multiline, pattern, pattern_message, keep_width, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"{label}必须是文字。"), metadata={"label": label}, **kw)
        self.label, self.max_len, self.multiline = label, max_len, multiline
        self.pattern, self.pattern_message, self.keep_width = pattern, pattern_message, keep_width

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        bad = control_character(value, self.multiline)
        if bad:
            raise ValidationError(f"{self.label}含有不允许的控制字符（{bad}）。")
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not self.keep_width:
            text = normalize(text)
        if not text and self.required:
            raise self.make_error("required")
        if len(text) > self.max_len:
            raise ValidationError(f"{self.label}不能超过 {self.max_len} 个字（现有 {len(text)} 个）。")
        if text and self.pattern is not None and not self.pattern.fullmatch(text):
            raise ValidationError(self.pattern_message or f"{self.label}格式不正确。")
        return text


def Text(label: str, max_len: int, multiline: bool = False, pattern: re.Pattern | None = None,
         pattern_message: str | None = None, keep_width: bool = False, **kw) -> fields.Field:
    """Text of at most ``max_len`` characters (the column's length), stripped, full-width digits
    and letters made half-width (unless ``keep_width``); control characters refused except line
    breaks and tabs when ``multiline``. ``required=True`` also refuses blank text."""
    return _Text(label, max_len, multiline, pattern, pattern_message, keep_width, **kw)


def Code(label: str, max_len: int = 100, **kw) -> fields.Field:
    """An identifier (a form field, a BPMN step id): a letter or ``_`` first, then letters, digits, ``_ . -``."""
    return Text(label, max_len, pattern=IDENTIFIER,
                pattern_message=f"{label}只能包含英文字母、数字、下划线、点和连字符，并以字母或下划线开头。", **kw)


class _Choice(fields.Field):
    def __init__(self, label, choices, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"请从{label}的选项中选择。"),
                         metadata={"label": label}, **kw)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.choices:
            raise self.make_error("invalid")
        return value


def Choice(label: str, choices, **kw) -> fields.Field:
    """One of ``choices`` (a dict's keys or any collection of strings)."""
    return _Choice(label, tuple(choices), **kw)


class _Date(_Field):
    def __init__(self, label, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"{label}格式应为 YYYY-MM-DD（如 2026-09-28），且是存在的日期。"),
                         metadata={"label": label}, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = normalize(value).translate(_NUMBER_MARKS).strip()
        if not text:
            return self._blank()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
        except ValueError:
            pass
        raise self.make_error("invalid")


def Date(label: str, **kw) -> fields.Field:
    """A calendar date written YYYY-MM-DD (a ``date`` is taken as it is)."""
    return _Date(label, **kw)


TRUTHY = {True, "true", "True", "1", "on", "yes", "是"}
FALSY = {False, "false", "False", "0", "off", "no", "否", ""}


class _Bool(fields.Field):
    def __init__(self, label, **kw):
        super().__init__(error_messages=_messages(label, invalid=f"{label}应为“是”或“否”。"),
                         metadata={"label": label}, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (bool, str)) and value in TRUTHY:
            return True
        if isinstance(value, (bool, str)) and value in FALSY:
            return False
        raise self.make_error("invalid")


def Bool(label: str, **kw) -> fields.Field:
    """Yes or no: ``true``/``false``, ``on`` (a checkbox), ``是``/``否``, ``1``/``0``."""
    return _Bool(label, **kw)


class ChineseSchema(Schema):
    """A schema whose own messages (an unknown key, a payload that is not an object) are Chinese
    and which refuses unknown keys."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不能识别的项目。", "type": "数据格式不正确，应为一组名称和值。"}


def is_chinese(message: str) -> bool:
    """A message fit to show: Chinese, with no leftover ``None``/``nan``/``{}`` of a half-formatted template."""
    return bool(_CJK.search(message)) and not _LEFTOVER.search(message)


def errors_in_chinese(error: ValidationError, schema: Schema | None = None) -> dict[str, str]:
    """{field: one Chinese message} from a marshmallow error (nested fields as ``a.0.b``). A message
    that is not Chinese, or still shows ``None``/``{}``, becomes "<label>格式不正确。"."""
    out: dict[str, str] = {}
    labels = {name: f.metadata.get("label", name) for name, f in (schema.fields.items() if schema else ())}

    def walk(path: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{path}.{key}" if path else str(key), sub)
        elif isinstance(value, (list, tuple)):
            if value and all(isinstance(v, str) for v in value):
                walk(path, value[0])
            else:
                for sub in value:
                    walk(path, sub)
        elif path not in out:
            message = str(value)
            top = path.split(".")[0]
            label = labels.get(top) or ("内容" if top in ("_schema", "") else top)
            if "不能识别的项目" in message:
                message = f"不能识别的项目：{top}。"
            elif not is_chinese(message):
                message = f"{label}格式不正确。"
            out[path or "_schema"] = message

    walk("", error.normalized_messages())
    return out


def load(schema: Schema, data, **kwargs) -> dict:
    """``schema.load(data)``, a refusal becoming :class:`InvalidInput` whose message is the first
    Chinese message, ``field`` its field and ``errors`` every field's message."""
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        errors = errors_in_chinese(exc, schema)
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field, errors=errors) from None


def parse_id(text) -> int | None:
    """An id from a form or a URL: digits only (full-width allowed), 1 ≤ id ≤ 2^63-1, else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str):
        digits = normalize(text).strip()
        if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
            return None
        value = int(digits)
    else:
        return None
    return value if 1 <= value <= ID_MAX else None


def parse_row_id(text) -> int | None:
    """The id of a row whose key is an Integer column (at most 2^31-1 on PostgreSQL), else None."""
    value = parse_id(text)
    return value if value is not None and value <= INT_MAX else None
