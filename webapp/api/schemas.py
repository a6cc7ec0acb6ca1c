"""marshmallow schemas of the API (the edge): what comes in is checked with engine.validation's
Chinese field factories, what goes out is described field by field, so the OpenAPI document is
complete. Field names are English; labels and descriptions Chinese."""

from __future__ import annotations

from marshmallow import fields

from engine import validation as v
from engine.models import TOKEN_VERBS
from engine.models.cases import APPLICANT_TYPES, CASE_STATES, CHANNELS, PAUSE_KINDS, TASK_STATES
from engine.service.worklist import TABS
from rules.models import ALERT_STATES, LEVELS

ID_MAX = v.INT_MAX  # ids in paths and bodies: what an Integer key can hold

# the field classes of engine.validation, mapped to OpenAPI types (webapp.api registers them)
FIELD_TYPES = [
    (type(v.Int("x")), "integer", None), (type(v.Num("x")), "number", None), (type(v.Text("x", 1)), "string", None),
    (type(v.Choice("x", ["a"])), "string", None), (type(v.Date("x")), "string", "date"),
    (type(v.Bool("x")), "boolean", None),
]


def _doc(field, label: str, description: str | None = None, **openapi):
    field.metadata.update(description=description or label, **openapi)
    return field


def Int(label: str, low: int | None = 0, high: int | None = ID_MAX, description: str | None = None, **kw):
    bounds = {**({"minimum": low} if low is not None else {}), **({"maximum": high} if high is not None else {})}
    return _doc(v.Int(label, low, high, **kw), label, description, **bounds)


def Text(label: str, max_len: int, description: str | None = None, **kw):
    return _doc(v.Text(label, max_len, **kw), label, description, maxLength=max_len)


def Choice(label: str, choices: dict, **kw):
    names = "；".join(f"{k}：{name}" for k, name in choices.items())
    return _doc(v.Choice(label, choices, **kw), label, f"{label}（{names}）", enum=list(choices))


def Bool(label: str, description: str | None = None, **kw):
    return _doc(v.Bool(label, **kw), label, description)


def Date(label: str, description: str | None = None, **kw):
    return _doc(v.Date(label, **kw), label, description)


def ExpectedVersion():
    return Int("办件版本号", 0, ID_MAX, load_default=None,
               description="办件版本号（读取办件时的 version）：办件已被他人更新时返回 409 stale_case；不填则不检查")


# --- output helpers: every nullable value says so (the document must match what is sent) ------------
def S(description: str, **kw):
    return fields.String(metadata={"description": description}, **kw)


def N(description: str, **kw):
    return fields.Integer(metadata={"description": description}, **kw)


def Opt(field_cls, description: str, **kw):
    return field_cls(allow_none=True, metadata={"description": description}, **kw)


class Schema(v.ChineseSchema):
    """Input: unknown keys refused, messages in Chinese."""


class Out(v.ChineseSchema):
    """Output schemas (only dumped)."""


# --- paging -------------------------------------------------------------------------------------------------
class PageQuery(Schema):
    page = Int("页码", 1, 100000, load_default=1)
    per_page = Int("每页条数", 1, 100, load_default=20)


def page_of(item_schema, name: str):
    """The envelope of a paged list of ``item_schema``."""
    return type(name, (Out,), {
        "items": fields.List(fields.Nested(item_schema), required=True, metadata={"description": "本页的记录"}),
        "total": N("符合条件的记录总数", required=True),
        "page": N("页码（从 1 开始）", required=True),
        "per_page": N("每页条数", required=True),
        "Meta": type("Meta", (), {"ordered": True}),
    })


# --- catalogue ------------------------------------------------------------------------------------------------
class ItemQuery(PageQuery):
    q = Text("关键词", 100, load_default=None, description="按事项名称、编码或俗称查找")
    department = Int("实施部门编号", 1, ID_MAX, load_default=None)
    category = Text("事项类型代码", 2, load_default=None, description="事项类型（两位代码，如 01 行政许可）")


