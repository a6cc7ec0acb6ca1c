"""Field types of the form registry and the marshmallow field each becomes.

Every field checks what a person or a system sends before anything is stored: the type, finite
numbers within bounds, text no longer than it may be and free of control characters, codes
typed with full-width digits (as Chinese input methods do) brought to half-width first and then
checked (居民身份证 and 统一社会信用代码 check digits, phone formats, 许可证编号 formats). Every
message is Chinese; none of marshmallow's English ones can reach a person.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load

from engine.certificates import CERT_TYPES, check_certificate, id_number_problem, uscc_problem
from engine.errors import InvalidInput
from engine.service.intake import control_problem, normalize_phone, phone_problem
from engine.validation import half_width

TYPES = {
    "text": "文本", "long_text": "多行文本", "number": "数字", "money": "金额（元）", "date": "日期",
    "date_range": "日期范围", "select": "单选", "multi_select": "多选", "boolean": "是否", "id_card": "居民身份证",
    "uscc": "统一社会信用代码", "certificate": "证件号码", "phone": "电话", "address": "地址", "file": "附件",
    "group": "分组",
}
MAX_GROUP_ROWS = 10  # rows of a repeatable group, unless its definition says max_items
MAX_NUMBER = Decimal(10) ** 15  # countable facts are kept as NUMERIC(18, 2)
MAX_MONEY = Decimal("9999999999999.99")
MESSAGES = {"required": "必填。", "null": "必填。", "validator_failed": "填写的内容无效。", "invalid": "格式不正确。",
            "invalid_utf8": "含有无法识别的字符。", "type": "格式不正确。"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
_MONEY = re.compile(r"\d+(\.\d+)?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

# 许可证编号 formats a text field may name with "format"; each is what the law prints on the licence.
LICENCE_FORMATS = {
    # 食品经营许可和备案管理办法（2023）第三十二条: JY + 14 digits — 主体业态 (1 食品销售, 2 餐饮服务,
    # 3 单位食堂), 省 2, 市 2, 县 2, 顺序码 6, 校验码 1
    "food_licence": (re.compile(r"JY[1-3]\d{13}"),
                     "应为 JY 加 14 位数字（第 1 位为主体业态 1–3，随后 6 位地区码、6 位顺序码和 1 位校验码），如 JY25309300012345"),
    # 建筑工程施工许可证: 18 digits — 行政区划代码 6, 发证日期 8, 项目序号 2, 证书序号 2
    "construction_permit": (re.compile(r"\d{6}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{4}"),
                            "应为 18 位数字（6 位行政区划代码、8 位发证日期、2 位项目序号和 2 位证书序号）"),
    # 公共场所卫生许可证: 省简称 + 卫公证字〔年份〕第…号
    "hygiene_licence": (re.compile(r"[\u4e00-\u9fff]{1,4}卫公证字〔(19|20)\d{2}〕第\d{4,20}号"),
                        "应为“省简称卫公证字〔年份〕第编号号”的形式，如 滇卫公证字〔2026〕第530930000123号"),
}


class FormSchema(Schema):
    """The schema every form and group row is built on: blank text counts as not filled, and
    its own messages are Chinese."""

    error_messages = {"type": "提交的数据格式不正确。", "unknown": "表单中没有此字段。"}

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}
        return data


class Text(fields.String):
    """Text as typed (stripped), no longer than its limit, without control characters."""

    def __init__(self, max_length: int, multiline: bool = False, **kw):
        super().__init__(**kw)
        self.max_length, self.multiline = max_length, multiline

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("应为文字。")
        value = value.strip()
        if len(value) > self.max_length:
            raise ValidationError(f"不能超过 {self.max_length} 个字（现有 {len(value)} 个）。")
        problem = control_problem(value, self.multiline)
        if problem:
            raise ValidationError(problem + "。")
        return value


class Code(Text):
    """A code (certificate or licence number, phone): normalized to half-width, then checked."""

    def __init__(self, normalize, problem_of, max_length: int = 40, **kw):
        super().__init__(max_length, **kw)
        self.normalize, self.problem_of = normalize, problem_of

    def _deserialize(self, value, attr, data, **kwargs):
        value = self.normalize(super()._deserialize(value, attr, data, **kwargs))
        problem = self.problem_of(value)
        if problem:
            raise ValidationError(problem + "。")
        return value


def plain_code(value: str) -> str:
    """A code as it is compared and kept: half-width, upper case, without spaces."""
    return re.sub(r"\s", "", half_width(value)).upper()


def licence_code(value: str) -> str:
    """A licence number: half-width, without spaces, brackets of a 文号 written as 〔〕."""
    code = plain_code(value)
    return re.sub(r"[\[(]", "〔", re.sub(r"[\])]", "〕", code))


def _licence_problem(kind: str):
    pattern, shape = LICENCE_FORMATS[kind]
    return lambda value: None if pattern.fullmatch(value) else shape


def _number_text(value) -> Decimal:
    """The number a person typed or a system sent; refuses what is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationError("请输入数字。")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("请输入有限的数字（不接受 NaN 或无穷大）。")
    text = half_width(str(value)).replace(",", "").replace(" ", "").strip()
    if len(text) > 32 or not _NUMBER.fullmatch(text):
        raise ValidationError("请输入数字，如 120 或 85.5。")
    return Decimal(text)


