"""The texts of the notices sent to applicants, askers and complainants (短信、电子邮件; seed 002 §8.4):
one function per kind, each returning the subject, the email body and the shorter SMS text.

What a notice may carry (decided here once for every kind): the 办件编号 (and the 申请编号 of an online
application), the item's name, the office, dates and the result. Never the 查询码 (only its hash is
kept, and a text message is read on a shared or recycled phone), never a certificate number, and a
natural person's name masked as on the public pages (张*); a legal person is named in full. The
tracking page is named, with its address where the county has set its public address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from . import clock
from .masking import mask_name

# Notification.kind -> what an administrator sees on the notification list
KINDS = {
    "accepted": "受理通知",
    "correction": "补正通知",
    "finished": "办结通知",
    "rejected": "不予受理通知",
    "lapsed": "视为放弃申请通知",
    "question_answered": "咨询答复通知",
    "complaint_answered": "投诉答复通知",
    "info_answered": "政府信息公开答复通知",
    "info_correction": "政府信息公开补正通知",
}
TRACK_PATH = "/progress"  # 结果反馈 on the public column (webapp/portal/track.py)
FOOTER = "（本消息由系统自动发送，请勿直接回复。）"
SMS_MAX = 300  # characters: a long SMS is split by the operator; keep it to a few parts


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str  # the email's text
    sms: str  # the text message: the same facts, shorter


def cn_date(value: date | datetime | None) -> str:
    """2026年9月28日, as the documents write dates (forms.documents); a moment in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local_date(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _clip(text: str, limit: int = SMS_MAX) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class CaseFacts:
    """What the case notices say about a case, read once by engine.notices."""

    number: str
    application_number: str | None
    item: str
    applicant_name: str
    applicant_type: str
    department: str
    department_phone: str | None
    online: bool  # 网上申请: the applicant holds a 申请编号 and 查询码
    public_url: str = ""

    @property
    def who(self) -> str:
        return mask_name(self.applicant_name, self.applicant_type) or "申请人"

    @property
    def ref(self) -> str:
        numbers = f"办件编号 {self.number}"
        if self.application_number:
            numbers += f"，申请编号 {self.application_number}"
        return numbers

    @property
    def track(self) -> str:
        how = ("凭申请编号和查询码" if self.online else "凭办件编号和申请人证件号码")
        where = f"（{self.public_url.rstrip('/')}{TRACK_PATH}）" if self.public_url else ""
        return f"办理进度和结果可在政务服务网“结果反馈”栏目{where}{how}查询。"

    @property
    def ask(self) -> str:
        return f"如有疑问，请咨询{self.department}（电话 {self.department_phone}）。" if self.department_phone else ""


def _body(facts: CaseFacts, *lines: str) -> str:
    return "\n".join(line for line in (f"{facts.who}：您好！", *lines, facts.track, facts.ask, FOOTER) if line)


def accepted(facts: CaseFacts, *, received: datetime, accepted_at: datetime, deadline: date | None,
             provisional: bool) -> Notice:
    """受理: the office took the application up; the promised date from the case's own clock."""
    due = ""
    if deadline is not None:
        due = f"承诺办结日期为{cn_date(deadline)}" + ("（预计，以当年节假日安排公布后的日期为准）" if provisional else "") + "。"
    body = _body(facts, f"您于{cn_date(received)}提交的“{facts.item}”申请（{facts.ref}）已于{cn_date(accepted_at)}"
                        f"由{facts.department}受理。{due}")
    sms = (f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）已于{cn_date(accepted_at)}受理"
           + (f"，承诺{cn_date(deadline)}前办结" if deadline else "") + "。进度可在政务服务网“结果反馈”查询。")
    return Notice("accepted", f"受理通知：{facts.item}（办件编号 {facts.number}）", body, _clip(sms))


def correction(facts: CaseFacts, *, missing: list[str], due: date | None, stops_clock: bool) -> Notice:
    """补正: every missing material at once (行政许可法 art. 32(四): 一次告知), the period to answer
    and where to bring them."""
    listed = "\n".join(f"{n}. {m}" for n, m in enumerate(missing, 1))
    period = (f"请于{cn_date(due)}前补正；逾期未补正的，视为放弃申请。" if due else "请尽快补正。")
    where = (f"可在政务服务网“结果反馈”栏目凭申请编号和查询码在线补正，也可到{facts.department}窗口补正。"
             if facts.online else f"请将补正材料提交至{facts.department}窗口。")
    clock_note = "补正期间不计入办理期限。" if stops_clock else ""
    body = _body(facts, f"您申请的“{facts.item}”（{facts.ref}）申请材料不齐全或者不符合法定形式，请补正以下材料：",
                 listed, period + where + clock_note)
    sms = (f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）需补正材料：{'、'.join(missing)}。"
           + (f"请于{cn_date(due)}前补正，逾期视为放弃申请。" if due else "请尽快补正。"))
    if len(sms) > SMS_MAX:
        sms = (f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）需补正{len(missing)}项材料"
               + (f"，请于{cn_date(due)}前补正" if due else "") + "，详见补正告知书或电子邮件。")
    return Notice("correction", f"补正通知：{facts.item}（办件编号 {facts.number}）", body, _clip(sms))


def finished(facts: CaseFacts, *, finished_at: datetime, result: str) -> Notice:
    """办结, with its result (准予许可, 不予许可, 准予登记 …)."""
    fetch = ("决定文书可凭申请编号和查询码在政务服务网“结果反馈”栏目查看、下载，纸质文书按申请时选择的方式送达。" if facts.online
             else f"请按受理时约定的方式到{facts.department}领取决定文书。")
    body = _body(facts, f"您申请的“{facts.item}”（{facts.ref}）已于{cn_date(finished_at)}办结，办理结果：{result}。", fetch)
    sms = f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）已于{cn_date(finished_at)}办结，办理结果：{result}。"
    return Notice("finished", f"办结通知：{facts.item}（办件编号 {facts.number}）", body, _clip(sms))


def rejected(facts: CaseFacts, *, at: datetime, reason: str) -> Notice:
    """不予受理, with the reason the decision letter states and the remedies (行政许可法 art. 32(五))."""
    remedy = "《不予受理决定书》载明理由；如不服，可以依法申请行政复议或者提起行政诉讼。"
    body = _body(facts, f"您申请的“{facts.item}”（{facts.ref}）经审查，于{cn_date(at)}决定不予受理。理由：{reason}", remedy)
    sms = (f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）不予受理，理由：{reason}"
           "。详见不予受理决定书。")
    if len(sms) > SMS_MAX:
        sms = f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）不予受理，理由详见不予受理决定书。"
    return Notice("rejected", f"不予受理通知：{facts.item}（办件编号 {facts.number}）", body, sms)


def lapsed(facts: CaseFacts, *, due: date | None, at: datetime) -> Notice:
    """An unanswered 补正 ended the application (视为放弃申请)."""
    when = f"补正期限（{cn_date(due)}）" if due else "补正期限"
    body = _body(facts, f"您申请的“{facts.item}”（{facts.ref}）未在{when}内补正，于{cn_date(at)}视为放弃申请，"
                        "本次申请已终止。如仍需办理，可以重新提出申请。")
    sms = (f"{facts.who}：您申请的“{facts.item}”（办件编号 {facts.number}）未在{when}内补正，视为放弃申请。"
           "如仍需办理，可重新申请。")
    return Notice("lapsed", f"视为放弃申请通知：{facts.item}（办件编号 {facts.number}）", body, _clip(sms))


# --- the public column's answers (在线咨询, 投诉, 政府信息公开): their texts as they were -------------------

def question_answered(*, number: str, asker_name: str, title: str, public: bool) -> Notice:
    where = "公开发布" if public else "不公开，请凭咨询编号和查询码查看"
    body = (f"{asker_name}：您好！您咨询的“{title}”已答复（{where}）。"
            f"请在政务服务专栏“在线咨询”输入咨询编号 {number} 和查询码查看。")
    return Notice("question_answered", f"您的咨询（{number}）已答复", body, body)


def complaint_answered(*, number: str, complainant: str, state: str) -> Notice:
    body = f"{complainant}：您好！您的投诉已{state}。请在政务服务专栏输入投诉编号 {number} 和查询码查看。"
    return Notice("complaint_answered", f"您的投诉（{number}）已答复", body, body)


def info_request(kind: str, *, number: str, applicant_name: str) -> Notice:
    """政府信息公开申请: answered (info_answered) or to be corrected (info_correction)."""
    if kind == "info_answered":
        subject = f"您的政府信息公开申请（{number}）已答复"
        text = "已作出答复并送达。请在政务服务专栏“政府信息公开”输入申请编号和查询码查看、下载答复书。"
    else:
        subject = f"您的政府信息公开申请（{number}）需要补正"
        text = "请在补正期限内通过政务服务专栏“政府信息公开”输入申请编号和查询码补正；逾期不补正的，视为放弃申请。"
    body = f"{applicant_name}：您好！{text}"
    return Notice(kind, subject, body, body)
