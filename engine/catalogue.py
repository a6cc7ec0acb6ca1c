"""The item catalogue (事项库): item codes by the coding rule, the completeness check that says
exactly what an item lacks before it can be published, and comparing two versions field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock, search, systemlog
from .calendar import MAX_PERIOD
from .errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from .models import Case, CaseTask, Department, Item, ItemChange, ItemVersion, ProcessDefinition, Region
from .models.items import (
    AUDIENCES,
    CASE_TYPES,
    ITEM_CATEGORIES,
    ITEM_STATUSES,
    LIMIT_UNITS,
    SUBJECT_NATURES,
    THEMES,
)
from .organisation import publish_item
from .service import Applicant, check_process, complete_task, deploy_process, public, start_case
from .validation import Bool, ChineseSchema, Choice, Int, Num, Text, errors_in_chinese

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
        raise InvalidInput("；".join(m.rstrip("。") for m in errors.values()) + "。", errors=errors) from None
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


def item_code(session: Session, category: str, region_code: str) -> str:
    """Basic item code (12): item type (2) + the county's division code (6) + a serial (4)."""
    if category not in ITEM_CATEGORIES:
        raise InvalidInput(f"事项分类 {category} 无效。", field="category")
    prefix = f"{category}{region_code[:6]}"
    taken = session.scalars(select(Item.code).where(Item.code.like(f"{prefix}%"))).all()
    serial = max((int(c[8:12]) for c in taken if c[8:12].isdigit()), default=0) + 1
    return f"{prefix}{serial:04d}"


def missing_fields(session: Session, fields: dict) -> list[str]:
    """What an item lacks before it can be published, as the labels a designer sees."""
    lacking = []

    def need(name, ok):
        if not ok:
            lacking.append(LABELS.get(name, name))

    need("name", (fields.get("name") or "").strip())
    need("category", fields.get("category") in ITEM_CATEGORIES)
    basis = fields.get("legal_basis") or []
    need("legal_basis", basis and all((b.get("title") or "").strip() for b in basis))
    need("subject_nature", fields.get("subject_nature") in SUBJECT_NATURES)
    if fields.get("subject_nature") == "受委托单位":
        need("entrusting_unit", (fields.get("entrusting_unit") or "").strip())
    need("section", (fields.get("section") or "").strip())
    need("conditions", (fields.get("conditions") or "").strip())
    if fields.get("charges_fee"):
        need("fee_basis", (fields.get("fee_basis") or "").strip())
        need("fee_standard", (fields.get("fee_standard") or "").strip())
    for name in ("legal_limit", "promised_limit"):
        need(name, isinstance(fields.get(name), int) and fields[name] >= 0)
    if isinstance(fields.get("legal_limit"), int) and isinstance(fields.get("promised_limit"), int) \
            and fields["promised_limit"] > fields["legal_limit"]:
        lacking.append("承诺期限不能超过法定期限")
    need("limit_unit", fields.get("limit_unit") in LIMIT_UNITS)
    for name in ("place", "phone", "supervision_phone"):
        need(name, (fields.get(name) or "").strip())
    materials = fields.get("materials") or []
    need("materials", materials and all((m.get("name") or "").strip() for m in materials))
    for extra in CATEGORY_EXTRA.get(fields.get("category"), ()):
        if not (fields.get("extra") or {}).get(extra):
            lacking.append(f"{LABELS['extra']}：{extra}")
    key = fields.get("process_key")
    need("process_key", key and session.scalar(select(func.count()).select_from(ProcessDefinition)
                                               .where(ProcessDefinition.process_key == key)))
    return lacking


def public_notes(session: Session, fields: dict) -> list[str]:
    """What the public column (政务服务专栏) will miss for an item, said to the designer but not
    required to publish (table A1 does not list them): without an audience the item is not under
    个人办事/法人办事, without a theme not under a life event, without 俗称 a search for the words
    people say finds it only by its official name. Internal flows (督办, 法制审核) are never public."""
    if fields.get("process_key") in public.internal_keys(session):
        return []
    notes = []
    if not fields.get("audiences"):
        notes.append("未选择面向对象：事项不会出现在“个人办事”“法人办事”栏目中")
    elif not fields.get("themes"):
        notes.append("未选择办事主题：事项不会出现在按主题办事的列表中")
    if not fields.get("aliases"):
        notes.append("未填写俗称：群众按常用说法（如“开饭店”）搜索时可能找不到本事项")
    return notes


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    old: object
    new: object


def fields_of(version: ItemVersion | None) -> dict:
    """An item version's fields as a dict (what declare_change and publish_checked take)."""
    return {name: getattr(version, name) for name in LABELS} if version is not None else {}


# fields added after items were first published: a change declared before them holds none of them
LATER_DEFAULTS = {"aliases": [], "audiences": [], "themes": [], "results_public": False}