class Number(fields.Field):
    """A finite number within ±10¹⁵ and the definition's min and max."""

    def __init__(self, minimum=None, maximum=None, **kw):
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kwargs):
        number = _number_text(value)
        if abs(number) >= MAX_NUMBER:
            raise ValidationError("数值过大。")
        if self.minimum is not None and number < Decimal(str(self.minimum)):
            raise ValidationError(f"不能小于 {self.minimum}。")
        if self.maximum is not None and number > Decimal(str(self.maximum)):
            raise ValidationError(f"不能大于 {self.maximum}。")
        return int(number) if number == number.to_integral_value() else float(number)


class Money(fields.Field):
    """Yuan with two decimals, kept as a number (key facts are countable, not free text)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("金额格式不正确（不接受 NaN 或无穷大）。")
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError("金额格式不正确。")
        text = half_width(str(value)).replace(",", "").replace(" ", "").strip()
        if text.startswith("-"):
            raise ValidationError("金额不能为负数。")
        if len(text) > 32 or not _MONEY.fullmatch(text):
            raise ValidationError("金额格式不正确，请填写数字，如 1200 或 1200.50。")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError("金额格式不正确。") from None
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("金额最多保留两位小数。")
        if amount > MAX_MONEY:
            raise ValidationError("金额过大。")
        return float(amount)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(str(value)):.2f}"


def parse_date(value) -> str:
    if not isinstance(value, str):
        raise ValidationError("日期格式应为 YYYY-MM-DD。")
    text = half_width(value).strip()
    if not _DATE.fullmatch(text):
        raise ValidationError("日期格式应为 YYYY-MM-DD，如 2026-09-28。")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"日期 {text} 不存在。") from None
    if not 1900 <= day.year <= 2100:
        raise ValidationError("日期应在 1900 年至 2100 年之间。")
    return day.isoformat()


class IsoDate(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        return parse_date(value)


class DateRange(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or set(value) - {"start", "end"}:
            raise ValidationError("日期范围应包含开始和结束日期。")
        if not value.get("start") or not value.get("end"):
            raise ValidationError("请同时填写开始和结束日期。")
        start, end = parse_date(value["start"]), parse_date(value["end"])
        if end < start:
            raise ValidationError("结束日期不能早于开始日期。")
        return {"start": start, "end": end}


class Choice(fields.String):
    def __init__(self, options: list[str], **kw):
        super().__init__(**kw)
        self.options = options

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.options:
            raise ValidationError("请从选项中选择。")
        return value


class Choices(fields.Field):
    """Several options; each must be one of the list, each kept once, in the list's order."""

    def __init__(self, options: list[str], **kw):
        super().__init__(**kw)
        self.options = options

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValidationError("请从选项中勾选。")
        unknown = [v for v in value if v not in self.options]
        if unknown:
            raise ValidationError(f"“{unknown[0][:20]}”不是可选的选项。")
        return [o for o in self.options if o in value]


class Certificate(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or value.get("type") not in CERT_TYPES or set(value) - {"type", "number"}:
            raise ValidationError("请选择证件类型并填写号码。")
        number = value.get("number")
        if not isinstance(number, str) or len(number) > 40:
            raise ValidationError("证件号码格式不正确。")
        number = plain_code(number)
        try:
            check_certificate(value["type"], number, "证件号码")
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None
        return {"type": value["type"], "number": number}


class Rows(fields.List):
    """The rows of a repeatable group, counted with a precise message."""

    def __init__(self, inner, min_items: int, max_items: int, **kw):
        super().__init__(inner, **kw)
        self.min_items, self.max_items = min_items, max_items

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (list, tuple)):
            raise ValidationError("格式不正确。")
        if len(value) < self.min_items:
            raise ValidationError(f"至少需要 {self.min_items} 项（现有 {len(value)} 项）。")
        if len(value) > self.max_items:
            raise ValidationError(f"最多 {self.max_items} 项（现有 {len(value)} 项）。")
        return super()._deserialize(value, attr, data, **kwargs)