class ItemMaterialOut(Out):
    name = S("材料名称", required=True)
    format = Opt(fields.String, "材料形式（纸质、电子）")
    original = Opt(fields.String, "原件或复印件")
    count = Opt(fields.Integer, "份数")
    required = Opt(fields.Boolean, "是否必需")


class ItemOut(Out):
    code = S("事项编码", required=True)
    name = S("事项名称", required=True)
    category = S("事项类型代码", required=True)
    case_type = S("办件类型：instant 即办件，promised 承诺件", required=True)
    department_id = N("实施部门编号", required=True)
    department_name = S("实施部门", required=True)
    version = N("事项版本", required=True)


class ItemDetailOut(ItemOut):
    section = Opt(fields.String, "办理科室")
    conditions = Opt(fields.String, "受理条件")
    legal_limit = N("法定办结时限", required=True)
    promised_limit = N("承诺办结时限", required=True)
    limit_unit = S("时限单位：workday 工作日，day 自然日", required=True)
    extension_limit = N("可延长的最长期限", required=True)
    charges_fee = fields.Boolean(required=True, metadata={"description": "是否收费"})
    fee_standard = Opt(fields.String, "收费标准")
    place = Opt(fields.String, "办理地点")
    phone = Opt(fields.String, "咨询电话")
    supervision_phone = Opt(fields.String, "监督电话")
    online_url = Opt(fields.String, "网上办理地址")
    legal_basis = fields.List(fields.Dict(), required=True, metadata={"description": "设定依据（名称、条款、内容）"})
    materials = fields.List(fields.Nested(ItemMaterialOut), required=True, metadata={"description": "申请材料"})
    aliases = fields.List(fields.String(), required=True, metadata={"description": "俗称"})


# --- cases ----------------------------------------------------------------------------------------------------------
class ApplicantIn(Schema):
    name = Text("申请人名称", 200, required=True)
    type = Choice("申请人类型", APPLICANT_TYPES, load_default="1")
    cert_type = Text("证件类型代码", 10, load_default="111", description="证件类型代码（111 居民身份证，001 统一社会信用代码 …）")
    cert_number = Text("证件号码", 40, required=True)
    contact_name = Text("联系人", 60, load_default=None)
    phone = Text("联系电话", 40, load_default=None)
    address = Text("地址", 300, load_default=None)
    agent_name = Text("代理人", 60, load_default=None)
    agent_cert_type = Text("代理人证件类型代码", 10, load_default=None)
    agent_cert_number = Text("代理人证件号码", 40, load_default=None)


class CaseStartIn(Schema):
    item_code = Text("事项编码", 40, required=True)
    applicant = fields.Nested(ApplicantIn, required=True, metadata={"label": "申请人", "description": "申请人"})
    subject = Text("办件名称", 300, load_default=None)
    channel = Choice("申请渠道", CHANNELS, load_default="window")
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"label": "表单数据", "description": "即办件当场办结时各环节可填写的表单字段"})
    materials = fields.List(Int("材料序号", 1, 9999), load_default=list,
                            metadata={"label": "已收材料", "description": "已收到的材料在事项材料清单中的序号（从 1 开始）"})
    confirm_duplicate = Bool("确认再次收件", load_default=False,
                             description="同一申请人 30 分钟内已收件过此事项时须为 true")
    request_id = Text("请求编号", 64, load_default=None,
                      description="客户端为这次收件生成的唯一编号（32–64 位字母、数字、-、_）：同一编号重复提交只收件一次")


class CaseQuery(PageQuery):
    state = Choice("办件状态", CASE_STATES, load_default=None)
    item_code = Text("事项编码", 40, load_default=None)
    department = Int("部门编号", 1, ID_MAX, load_default=None)
    received_from = Date("收件日期起", load_default=None)
    received_to = Date("收件日期止", load_default=None)
    q = Text("关键词", 100, load_default=None, description="按办件编号、申请人或办件名称查找")