def _value(fields_: dict, name: str):
    value = fields_.get(name)
    return LATER_DEFAULTS[name] if value is None and name in LATER_DEFAULTS else value


def compare_fields(old: dict, new: dict) -> list[Difference]:
    """Every field that differs between two sets of item fields, in the catalogue's order."""
    return [Difference(name, label, _value(old, name), _value(new, name)) for name, label in LABELS.items()
            if _value(old, name) != _value(new, name)]


def compare_versions(a: ItemVersion, b: ItemVersion) -> list[Difference]:
    """Every field that differs between two versions."""
    return compare_fields(fields_of(a), fields_of(b))


def running_cases_by_version(session: Session, process_key: str) -> dict[int, int]:
    """{definition version: open cases still running on it}."""
    rows = session.execute(select(ProcessDefinition.version, func.count(Case.id))
                           .join(Case, Case.definition_id == ProcessDefinition.id)
                           .where(ProcessDefinition.process_key == process_key, Case.state.in_(("received", "accepted")))
                           .group_by(ProcessDefinition.version)).all()
    return dict(rows)


def publish_checked(session: Session, code: str | None, department, fields: dict, region_code: str, actor=None) -> Item:
    """Publish a new version of an item (a new item when ``code`` is None), refused while the
    completeness check finds anything missing or the fields check finds a value out of bounds
    (checked again at publishing: a change stored before these checks may hold one)."""
    fields = _checked(fields, "不能发布")
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能发布。缺少：" + "、".join(lacking) + "。", missing=lacking)
    return publish_item(session, code or item_code(session, fields["category"], region_code), department, fields, actor)


REVIEW_ITEM = "105309300098"


def _start_review(session: Session, change: ItemChange, department: Department, actor, subject: str) -> None:
    """The legal review of a change is a case of the internal item 事项变更法制审核: its first step
    (申报, the declarer's) and the legal office's step have their limits watched like any other."""
    review = start_case(session, REVIEW_ITEM, Applicant(name=department.name, type="6", cert_type="001",
                                                        cert_number=department.credit_code), actor,
                        subject=subject, data={"change_id": change.id})
    change.review_case_id = review.id
    session.flush()


def _find_item(session: Session, code: str) -> Item:
    item = session.scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        raise InvalidInput(f"事项编码 {code} 不存在。", field="item_code")
    return item


def require_designer(actor) -> None:
    """Changing the catalogue (事项 and 流程图) is the designers' work; the service checks it, not
    only the pages."""
    if actor is None or not actor.has_role("designer"):
        raise PermissionDenied("只有流程设计人员可以申报事项或流程图的变更。")


def _log(session: Session, actor, change: ItemChange, what: str, name: str) -> None:
    systemlog.record(session, actor=actor, action="catalogue.changed", target=f"{what}：{name}"[:200],
                     detail={"change": change.id, "kind": CHANGE_KINDS.get(change.kind, "事项信息")})


CHANGE_KINDS = {"item": "事项信息", "flow": "流程图", "status": "事项状态"}


def declare_change(session: Session, actor, fields: dict, reason: str, item_code_: str | None = None,
                   department=None) -> ItemChange:
    """申报: propose a new item or a new version; the legal office reviews it (a BPMN flow) before it
    is published. Refused at once while the completeness check finds anything missing."""
    require_designer(actor)
    if not (reason or "").strip():
        raise InvalidInput("请说明变更理由（法律法规或职能调整的依据）。", field="reason")
    reason = _reason(reason)
    fields = _checked(fields, "不能申报")
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能申报。缺少：" + "、".join(lacking) + "。", missing=lacking)
    item = None
    if item_code_:
        item = _find_item(session, item_code_)
        department = item.department
        if item.status == "cancelled":
            raise InvalidState("事项已注销，不能再变更。")
    if department is None:
        raise InvalidInput("请选择办理部门。", field="department")
    change = ItemChange(item_id=item.id if item else None, department_id=department.id, fields=fields,
                        reason=reason.strip(), state="declared", created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, "申报事项变更", fields.get("name", ""))
    _start_review(session, change, department, actor, f"事项变更申报：{fields['name']}")
    return change


def declare_status(session: Session, actor, item_code_: str, status: str, reason: str) -> ItemChange:
    """暂停、恢复或注销一个事项, after the legal office agrees."""
    require_designer(actor)
    if not isinstance(status, str) or status not in ITEM_STATUSES:
        raise InvalidInput("请从事项状态的选项中选择。", field="status")
    if not (reason or "").strip():
        raise InvalidInput("请说明理由（法律法规或职能调整的依据）。", field="reason")
    reason = _reason(reason)
    item = _find_item(session, item_code_)
    if item.status == "cancelled":
        raise InvalidState("事项已注销，不能再变更。")
    if item.status == status:
        raise InvalidState(f"事项已是“{ITEM_STATUSES[status]}”状态。")
    change = ItemChange(item_id=item.id, department_id=item.department_id, kind="status", fields={"status": status},
                        reason=reason.strip(), state="declared", created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, f"申报{ITEM_STATUSES[status]}", item.current_version.name)
    _start_review(session, change, item.department, actor,
                  f"事项{ITEM_STATUSES[status] if status != 'active' else '恢复'}申报：{item.current_version.name}")
    return change


