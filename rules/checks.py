"""The checks, one function per rule type: each yields a Finding when its rule applies and is broken."""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlalchemy import func, select

from engine import clock
from engine.calendar import load_calendar
from engine.models import CaseEvent, CaseTask, User
from engine.service.common import settings_of, specs_for

from .context import Context, Finding
from .params import number_text

# --- the checks, one function per rule type ------------------------------------------------------

def check_decision_before_acceptance(c: Context):
    if c.t.action == "complete" and c.step is not None and c.step.stage == "decide" and c.case.accepted_at is None:
        for rule in c.rules("decision_before_acceptance"):
            yield Finding(rule, "办件尚未受理，不能先作出决定（事后登记）。请先完成受理环节。")


def check_late_registration(c: Context):
    if c.t.action != "receive" or not c.data.get("event_date"):
        return
    try:
        event = date.fromisoformat(str(c.data["event_date"]))
        late = load_calendar(c.session).workdays_between(event, clock.local_date(c.case.received_at))
    except ValueError:
        return
    for rule in c.rules("late_registration"):
        if late > int(rule.params.get("days", 10)):
            yield Finding(rule, f"办件在事件发生 {late} 个工作日后才登记，超过 {rule.params.get('days', 10)} 个工作日（事后登记）。")


def check_backdated(c: Context):
    if c.t.action != "complete":
        return
    today, received = clock.today(), clock.local_date(c.case.received_at)
    for rule in c.rules("backdated"):
        for name in rule.params.get("fields", []):
            value = c.t.data.get(name)
            if not value:
                continue
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                continue
            if day > today or day < received:
                yield Finding(rule, f"填写的日期 {day} 晚于今天或早于收件日期（{name}），疑似倒填时间。", c.t.task)


def check_required_fields(c: Context):
    if c.t.action != "complete" or c.step is None or c.step.stage != "decide":
        return
    for rule in c.rules("required_fields"):
        for choice_field, needs in rule.params.get("when", {}).items():
            chosen = c.data.get(choice_field) or []
            chosen = chosen if isinstance(chosen, list) else [chosen]
            for option, amount_field in needs.items():
                if option in chosen and not c.data.get(amount_field):
                    yield Finding(rule, f"选择了“{option}”，但没有录入金额（{amount_field}），不能作出决定。", c.t.task)


