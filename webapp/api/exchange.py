"""外部办件报送 ``/api/v1/external/cases``: a department's own system pushes each case, its steps and
its result (seed 004 §4.3) with a token carrying the ``report`` verb and its system code; GET reads
back what Sunhall holds under the system's own case id. Every field is checked here (types, lengths,
dates, certificate numbers, no time in the future); what needs the database (the catalogue, the
token's departments, the order of what was already reported) is checked by engine.exchange.report.
The format is documented in docs/exchange.md."""

from __future__ import annotations

import re
from datetime import datetime
from functools import wraps

from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate

from engine import clock
from engine.calendar import MAX_PERIOD
from engine.certificates import CERT_TYPES
from engine.errors import PermissionDenied
from engine.exchange import report
from engine.models.cases import APPLICANT_TYPES, CHANNELS
from engine.validation import Bool, ChineseSchema, Choice, Int, Num, Text, normalize

from ..db import db_session
from .auth import current_actor, current_token, require, require_verb
from .problems import ProblemSchema

blp = Blueprint("exchange", __name__, url_prefix="/external", description="外部办件报送（部门业务系统向本平台报送办件）")

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")
ID_MESSAGE = "{label}只能包含英文字母、数字、下划线、点、冒号和连字符。"
EARLIEST = datetime(2000, 1, 1, tzinfo=clock.LOCAL_TZ)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")


class _DateTime(fields.Field):
    """A moment written ISO 8601 (``2026-09-28T09:30:00+08:00``); without an offset it is Beijing time."""

    def __init__(self, label: str, **kw):
        super().__init__(metadata={"label": label, "format": "date-time"}, error_messages={
            "required": f"请填写{label}。", "null": f"请填写{label}。",
            "invalid": f"{label}格式应为 ISO 8601 日期时间（如 2026-09-28T09:30:00+08:00），且是存在的时间。"}, **kw)
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = normalize(value).strip()
        if len(text) > 40 or not _ISO.fullmatch(text):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.LOCAL_TZ)
        if moment < EARLIEST:
            raise ValidationError(f"{self.label}早于 2000 年，请检查。")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        return value.astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds") if value is not None else None


class _Figures(fields.Field):
    """关键数值: {name: number}, at most 50 (面积、规模、罚款金额 …, seed 004 §4.3 第3、6项)."""

    def __init__(self, **kw):
        super().__init__(metadata={"label": "关键数值"}, **kw)
        self.name, self.number = Text("数值名称", 60, required=True), Num("数值", min=-10**12, max=10**12)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("关键数值应为一组名称和数值。")
        if len(value) > 50:
            raise ValidationError("关键数值最多 50 项。")
        return {self.name.deserialize(k): self.number.deserialize(v) for k, v in value.items()}


class ApplicantSchema(ChineseSchema):
    name = Text("申请人名称", 200, required=True)
    type = Choice("申请人类型", APPLICANT_TYPES, load_default="1")
    cert_type = Choice("证件类型", CERT_TYPES, required=True)
    cert_number = Text("证件号码", 40, required=True)
    contact_name = Text("联系人", 60)
    phone = Text("联系电话", 40)
    address = Text("地址", 300)


class MaterialSchema(ChineseSchema):
    name = Text("材料名称", 200, required=True)
    required = Bool("是否必备", load_default=False)
    submitted = Bool("是否已提交", load_default=True)
    count = Int("份数", min=0, max=10000)


class StepSchema(ChineseSchema):
    id = Text("环节标识", 36, required=True, pattern=ID, pattern_message=ID_MESSAGE.format(label="环节标识"))
    code = Text("环节编码", 100, required=True, pattern=ID, pattern_message=ID_MESSAGE.format(label="环节编码"))
    name = Text("环节名称", 200, required=True)
    post = Text("岗位", 40)
    department = Text("办理部门编码", 40)
    handler = Text("办理人", 60)
    started_at = _DateTime("环节开始时间", required=True)
    completed_at = _DateTime("环节办理时间", allow_none=True)
    time_limit = Int("环节时限", min=0, max=MAX_PERIOD, allow_none=True)
    opinion = Text("办理意见", 2000, multiline=True)
    approved = Bool("是否同意", allow_none=True)
    reason = Text("否定意见的理由", 2000, multiline=True)


class ResultSchema(ChineseSchema):
    state = Choice("办结状态", report.RESULT_STATES, required=True)
    decision = Text("办理结果", 100, required=True)
    finished_at = _DateTime("办结时间", required=True)
    document_number = Text("证照或文书编号", 100)
    detail = Text("结果详细内容", 4000, multiline=True)
    figures = _Figures()