def build_field(spec: dict) -> fields.Field:
    """The marshmallow field for one field spec (required is decided by the step: see
    :func:`required_field`)."""
    kind = spec["type"]
    kw = {"required": False, "allow_none": not spec.get("required", False), "error_messages": dict(MESSAGES)}
    options = [o["value"] if isinstance(o, dict) else o for o in spec.get("options", [])]
    if kind in ("text", "address"):
        if spec.get("format") in LICENCE_FORMATS:
            return Code(licence_code, _licence_problem(spec["format"]), spec.get("max_length", 60), **kw)
        return Text(spec.get("max_length", 300 if kind == "address" else 200), **kw)
    if kind == "long_text":
        return Text(spec.get("max_length", 5000), multiline=True, **kw)
    if kind == "number":
        return Number(spec.get("min"), spec.get("max"), **kw)
    if kind == "money":
        return Money(**kw)
    if kind == "date":
        return IsoDate(**kw)
    if kind == "date_range":
        return DateRange(**kw)
    if kind == "select":
        return Choice(options, **kw)
    if kind == "multi_select":
        return Choices(options, **kw)
    if kind == "boolean":
        kw["error_messages"]["invalid"] = "请选择“是”或“否”。"
        return fields.Boolean(truthy={True, "true", "1", "on", "是", "yes"}, falsy={False, "false", "0", "否", "no"},
                              **kw)
    if kind == "id_card":
        return Code(plain_code, id_number_problem, **kw)
    if kind == "uscc":
        return Code(plain_code, uscc_problem, **kw)
    if kind == "certificate":
        return Certificate(**kw)
    if kind == "phone":
        return Code(normalize_phone, phone_problem, **kw)
    if kind == "file":
        return Text(40, **kw)  # a material id of this case
    if kind == "group":
        row = FormSchema.from_dict({sub["name"]: required_field(build_field(sub), sub, {}) for sub in spec["fields"]},
                                   name=f"{spec['name']}_row")
        nested = fields.Nested(row(unknown=RAISE), error_messages={**MESSAGES, "type": "每一项应包含各列的内容。"},
                               **({} if spec.get("repeatable") else {k: v for k, v in kw.items() if k != "error_messages"}))
        if spec.get("repeatable"):
            return Rows(nested, spec.get("min_items", 0), spec.get("max_items", MAX_GROUP_ROWS), **kw)
        return nested
    raise ValueError(f"unknown field type {kind}")


def required_field(field_obj: fields.Field, spec: dict, current: dict) -> fields.Field:
    """Make the field required when its definition says so and the case has no value yet."""
    if spec.get("required") and current.get(spec["name"]) in (None, "", []):
        field_obj.required = True
        field_obj.allow_none = False
        field_obj.error_messages["required"] = "必填。"
        field_obj.error_messages["null"] = "必填。"
        field_obj.validators = [*field_obj.validators, _filled]  # an empty list or text is not an answer
    return field_obj


def _filled(value) -> None:
    if value in ("", [], {}) or (isinstance(value, str) and not value.strip()):
        raise ValidationError("必填。")


def describe(spec: dict, problems) -> str:
    """marshmallow's messages of one field as one Chinese sentence; group rows are named by
    their number and their columns by label."""
    labels = {sub["name"]: sub["label"] for sub in spec.get("fields", [])}

    def flat(p, inside=None) -> str:
        if isinstance(p, dict):
            parts = []
            for k, v in p.items():
                if isinstance(k, int) or str(k).isdigit():
                    parts.append(f"第 {int(k) + 1} 项{flat(v, 'row')}")
                elif inside == "row" or k in labels:
                    parts.append(f"{labels.get(k, '')}{'：' if k in labels else ''}{flat(v)}")
                else:
                    parts.append(flat(v))
            return "；".join(parts)
        if isinstance(p, (list, tuple)):
            return "".join(flat(x, inside) for x in p)
        return str(p)

    return flat(problems)