class ApplicantOut(Out):
    type = S("申请人类型代码", required=True)
    name = S("申请人名称", required=True)
    cert_type = S("证件类型代码", required=True)
    cert_number = S("证件号码", required=True)
    contact_name = Opt(fields.String, "联系人")
    phone = Opt(fields.String, "联系电话")
    address = Opt(fields.String, "地址")
    agent_name = Opt(fields.String, "代理人")


class CaseOut(Out):
    id = N("办件编号（内部）", required=True)
    number = S("办件编号", required=True)
    item_code = S("事项编码", required=True)
    item_name = S("事项名称", required=True)
    subject = S("办件名称", required=True)
    department_id = N("承办部门编号", required=True)
    department_name = S("承办部门", required=True)
    case_type = S("办件类型", required=True)
    channel = S("申请渠道", required=True)
    state = S("状态：" + "，".join(f"{k} {n}" for k, n in CASE_STATES.items()), required=True)
    state_name = S("状态名称", required=True)
    pause_kind = Opt(fields.String, "暂停原因：" + "，".join(f"{k} {n}" for k, n in PAUSE_KINDS.items()))
    received_at = fields.DateTime(required=True, metadata={"description": "收件时间"})
    accepted_at = Opt(fields.DateTime, "受理时间")
    finished_at = Opt(fields.DateTime, "办结时间")
    deadline = Opt(fields.Date, "承诺办结日期")
    deadline_provisional = Opt(fields.String, "办结日期为预计时的说明")
    result = Opt(fields.String, "办理结果")
    source = Opt(fields.String, "外部办件的来源系统代码（本平台的办件为空）")
    version = N("版本号（用于 expected_version）", required=True)


class CaseDetailOut(CaseOut):
    applicant = fields.Nested(ApplicantOut, required=True, metadata={"description": "申请人"})
    data = fields.Dict(required=True, metadata={"description": "表单数据（不含对查看者隐藏的字段）"})
    limit_days = N("办理时限", required=True)
    limit_unit = S("时限单位", required=True)
    paused_days = N("暂停（不计时）天数", required=True)
    extended_days = N("延长天数", required=True)
    external_id = Opt(fields.String, "外部办件在来源系统中的编号")


class FormFieldOut(Out):
    name = S("字段名", required=True)
    label = S("字段名称", required=True)
    type = S("字段类型", required=True)
    access = S("本环节的权限：write 可填写，read 只读", required=True)
    required = fields.Boolean(required=True, metadata={"description": "是否必填"})


class TaskOut(Out):
    id = N("环节编号", required=True)
    case_id = N("办件编号（内部）", required=True)
    case_number = S("办件编号", required=True)
    step_id = S("环节代码", required=True)
    step_name = S("环节名称", required=True)
    post_code = S("岗位代码", required=True)
    department_id = N("办理部门编号", required=True)
    state = S("状态：" + "，".join(f"{k} {n}" for k, n in TASK_STATES.items()), required=True)
    assignee_id = Opt(fields.Integer, "签收人编号")
    assignee_name = Opt(fields.String, "签收人")
    created_at = fields.DateTime(required=True, metadata={"description": "到达时间"})
    due_date = Opt(fields.Date, "环节期限")
    completed_at = Opt(fields.DateTime, "办理时间")
    completed_by_id = Opt(fields.Integer, "办理人编号")
    opinion = Opt(fields.String, "意见")
    approved = Opt(fields.Boolean, "是否同意")
    reason = Opt(fields.String, "理由")
    can_work = fields.Boolean(required=True, metadata={"description": "调用者现在能否办理此环节"})
    can_claim = fields.Boolean(required=True, metadata={"description": "调用者现在能否签收此环节"})


class TaskDetailOut(TaskOut):
    case_version = N("办件版本号（用于 expected_version）", required=True)
    form_fields = fields.List(fields.Nested(FormFieldOut), required=True,
                              metadata={"description": "本环节表单中调用者可见的字段"})


