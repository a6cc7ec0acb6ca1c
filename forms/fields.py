"""Field types of the form registry and the marshmallow field each becomes."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from engine.certificates import CERT_TYPES, check_certificate, id_number_problem, uscc_problem
from engine.errors import InvalidInput

TYPES = {
    "text": "文本", "long_text": "多行文本", "number": "数字", "money": "金额（元）", "date": "日期",
    "date_range": "日期范围", "select": "单选", "multi_select": "多选", "boolean": "是否", "id_card": "居民身份证",
    "uscc": "统一社会信用代码", "certificate": "证件号码", "phone": "电话", "address": "地址", "file": "附件",
    "group": "分组",
}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,8})$")


class Money(fields.Field):
    """Yuan with two decimals, kept as a number (key facts are countable, not free text)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            amount = Decimal(str(value).replace(",", "").strip())
        except (InvalidOperation, ValueError):
            raise ValidationError("金额格式不正确。") from None
        if amount < 0:
            raise ValidationError("金额不能为负数。")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("金额最多保留两位小数。")
        return float(amount)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(str(value)):.2f}"


class Number(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            raise ValidationError("请输入数字。") from None
        return int(number) if number.is_integer() else number


class DateRange(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("日期范围应包含开始和结束日期。")
        try:
            start, end = date.fromisoformat(value.get("start", "")), date.fromisoformat(value.get("end", ""))
        except (TypeError, ValueError):
            raise ValidationError("日期格式应为 YYYY-MM-DD。") from None
        if end < start:
            raise ValidationError("结束日期不能早于开始日期。")
        return {"start": start.isoformat(), "end": end.isoformat()}


class IsoDate(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError("日期格式应为 YYYY-MM-DD。") from None


def _check(problem_of):
    def validator(value):
        problem = problem_of(value)
        if problem:
            raise ValidationError(problem + "。")
    return validator


def _certificate(value):
    if not isinstance(value, dict) or value.get("type") not in CERT_TYPES:
        raise ValidationError("请选择证件类型并填写号码。")
    try:
        check_certificate(value["type"], value.get("number", ""), "证件号码")
    except InvalidInput as exc:
        raise ValidationError(exc.message) from None


def build_field(spec: dict, nested_schema=None) -> fields.Field:
    """The marshmallow field for one field spec (required is decided by the step, not here)."""
    kind = spec["type"]
    kw = {"required": False, "allow_none": not spec.get("required", False)}
    options = [o["value"] if isinstance(o, dict) else o for o in spec.get("options", [])]
    if kind in ("text", "address"):
        return fields.String(validate=validate.Length(max=spec.get("max_length", 200)), **kw)
    if kind == "long_text":
        return fields.String(validate=validate.Length(max=spec.get("max_length", 5000)), **kw)
    if kind == "number":
        rng = validate.Range(min=spec.get("min"), max=spec.get("max"), error="应在 {min} 到 {max} 之间。")
        return Number(validate=rng if ("min" in spec or "max" in spec) else None, **kw)
    if kind == "money":
        return Money(**kw)
    if kind == "date":
        return IsoDate(**kw)
    if kind == "date_range":
        return DateRange(**kw)
    if kind == "select":
        return fields.String(validate=validate.OneOf(options, error="请从选项中选择。"), **kw)
    if kind == "multi_select":
        return fields.List(fields.String(validate=validate.OneOf(options, error="请从选项中选择。")), **kw)
    if kind == "boolean":
        return fields.Boolean(truthy={True, "true", "1", "on", "是", "yes"}, falsy={False, "false", "0", "", "否", "no"}, **kw)
    if kind == "id_card":
        return fields.String(validate=_check(id_number_problem), **kw)
    if kind == "uscc":
        return fields.String(validate=_check(uscc_problem), **kw)
    if kind == "certificate":
        return fields.Dict(validate=_certificate, **kw)
    if kind == "phone":
        return fields.String(validate=validate.Regexp(PHONE, error="电话号码格式不正确。"), **kw)
    if kind == "file":
        return fields.String(**kw)  # a material id of this case
    if kind == "group":
        nested = fields.Nested(nested_schema, **({} if spec.get("repeatable") else kw))
        if spec.get("repeatable"):
            return fields.List(nested, validate=validate.Length(min=spec.get("min_items", 0),
                                                                error="至少需要 {min} 项。"), **kw)
        return nested
    raise ValueError(f"unknown field type {kind}")