def _amount(value) -> float | None:
    """A submitted amount as a finite number, or None when it is not one ("abc", "NaN", "1e400")."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def check_fee(c: Context):
    if c.t.action != "complete":
        return
    for rule in c.rules("fee"):
        fee = c.t.data.get(rule.params.get("field", "fee"))
        if not fee:
            continue
        amount = _amount(fee)
        if not c.version.charges_fee:
            yield Finding(rule, f"事项“{c.version.name}”依法不收费，不能收取 {fee} 元。", c.t.task)
        elif amount is None:
            yield Finding(rule, f"收费金额“{fee}”不是有效的数字。", c.t.task)
        elif amount > float(rule.params.get("max", 0)):
            yield Finding(rule, f"收费 {fee} 元超过标准上限 {number_text(float(rule.params['max']))} 元。", c.t.task,
                          level="alarm",
                          tags=["non_blocking"])


def check_discretion(c: Context):
    if c.t.action != "complete" or c.step is None or c.step.stage != "decide":
        return
    standard = None  # the item's 裁量基准, read only when a decision names an amount and a severity
    for rule in c.rules("discretion"):
        raw = c.data.get(rule.params.get("amount_field", "fine_amount"))
        severity = c.data.get(rule.params.get("severity_field", "severity"))
        if raw is None or not isinstance(severity, str):
            continue
        if standard is None:
            standard = (c.version.extra or {}).get("裁量基准") or {}
        if severity not in standard:
            continue
        amount = _amount(raw)
        if amount is None:
            yield Finding(rule, f"罚款金额“{raw}”不是有效的数字，不能与裁量基准比较。", c.t.task)
            continue
        low, high = standard[severity]
        if low <= amount <= high:
            continue
        text = f"罚款 {amount:,.2f} 元超出“{severity}”情节的裁量范围 {low:,}–{high:,} 元"
        reason, second = c.t.data.get("discretion_reason"), c.t.data.get("second_approver")
        approver = c.session.scalars(select(User).where(User.staff_no == str(second or ""))).first()
        if reason and approver is not None and approver.id != (c.t.actor.id if c.t.actor else None) and \
                approver.holds("approve", c.case.department_id):
            yield Finding(rule, f"{text}；已说明理由（{reason}）并经{approver.name}同意。", c.t.task, tags=["non_blocking"])
        else:
            yield Finding(rule, f"{text}。须填写裁量理由并由另一名批准人同意。", c.t.task)


def check_returned_many(c: Context):
    if c.t.action != "return":
        return
    times = c.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == c.case.id, CaseEvent.action == "return"))  # this return's event is already flushed
    for rule in c.rules("returned_many"):
        if times > int(rule.params.get("times", 1)):
            yield Finding(rule, f"办件已被退回 {times} 次。", c.t.task)


def check_refusal(c: Context):
    refused = c.t.action == "reject" or (c.t.action == "complete" and c.t.task is not None and c.t.task.approved is False
                                         and c.step is not None and c.step.stage == "decide")
    if refused:
        what = "不予受理" if c.t.action == "reject" else "不予许可"
        for rule in c.rules("refusal"):
            yield Finding(rule, f"作出{what}：{c.t.reason or '（未填理由）'}", c.t.task)


def check_suspended_item(c: Context):
    if c.item_status != "active" and c.case.is_open:
        for rule in c.rules("suspended_item"):
            yield Finding(rule, f"事项“{c.version.name}”已{'暂停' if c.item_status == 'suspended' else '取消'}，此办件仍在办理。")


def check_risk_point(c: Context):
    if c.t.action != "complete" or c.step is None or not c.step.risk_points:
        return
    names = [r.get("name", "") for r in c.step.risk_points]
    for rule in c.rules("risk_point"):
        if rule.params.get("second_reviewer") and not c.t.data.get("second_reviewer"):
            yield Finding(rule, f"“{c.t.task.step_name}”是廉政风险点（{'、'.join(names)}），须有第二审核人。", c.t.task,
                          block=True)
        else:
            yield Finding(rule, f"办理了廉政风险点环节“{c.t.task.step_name}”（{'、'.join(names)}）。", c.t.task,
                          tags=["non_blocking"])


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


PENALTY_LAW = "《中华人民共和国行政处罚法》"


def check_statement_period(c: Context):
    """行政处罚法 art. 62: no penalty decision before the party was told (art. 44) and heard (art. 45):
    the five working days to state a defence or ask for a hearing (arts. 63, 85) must have run out
    unless the party answered or waived in writing; a requested hearing must have been held."""
    if c.t.action != "complete" or c.step is None or c.step.stage != "decide":
        return
    rules = list(c.rules("statement_period"))
    if not rules:
        return
    steps = specs_for(c.session, c.case.definition_id)[0].task_specs
    for rule in rules:
        p = rule.params
        notice_step, statement_step = p.get("notice_step", "notify"), p.get("statement_step", "statement")
        hearing_step, days = p.get("hearing_step", "hearing"), int(p.get("days", 5))
        if notice_step not in steps:
            continue  # a flow without 事先告知 (e.g. 简易程序) is not this rule's
        rows = list(c.session.scalars(select(CaseTask).where(
            CaseTask.case_id == c.case.id, CaseTask.state == "completed",
            CaseTask.step_id.in_((notice_step, statement_step, hearing_step))).order_by(CaseTask.id)))
        notices = [t for t in rows if t.step_id == notice_step]
        if not notices:
            yield Finding(rule, f"依照{PENALTY_LAW}第六十二条，行政机关在作出行政处罚决定之前，未依照第四十四条向当事人告知"
                                "拟作出的行政处罚内容及事实、理由、依据和当事人依法享有的陈述、申辩、要求听证等权利的，"
                                "不得作出行政处罚决定。请先办理事先告知。", c.t.task)
            continue
        notice = notices[-1]
        after = [t for t in rows if t.id > notice.id]
        answers = [t.form_data or {} for t in after if t.step_id == statement_step]
        answered = any(a.get("waived") or a.get("hearing_requested") or str(a.get("defence_statement") or "").strip()
                       for a in answers)
        notified_on = clock.local_date(notice.completed_at)
        if not answered:
            ends = load_calendar(c.session).add_workdays(notified_on, days)
            if ends is None or clock.today() <= ends:
                until = f"至{_cn(ends)}届满" if ends else "尚未届满"
                yield Finding(rule, f"依照{PENALTY_LAW}第六十二条，行政机关拒绝听取当事人的陈述、申辩的，不得作出行政处罚决定。"
                                    f"事先告知书于{_cn(notified_on)}送达，当事人陈述、申辩和要求听证的期限{until}"
                                    f"（第四十五条、第六十三条：告知后{days}日内；第八十五条：指工作日，不含法定节假日）；"
                                    "当事人尚未陈述申辩、要求听证或者书面放弃，期限届满前不能作出处罚决定。", c.t.task)
                continue
        requested = any(a.get("hearing_requested") is True for a in answers) or (
            not answers and statement_step not in steps and c.data.get("hearing_requested") is True)
        held = any(t.step_id == hearing_step for t in after)
        if requested and not held and hearing_step in steps:
            yield Finding(rule, f"依照{PENALTY_LAW}第六十二条、第六十三条，当事人已要求听证，听证结束前不得作出行政处罚决定。"
                                "请先组织听证。", c.t.task)


def check_hearing_notice(c: Context):
    """行政处罚法 art. 64(二): the party is told the hearing's time and place seven days ahead; art. 85:
    working days. A hearing step is not done before its noticed date."""
    if c.t.action != "complete" or c.t.task is None:
        return
    for rule in c.rules("hearing_notice"):
        p = rule.params
        field, days = p.get("field", "hearing_date"), int(p.get("days", 7))
        notice_step, hearing_step = p.get("notice_step", "hearing_notice"), p.get("hearing_step", "hearing")
        if c.t.task.step_id not in (notice_step, hearing_step):
            continue
        value = c.t.data.get(field) if c.t.task.step_id == notice_step else c.data.get(field)
        if not value:
            if c.t.task.step_id == notice_step:
                yield Finding(rule, "请填写听证日期：听证通知书须载明举行听证的时间、地点"
                                    f"（{PENALTY_LAW}第六十四条第二项）。", c.t.task)
            continue
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            yield Finding(rule, f"听证日期“{value}”不是有效日期。", c.t.task)
            continue
        today = clock.today()
        if c.t.task.step_id == hearing_step:
            if day > today:
                yield Finding(rule, f"听证通知确定的听证日期是{_cn(day)}，听证尚未举行，不能办结听证环节。", c.t.task)
            continue
        earliest = load_calendar(c.session).add_workdays(today, days)
        if day < earliest:
            yield Finding(rule, f"依照{PENALTY_LAW}第六十四条第二项，行政机关应当在举行听证的七日前通知当事人听证的时间、地点；"
                                f"依照第八十五条，“七日”指工作日，不含法定节假日。今天（{_cn(today)}）发出通知，"
                                f"听证最早可以安排在{_cn(earliest)}，所填听证日期{_cn(day)}不足{days}个工作日。", c.t.task)


def check_report_delay(c: Context):
    """关键数据延时报送 (seed 004 §4.3: reported within 24 hours; §4.4): each fact of a department
    system's report (收件, 受理, a step, 办结) that reached us later than the hours allowed after it
    happened. (The report re-plans the case's watches, 关键数据未报送 among them, in rules.evaluate.)"""
    if c.t.action != "report":
        return
    reported_at = c.case.reported_at or clock.now()
    for rule in c.rules("report_delay"):
        hours = _report_hours(c, rule)
        for fact in c.t.data.get("reported") or []:
            happened = datetime.fromisoformat(fact["happened_at"])
            late = (reported_at - happened).total_seconds() / 3600
            if late > hours:
                task = c.session.get(CaseTask, fact["task_id"]) if fact.get("task_id") else None
                yield Finding(rule, f"“{fact['what']}”发生于 {happened.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}，"
                                    f"{late:.0f} 小时后才报送（应在 {hours} 小时内报送）。", task)


def _report_hours(c: Context, rule) -> int:
    """The rule's ``hours`` when the office set one, else the installation's report_hours (24)."""
    hours = rule.params.get("hours")
    if isinstance(hours, int) and not isinstance(hours, bool) and hours > 0:
        return hours
    return settings_of(c.session).report_hours


CHECKS_BY_TYPE = {  # rule type: its check (each check reads only its own type's rules)
    "decision_before_acceptance": check_decision_before_acceptance, "late_registration": check_late_registration,
    "backdated": check_backdated, "required_fields": check_required_fields, "fee": check_fee,
    "discretion": check_discretion, "returned_many": check_returned_many, "refusal": check_refusal,
    "suspended_item": check_suspended_item, "risk_point": check_risk_point, "statement_period": check_statement_period,
    "hearing_notice": check_hearing_notice, "report_delay": check_report_delay}
CHECKS = list(CHECKS_BY_TYPE.values())