def item_for_process(session: Session, process_key: str) -> Item | None:
    return session.scalars(select(Item).join(ItemVersion, ItemVersion.id == Item.current_version_id)
                           .where(ItemVersion.process_key == process_key)).first()


def open_flow_change(session: Session, process_key: str) -> ItemChange | None:
    return session.scalars(select(ItemChange).where(ItemChange.kind == "flow", ItemChange.process_key == process_key,
                                                    ItemChange.state == "declared")).first()


def declare_task(session: Session, change: ItemChange) -> CaseTask | None:
    """The open 申报 step of a change's review: while it is open, the change is the declarer's."""
    return session.scalars(select(CaseTask).where(CaseTask.case_id == change.review_case_id,
                                                  CaseTask.step_id == "declare", CaseTask.state == "ready")).first()


def save_flow(session: Session, actor, process_key: str, data: bytes) -> ItemChange:
    """Save the designer's flow chart as the draft of a flow change. The server checks it in full
    first (ProcessInvalid lists each problem with its element). The first save opens the legal
    review (its 申报 step is the designer's); while that step is open the draft may be saved again."""
    require_designer(actor)
    item = item_for_process(session, process_key)
    result = check_process(session, data, f"{process_key}.bpmn", item)
    if result.process_id != process_key:
        raise InvalidInput(f"流程标识应为 {process_key}，文件中的流程是 {result.process_id}。", field="process_id")
    change = open_flow_change(session, process_key)
    if change is not None:
        if declare_task(session, change) is None:
            raise InvalidState("流程变更已提交法制审核，审核期间不能修改。")
        change.bpmn_xml = data.decode("utf-8")
        session.flush()
        return change
    department = item.department if item else session.get(Department, actor.department_id)
    change = ItemChange(item_id=item.id if item else None, department_id=department.id, kind="flow", fields={},
                        bpmn_xml=data.decode("utf-8"), process_key=process_key, reason="", state="declared",
                        created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, "保存流程图草稿", result.name or process_key)
    _start_review(session, change, department, actor, f"流程图变更申报：{result.name or process_key}")
    return change


def submit_change(session: Session, actor, change_id: int, reason: str) -> ItemChange:
    """提交: the declarer completes the 申报 step, sending the change to the legal office."""
    change = session.get(ItemChange, change_id)
    if change is None or change.state != "declared":
        raise NotFound("没有待提交的变更申报。")
    if not (reason or "").strip() and not change.reason:
        raise InvalidInput("请说明变更理由（法律法规或职能调整的依据）。", field="reason")
    task = declare_task(session, change)
    if task is None:
        raise InvalidState("变更已提交法制审核，请等待审核结果。")
    if (reason or "").strip():
        change.reason = reason.strip()
    complete_task(session, task.id, actor, opinion=change.reason, approved=True)
    return change


def publish_on_approval(transition) -> None:
    """When a legal review ends approved, the change it reviewed is applied: a new item version,
    a new flow version, or the item's new status."""
    if transition.action != "finish" or "change_id" not in (transition.case.data or {}):
        return
    session = transition.session
    change = session.get(ItemChange, transition.case.data["change_id"])
    if change is None or change.state != "declared" or transition.case.result != "审核通过":
        return
    if change.kind == "flow":
        item = session.get(Item, change.item_id) if change.item_id else None
        definition = deploy_process(session, change.bpmn_xml.encode("utf-8"), f"{change.process_key}.bpmn",
                                    transition.actor, item.code if item else None)
        if item is not None and definition.item_id is None:
            definition.item_id = item.id
        if item is not None:
            search.refresh_item(session, item)  # a flow may make an item internal, or public again
    elif change.kind == "status":
        item = session.get(Item, change.item_id)
        item.status = change.fields["status"]
        session.info["items_changed"] = True  # the rules' item caches re-read after commit
        search.refresh_item(session, item)  # a suspended or cancelled item leaves the public search
    else:
        department = session.get(Department, change.department_id)
        region = session.get(Region, department.region_id)
        code = session.get(Item, change.item_id).code if change.item_id else None
        item = publish_checked(session, code, department, dict(change.fields), region.code, transition.actor)
        change.item_id, change.published_version_id = item.id, item.current_version_id
        search.refresh_item(session, item)  # new name, 俗称, 主题 …
    change.state = "published"
    session.flush()
