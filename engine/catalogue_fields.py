"""The fields of an item version (事项库): their Chinese labels, the fields each category adds, and
the schema that checks every field against the bounds of its column and of the engine, saying in
Chinese what is wrong; engine.catalogue checks items with it before declaring or publishing them."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from .calendar import MAX_PERIOD
from .errors import InvalidInput
from .models.items import AUDIENCES, CASE_TYPES, ITEM_CATEGORIES, LIMIT_UNITS, SUBJECT_NATURES, THEMES
from .validation import Bool, ChineseSchema, Choice, Int, Num, Text, errors_in_chinese, sentences

LABELS = {
    "name": "事项名称", "aliases": "俗称", "category": "事项分类", "case_type": "办件类型", "legal_basis": "行使依据",
    "subject_nature": "办理主体性质", "entrusting_unit": "委托单位", "section": "办理科室", "conditions": "受理条件",
    "charges_fee": "是否收费", "fee_basis": "收费依据", "fee_standard": "收费标准", "legal_limit": "法定期限",
    "promised_limit": "承诺期限", "limit_unit": "期限单位", "extension_limit": "可延长期限",
    "correction_notice_limit": "补正告知期限", "clock_start": "期限起算",
    "correction_stops_clock_basis": "受理后补正停止计时的依据", "correction_answer_days": "补正答复期限", "place": "办理地点", "phone": "联系电话", "supervision_phone": "监督电话",
    "online_url": "在线办理链接", "audiences": "面向对象", "themes": "办事主题", "results_public": "结果公示",
    "materials": "材料清单", "service_forms": "服务表格", "faq": "常见问题解答",
    "extra": "分类特有信息", "process_key": "权力运行流程图",
}
# fields a category must add (domain.md §2): 处罚, 征收, 强制
CATEGORY_EXTRA = {"02": ("处罚种类", "处罚程序", "实施主体", "裁量基准"), "04": ("征收标准", "征收程序"), "03": ("强制程序",)}


CLOCK_STARTS = ("acceptance", "receipt", "filing")  # labels in webapp/catalogue/itemform.py
MAX_MATERIAL_COUNT = 99  # 份数 of one material
MAX_ANSWER_DAYS = 60  # 补正答复期限
MAX_ROWS = 100  # entries of one list (依据, 材料, 表格, 问答)
MAX_AMOUNT = 10**12  # yuan, 裁量基准
LONG_TEXT = 5000
URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def _rows(schema: type, label: str, **kw) -> fields.Field:
    return fields.List(fields.Nested(schema), validate=validate.Length(max=MAX_ROWS, error=f"{label}最多 {MAX_ROWS} 条。"),
                       error_messages={"invalid": f"{label}格式不正确。"}, metadata={"label": label}, **kw)


class _Basis(ChineseSchema):
    title = Text("法律法规名称", 200)
    article = Text("条款", 100)
    text = Text("条文内容", LONG_TEXT, multiline=True)


class _Material(ChineseSchema):
    name = Text("材料名称", 200)  # case_material.name
    format = Text("材料格式", 50)
    original = Text("原件或复印件", 20)  # case_material.original
    count = Int("份数", min=1, max=MAX_MATERIAL_COUNT)
    required = Bool("是否必需")


# 表格编号 names the form's download address (/items/<code>/forms/<表格编号>.docx): no slash, space or ?#%
FORM_CODE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_.\-]*$")


class _ServiceForm(ChineseSchema):
    code = Text("表格编号", 50, required=True, pattern=FORM_CODE,
                pattern_message="表格编号只能包含汉字、字母、数字、点、下划线和连字符，并以汉字、字母或数字开头。")
    name = Text("表格名称", 200, required=True)
    summary = Text("简要说明", 200)  # what the form is for, in the 表格下载 list
    note = Text("填写说明", 1000, multiline=True)


class _Faq(ChineseSchema):
    q = Text("问题", 500, multiline=True)
    a = Text("解答", LONG_TEXT, multiline=True)


class _Extra(fields.Field):
    """分类特有信息: 处罚种类 a list of names, 裁量基准 {情节: [下限, 上限]} in yuan, the rest text."""

    def __init__(self, **kw):
        super().__init__(metadata={"label": LABELS["extra"]}, **kw)
        self.key, self.value, self.kind = Text("信息名称", 50), Text("信息内容", LONG_TEXT, multiline=True), Text("处罚种类", 100)
        self.amount = Num("裁量基准金额", min=0, max=MAX_AMOUNT, places=2)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or len(value) > MAX_ROWS:
            raise ValidationError("分类特有信息格式不正确。")
        out = {}
        for key, item in value.items():
            key = self.key.deserialize(key)
            if key == "处罚种类":
                if not isinstance(item, list) or len(item) > MAX_ROWS:
                    raise ValidationError("处罚种类格式不正确。")
                out[key] = [self.kind.deserialize(k) for k in item]
            elif key == "裁量基准":
                out[key] = self._ranges(item)
            else:
                out[key] = self.value.deserialize(item)
        return out

    def _ranges(self, ranges) -> dict:
        if not isinstance(ranges, dict) or len(ranges) > MAX_ROWS:
            raise ValidationError("裁量基准格式不正确。")
        out = {}
        for severity, pair in ranges.items():
            severity = self.kind.deserialize(severity)
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValidationError(f"裁量基准“{severity}”应有下限和上限。")
            try:
                low, high = (self.amount.deserialize(v) for v in pair)
            except ValidationError as exc:
                raise ValidationError(f"裁量基准“{severity}”：{errors_in_chinese(exc)['_schema']}") from None
            if low is None or high is None:
                raise ValidationError(f"裁量基准“{severity}”应同时填写下限和上限。")
            if low > high:
                raise ValidationError(f"裁量基准“{severity}”的下限大于上限。")
            out[severity] = [low, high]
        return out


MAX_ALIASES = 20
ALIAS_MAX = 30


class _Aliases(fields.Field):
    """俗称: the words people say for the item (“开饭店”), each 1–ALIAS_MAX characters, at most
    MAX_ALIASES, none twice."""

    def __init__(self, **kw):
        super().__init__(metadata={"label": LABELS["aliases"]}, **kw)
        self.word = Text(LABELS["aliases"], ALIAS_MAX)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (list, tuple)):
            raise ValidationError("俗称格式不正确，应为一组词语。")
        if len(value) > MAX_ALIASES:
            raise ValidationError(f"俗称最多 {MAX_ALIASES} 个（现有 {len(value)} 个）。")
        out, seen = [], set()
        for n, raw in enumerate(value, 1):
            try:
                word = self.word.deserialize(raw)
            except ValidationError as exc:
                raise ValidationError(f"第 {n} 个{errors_in_chinese(exc)['_schema']}") from None
            if not word:
                raise ValidationError(f"第 {n} 个俗称为空。")
            if word.casefold() in seen:
                raise ValidationError(f"俗称“{word}”重复。")
            seen.add(word.casefold())
            out.append(word)
        return out


class _Codes(fields.Field):
    """A set of names from a fixed list (面向对象, 办事主题), kept in the list's order so that two
    versions with the same choice never differ by order; a name given twice counts once."""

    def __init__(self, label: str, choices, unknown: str, **kw):
        super().__init__(metadata={"label": label}, **kw)
        self.label, self.choices, self.unknown = label, tuple(dict.fromkeys(choices)), unknown

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (list, tuple)) or len(value) > len(self.choices) * 2 + MAX_ROWS:
            raise ValidationError(f"{self.label}格式不正确，应为一组选项。")
        for v in value:
            if not isinstance(v, str) or v not in self.choices:
                shown = v[:20] if isinstance(v, str) else "（非文字）"
                raise ValidationError(self.unknown.format(shown))
        return [c for c in self.choices if c in value]


def _limit(name: str, high: int = MAX_PERIOD) -> fields.Field:
    return Int(LABELS[name], min=0, max=high, allow_none=True)


class ItemFields(ChineseSchema):
    """Every field of an item version, with the bounds of its column and of the engine (a period
    the calendar can count, a material count an intake can store), so that nothing published can
    make intake or approval fail."""

    name = Text(LABELS["name"], 200, allow_none=True)
    category = Choice(LABELS["category"], ITEM_CATEGORIES, allow_none=True)
    case_type = Choice(LABELS["case_type"], CASE_TYPES)
    subject_nature = Choice(LABELS["subject_nature"], SUBJECT_NATURES, allow_none=True)
    entrusting_unit = Text(LABELS["entrusting_unit"], 200, allow_none=True)
    section = Text(LABELS["section"], 100, allow_none=True)
    conditions = Text(LABELS["conditions"], LONG_TEXT, multiline=True, allow_none=True)
    charges_fee = Bool(LABELS["charges_fee"])
    fee_basis = Text(LABELS["fee_basis"], 2000, multiline=True, allow_none=True)
    fee_standard = Text(LABELS["fee_standard"], 2000, multiline=True, allow_none=True)
    legal_limit = _limit("legal_limit")
    promised_limit = _limit("promised_limit")
    limit_unit = Choice(LABELS["limit_unit"], LIMIT_UNITS, allow_none=True)
    extension_limit = _limit("extension_limit")
    correction_notice_limit = _limit("correction_notice_limit")
    clock_start = Choice(LABELS["clock_start"], CLOCK_STARTS)
    correction_stops_clock_basis = Text(LABELS["correction_stops_clock_basis"], 300, allow_none=True)
    correction_answer_days = _limit("correction_answer_days", MAX_ANSWER_DAYS)
    place = Text(LABELS["place"], 200, allow_none=True)
    phone = Text(LABELS["phone"], 40, allow_none=True)
    supervision_phone = Text(LABELS["supervision_phone"], 40, allow_none=True)
    online_url = Text(LABELS["online_url"], 300, pattern=URL, allow_none=True,
                      pattern_message="在线办理链接应以 http:// 或 https:// 开头。")
    materials = _rows(_Material, LABELS["materials"], allow_none=True)
    legal_basis = _rows(_Basis, LABELS["legal_basis"], allow_none=True)
    service_forms = _rows(_ServiceForm, LABELS["service_forms"], allow_none=True)
    faq = _rows(_Faq, LABELS["faq"], allow_none=True)
    extra = _Extra(allow_none=True)
    process_key = Text(LABELS["process_key"], 100, allow_none=True)
    aliases = _Aliases(allow_none=True)
    audiences = _Codes(LABELS["audiences"], AUDIENCES, "面向对象只能从“个人办事”“法人办事”中选择（收到“{}”）。",
                       allow_none=True)
    themes = _Codes(LABELS["themes"], [t for a in AUDIENCES for t in THEMES[a]], "办事主题“{}”不存在。", allow_none=True)
    results_public = Bool(LABELS["results_public"])

    @validates("service_forms")
    def _form_codes_unique(self, value, **kwargs):
        codes = [row.get("code") for row in value or []]
        twice = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if twice:
            raise ValidationError(f"服务表格的表格编号“{twice}”重复，每张表格的编号应不同。")

    @validates_schema
    def _themes_of_audiences(self, data, **kwargs):
        themes = data.get("themes") or []
        allowed = {t for a in data.get("audiences") or [] for t in THEMES[a]}
        stray = [t for t in themes if t not in allowed]
        if stray and not data.get("audiences"):
            raise ValidationError("请先选择面向对象（个人办事或法人办事），再选择办事主题。", field_name="themes")
        if stray:
            chosen = "、".join(AUDIENCES[a] for a in data["audiences"])
            raise ValidationError(f"办事主题“{'、'.join(stray)}”不属于所选的面向对象（{chosen}）。", field_name="themes")

    @post_load
    def _no_null_lists(self, data, **kwargs):
        return {k: ([] if v is None and k in ("aliases", "audiences", "themes") else v) for k, v in data.items()}


def checked_fields(fields_: dict) -> dict:
    """The item's fields as they will be stored (text stripped, numbers as numbers), or
    :class:`InvalidInput` whose ``errors`` say, per field, what is wrong in Chinese."""
    schema = ItemFields()
    if not isinstance(fields_, dict):
        raise InvalidInput("事项信息格式不正确。", errors={"_schema": "事项信息格式不正确。"})
    try:
        out = schema.load(fields_)
    except ValidationError as exc:
        errors = {}
        for path, message in errors_in_chinese(exc, schema).items():
            name, _, rest = path.partition(".")
            row = rest.split(".")[0]
            where = f"{LABELS.get(name, name)}第 {int(row) + 1} 行：" if row.isdigit() and name in LABELS else ""
            errors.setdefault(name, where + message)
        raise InvalidInput(sentences(errors.values()), errors=errors) from None
    return {**fields_, **out}  # promised within legal: missing_fields says so with what else is lacking


def _checked(fields_: dict, refused: str) -> dict:
    try:
        return checked_fields(fields_)
    except InvalidInput as exc:
        raise InvalidInput(f"事项信息有误，{refused}：{exc.message}", **exc.details) from None


REASON_MAX = 2000


def _reason(reason) -> str:
    """A change's reason: text without control characters, within REASON_MAX."""
    try:
        return Text("变更理由", REASON_MAX, multiline=True, required=True).deserialize(reason)
    except ValidationError as exc:
        raise InvalidInput(errors_in_chinese(exc)["_schema"], field="reason") from None