class EventOut(Out):
    seq = N("序号", required=True)
    at = fields.DateTime(required=True, metadata={"description": "时间"})
    action = S("动作代码", required=True)
    action_name = S("动作名称", required=True)
    actor_name = S("操作人", required=True)
    task_id = Opt(fields.Integer, "环节编号")
    step_id = Opt(fields.String, "环节代码")
    reason = Opt(fields.String, "理由或说明")


class ExtensionOut(Out):
    id = N("延期申请编号", required=True)
    case_id = N("办件编号（内部）", required=True)
    days = N("延长天数", required=True)
    reason = S("理由", required=True)
    state = S("状态：requested 待审批，approved 已批准，refused 不批准", required=True)
    approver_id = N("批准人编号", required=True)
    requested_at = fields.DateTime(required=True, metadata={"description": "申请时间"})
    decided_at = Opt(fields.DateTime, "审批时间")
    decision_note = Opt(fields.String, "审批意见")
    deadline_after = Opt(fields.Date, "批准后的办结日期")


class PauseOut(Out):
    id = N("暂停记录编号", required=True)
    kind = S("种类：" + "，".join(f"{k} {n}" for k, n in PAUSE_KINDS.items()), required=True)
    reason = S("原因", required=True)
    started_at = fields.DateTime(required=True, metadata={"description": "开始时间"})
    ended_at = Opt(fields.DateTime, "结束时间")
    due_date = Opt(fields.Date, "补正答复期限")
    missing_materials = fields.List(fields.String(), required=True, metadata={"description": "需补正的材料"})


# --- commands -------------------------------------------------------------------------------------------------------
class VersionIn(Schema):
    expected_version = ExpectedVersion()


class ReasonIn(VersionIn):
    reason = Text("理由", 2000, required=True, multiline=True)


class CompleteIn(VersionIn):
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"label": "表单数据", "description": "本环节可填写的表单字段（字段名 → 值）"})
    opinion = Text("办理意见", 2000, load_default=None, multiline=True)
    approved = Bool("是否同意", load_default=True)
    reason = Text("不同意的理由", 2000, load_default=None, multiline=True)


class AssignIn(VersionIn):
    assignee_id = Int("办理人编号", 1, ID_MAX, required=True)


class TransferIn(AssignIn):
    reason = Text("转办理由", 2000, required=True, multiline=True)


class ReturnIn(VersionIn):
    target_step = v.Code("退回到的环节代码", 100, required=True)
    reason = Text("退回理由", 2000, required=True, multiline=True)


class CorrectionIn(VersionIn):
    missing = fields.List(Text("需补正的材料", 200), required=True,
                          metadata={"label": "需补正的材料", "description": "需要补正的材料，每项一条（最多 50 项）"})
    reason = Text("补正说明", 2000, load_default=None, multiline=True)


class SuspendIn(VersionIn):
    procedure = Text("特别程序种类", 20, required=True, description="听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审或事项规定的其他种类")
    reason = Text("理由", 2000, required=True, multiline=True)
    expected_days = Int("预计所需天数", 1, 120, required=True)


class ResumeIn(VersionIn):
    note = Text("说明", 2000, load_default=None, multiline=True)
    received_materials = fields.List(Int("材料编号", 1, ID_MAX), load_default=list,
                                     metadata={"label": "已收到的补正材料",
                                               "description": "补正后已收到的材料编号（办件材料列表中的 id）"})


class ExtensionIn(VersionIn):
    days = Int("延期天数", 1, 365, required=True)
    approver_id = Int("批准人编号", 1, ID_MAX, required=True)
    reason = Text("延期理由", 1000, required=True, multiline=True)
    collective_record = Text("集体讨论决定记录", 2000, load_default=None, multiline=True)


class DecisionIn(VersionIn):
    approve = Bool("是否批准", required=True)
    note = Text("审批意见", 2000, load_default=None, multiline=True)


# --- worklist ---------------------------------------------------------------------------------------------------------
class WorklistQuery(PageQuery):
    tab = Choice("列表", TABS, load_default="todo")
    item_code = Text("事项编码", 40, load_default=None)
    number = Text("办件编号", 40, load_default=None)
    applicant = Text("申请人", 100, load_default=None)
    received_from = Date("收件日期起", load_default=None)
    received_to = Date("收件日期止", load_default=None)