class ReportSchema(ChineseSchema):
    external_id = Text("办件流水号", 80, required=True, pattern=ID, pattern_message=ID_MESSAGE.format(label="办件流水号"))
    item_code = Text("事项编码", 40, required=True)
    subject = Text("办件事由", 300)
    channel = Choice("申请渠道", CHANNELS)
    applicant = fields.Nested(ApplicantSchema, required=True, metadata={"label": "申请人"},
                              error_messages={"required": "请填写申请人。", "null": "请填写申请人。",
                                              "type": "申请人应为一组名称和值。"})
    received_at = _DateTime("收件时间", required=True)
    accepted_at = _DateTime("受理时间", allow_none=True)
    accepted_by = Text("受理人", 60)
    promised_days = Int("承诺时限", min=0, max=MAX_PERIOD, allow_none=True)
    materials = fields.List(fields.Nested(MaterialSchema), load_default=list, metadata={"label": "申请材料"},
                            validate=validate.Length(max=200, error="申请材料最多 200 项。"),
                            error_messages={"invalid": "申请材料应为列表。"})
    steps = fields.List(fields.Nested(StepSchema), load_default=list, metadata={"label": "办理环节"},
                        validate=validate.Length(max=200, error="办理环节最多 200 个。"),
                        error_messages={"invalid": "办理环节应为列表。"})
    result = fields.Nested(ResultSchema, allow_none=True, metadata={"label": "办理结果"},
                           error_messages={"type": "办理结果应为一组名称和值。"})


class ExternalStepSchema(ChineseSchema):
    id = fields.String(metadata={"description": "部门系统的环节标识"})
    code = fields.String(metadata={"description": "环节编码"})
    name = fields.String(metadata={"description": "环节名称"})
    state = fields.String(metadata={"description": "ready 在办 / completed 已办 / cancelled 已取消"})
    started_at = _DateTime("环节开始时间")
    completed_at = _DateTime("环节办理时间", allow_none=True)
    due_date = fields.Date(allow_none=True, metadata={"description": "按本平台工作日历计算的环节办理期限"})
    reported_at = _DateTime("报送时间", allow_none=True)


class ExternalCaseSchema(ChineseSchema):
    number = fields.String(metadata={"description": "本平台办件编号"})
    external_id = fields.String(metadata={"description": "部门系统的办件流水号"})
    system = fields.String(metadata={"description": "报送系统代码"})
    system_name = fields.String(metadata={"description": "报送系统名称"})
    item_code = fields.String(metadata={"description": "事项编码"})
    state = fields.String(metadata={"description": "received 已接件 / accepted 已受理 / finished 已办结 / "
                                                   "rejected 不予受理 / withdrawn 已撤回"})
    state_name = fields.String()
    result = fields.String(allow_none=True)
    received_at = _DateTime("收件时间")
    accepted_at = _DateTime("受理时间", allow_none=True)
    finished_at = _DateTime("办结时间", allow_none=True)
    deadline = fields.Date(allow_none=True, metadata={"description": "按本平台工作日历计算的承诺办结日期"})
    reported_at = _DateTime("最近报送时间", allow_none=True)
    changed = fields.Boolean(metadata={"description": "此次报送是否改变了本平台的数据（重复报送为 false）"})
    steps = fields.List(fields.Nested(ExternalStepSchema))


def _reporter() -> report.Reporter:
    token = current_token()
    if token is None:
        raise PermissionDenied("外部办件只能由部门业务系统使用带“报送外部办件”权限的接口令牌报送。")
    return report.Reporter(token.system_code, tuple(token.department_ids or ()))


def _reporting_system(view):
    """Who may report is settled before the body is read: a session or a token without the
    report verb hears "not yours", not what is wrong with a body it may not send."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        require_verb("report")
        _reporter()
        return view(*args, **kwargs)
    return wrapper


_ERRORS = ((401, "未认证"), (403, "没有权限"), (404, "对象不存在"), (409, "与已报送的数据冲突"), (422, "输入有误"))


def _document_errors(view):
    for status, description in _ERRORS:
        view = blp.alt_response(status, schema=ProblemSchema, description=description,
                                content_type="application/problem+json")(view)
    return view


@blp.route("/cases", methods=["POST"])
@_reporting_system
@blp.arguments(ReportSchema)
@blp.response(200, ExternalCaseSchema, description="办件已在本平台（重复报送时未作改变，changed 为 false）")
@blp.alt_response(201, schema=ExternalCaseSchema, description="首次报送，本平台已建立外部办件")
@_document_errors
@require("report")
def report_case(data):
    """报送外部办件：办件、各环节的办理意见和办理结果（幂等：按报送系统和办件流水号）。"""
    session = db_session()
    outcome = report.report_case(session, current_actor(), _reporter(), data)
    body = {**report.external_view(session, outcome.case), "changed": outcome.changed}
    return body, 201 if outcome.created else 200


@blp.route("/cases/<string:external_id>", methods=["GET"])
@blp.response(200, ExternalCaseSchema)
@_document_errors
@require("report")
def read_case(external_id: str):
    """读取本平台保存的外部办件（按办件流水号）。"""
    session = db_session()
    case = report.find(session, _reporter(), external_id[:80])
    return {**report.external_view(session, case), "changed": False}