# --- documents and materials --------------------------------------------------------------------------------------------
class DocumentOut(Out):
    id = N("文书编号（内部）", required=True)
    case_id = N("办件编号（内部）", required=True)
    kind = S("文书种类代码", required=True)
    title = S("文书名称", required=True)
    number = S("文号", required=True)
    created_at = fields.DateTime(required=True, metadata={"description": "出具时间"})
    download = S("下载地址（.docx）", required=True)


class DocumentListOut(Out):
    documents = fields.List(fields.Nested(DocumentOut), required=True, metadata={"description": "已出具的文书"})
    offered = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "调用者现在可以出具的文书：种类代码 → 名称"})


class DocumentIn(Schema):
    kind = v.Code("文书种类", 40, required=True)


class MaterialVersionOut(Out):
    version = N("版本", required=True)
    file_name = S("文件名", required=True)
    size = N("字节数", required=True)
    mime = S("文件类型", required=True)
    sha256 = S("SHA-256", required=True)
    uploaded_at = fields.DateTime(required=True, metadata={"description": "上传时间"})
    download = S("下载地址", required=True)


class MaterialOut(Out):
    id = N("材料编号", required=True)
    position = N("在事项材料清单中的序号", required=True)
    name = S("材料名称", required=True)
    required = fields.Boolean(required=True, metadata={"description": "是否必需"})
    submitted = fields.Boolean(required=True, metadata={"description": "是否已收到"})
    versions = fields.List(fields.Nested(MaterialVersionOut), required=True, metadata={"description": "上传的文件（新版本在前）"})


# --- alerts -------------------------------------------------------------------------------------------------------------
class AlertQuery(PageQuery):
    level = Choice("预警级别", LEVELS, load_default=None)
    state = Choice("处理状态", ALERT_STATES, load_default=None)
    department = Int("部门编号", 1, ID_MAX, load_default=None)
    rule = Text("规则代码", 10, load_default=None)
    case_id = Int("办件编号（内部）", 1, ID_MAX, load_default=None)


class AlertOut(Out):
    id = N("预警编号", required=True)
    rule_code = S("规则代码", required=True)
    level = S("级别", required=True)
    level_name = S("级别名称", required=True)
    state = S("处理状态", required=True)
    state_name = S("处理状态名称", required=True)
    message = S("预警内容", required=True)
    case_id = Opt(fields.Integer, "办件编号（内部）")
    case_number = Opt(fields.String, "办件编号")
    department_id = Opt(fields.Integer, "部门编号")
    step_id = Opt(fields.String, "环节代码")
    created_at = fields.DateTime(required=True, metadata={"description": "产生时间"})
    handled_at = Opt(fields.DateTime, "处理时间")
    handling_note = Opt(fields.String, "处理说明")
    order_case_id = Opt(fields.Integer, "督办单（内部流程办件）编号")


class DismissIn(Schema):
    reason = Text("理由", 2000, required=True, multiline=True)


class ResolveIn(Schema):
    note = Text("处理说明", 2000, required=True, multiline=True)


class SuperviseIn(Schema):
    requirement = Text("督办要求", 2000, required=True, multiline=True)
    end_date = Date("要求办结日期", required=True)


class WhoAmIOut(Out):
    user_id = N("账号编号", required=True)
    staff_no = S("工号", required=True)
    name = S("姓名", required=True)
    department_id = N("所在部门编号", required=True)
    roles = fields.List(fields.String(), required=True, metadata={"description": "角色"})
    posts = fields.List(fields.Dict(), required=True, metadata={"description": "岗位（岗位代码、部门编号）"})
    token = Opt(fields.Dict, "所用接口令牌（名称、前缀、部门、权限）；登录会话为空")


VERB_TEXT = "、".join(f"{k}（{n}）" for k, n in TOKEN_VERBS.items())
