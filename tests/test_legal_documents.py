"""The documents the law requires, produced when the transition happens and read back from the
.docx: 行政处罚事先告知书, 听证通知书 and 行政处罚决定书 (行政处罚法 arts. 44, 59, 64), 延期告知书
(行政许可法 art. 42), 特别程序告知书 (art. 45), 视为放弃申请告知书 (政府信息公开条例 art. 30), the
registration notice of 个体工商户, and deadlines shown honestly when they are provisional (预计).
Dates are counted by hand on the 2026 calendar (holidays 10/1–10/7, make-up working day 10/10);
the clock starts Monday 2026-09-28 09:00."""

from __future__ import annotations

from datetime import date, datetime

from docx import Document
from sqlalchemy import select, update

from engine import clock, scheduler
from engine.models import Case, User
from engine.service import (
    Applicant,
    decide_extension,
    request_correction,
    request_extension,
    start_case,
    suspend,
)
from forms import documents
from forms.intake import handle_instant
from forms.models import CaseDocument

from .conftest import As
from .helpers import do, get_case, info_request

PENALTY, FOOD, SHOP, INFO = "025309300005", "015309300002", "075309300001", "205309300006"
PARTY = Applicant(name="阳光县好味道餐饮有限公司", type="2", cert_type="001", cert_number="92530930MA6N8X0Q3X",
                  address="阳光县城关镇阳光大道18号")


def at(moment: str):
    clock.travel(datetime.fromisoformat(moment).replace(tzinfo=clock.LOCAL_TZ))


def text_of(path: str) -> str:
    doc = Document(path)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def docs(database, case_id: int, kind: str) -> list[CaseDocument]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id, CaseDocument.kind == kind)
                              .order_by(CaseDocument.id)))


def only(database, case_id: int, kind: str) -> str:
    found = docs(database, case_id, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return text_of(found[0].stored_path)


def user_id(database, staff_no: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.staff_no == staff_no)).one()


def test_penalty_documents_carry_what_arts_44_59_64_require(run, database, frozen_clock):
    """行政处罚法 第四十四条 (告知), 第六十四条 (听证通知), 第五十九条 (决定书的内容)."""
    case = run(start_case, PENALTY, PARTY, As("sc006"), subject=f"对{PARTY.name}涉嫌经营超过保质期的食品立案调查",
               data={"party_name": PARTY.name, "case_source": "监督检查",
                     "facts": "2026年9月25日，当事人在经营场所销售超过保质期的袋装酸奶12袋，货值金额96元"})
    do(run, database, case.id, As("sc006"), "file")
    do(run, database, case.id, As("sc003"), "investigate", data={"evidence": "现场检查笔录、询问笔录、现场照片6张"})
    do(run, database, case.id, As("sc007"), "legal_review", data={"legal_opinion": "事实清楚，证据确凿。"})
    do(run, database, case.id, As("sc003"), "notify", data={
        "violated_provision": "《中华人民共和国食品安全法》第三十四条第十项",
        "penalty_basis": "《中华人民共和国食品安全法》第一百二十四条第一款第五项",
        "intended_penalty": "没收超过保质期的食品，并处罚款人民币50,000.00元"})
    notice = only(database, case.id, "penalty_notice")
    assert "行政处罚事先告知书" in notice and "阳光县市场监督管理局" in notice
    assert "销售超过保质期的袋装酸奶12袋" in notice and "现场检查笔录" in notice
    assert "第一百二十四条第一款第五项" in notice and "罚款人民币50,000.00元" in notice
    assert "陈述和申辩" in notice and "要求举行听证" in notice and "五个工作日" in notice
    assert "2026年10月10日" in notice  # 5 working days from 9/28: 9/29, 9/30, 10/8, 10/9, 10/10 (调休)
    assert "第八十五条" in notice and "第六十二条" in notice

    at("2026-09-29T10:00")
    do(run, database, case.id, As("sc003"), "statement",
       data={"hearing_requested": True, "statement_received_on": "2026-09-29"})
    do(run, database, case.id, As("sc003"), "hearing_notice", data={
        "hearing_date": "2026-10-14", "hearing_place": "阳光县市场监督管理局三楼听证室", "hearing_officer": "法制股 李明"})
    hearing = only(database, case.id, "hearing_notice")
    assert "听证通知书" in hearing and "2026年10月14日" in hearing and "三楼听证室" in hearing
    assert "法制股 李明" in hearing and "七个工作日前" in hearing and "申请回避" in hearing
    assert "委托一至二人代理" in hearing and "第六十四条" in hearing

    at("2026-10-14T09:00")
    do(run, database, case.id, As("sc004"), "hearing", data={"hearing_record": "当事人到场申辩。"})
    at("2026-10-14T15:00")
    do(run, database, case.id, As("sc006"), "decide", data={
        "penalty_kind": ["罚款", "没收违法所得"], "severity": "轻微", "fine_amount": 52000, "confiscated_amount": 96,
        "defence_review": "当事人系初次违法且主动下架，申辩理由部分成立，在裁量基准内从轻处罚。"})
    decision = only(database, case.id, "penalty_decision")
    # (一) 当事人的姓名或者名称、地址
    assert PARTY.name in decision and "阳光县城关镇阳光大道18号" in decision and PARTY.cert_number in decision
    # (二) 违反法律、法规、规章的事实和证据
    assert "销售超过保质期的袋装酸奶12袋" in decision and "现场检查笔录" in decision and "第三十四条第十项" in decision
    # (三) 行政处罚的种类和依据
    assert "罚款人民币52,000.00元" in decision and "没收违法所得人民币96.00元" in decision
    assert "第一百二十四条第一款第五项" in decision
    # (四) 行政处罚的履行方式和期限
    assert "十五日内" in decision and "电子支付系统" in decision
    # (五) 申请行政复议、提起行政诉讼的途径和期限
    assert "六十日内向阳光县人民政府申请行政复议" in decision and "六个月内" in decision and "行政诉讼" in decision
    # (六) 作出决定的行政机关名称和作出决定的日期, with the seal
    assert "阳光县市场监督管理局（印章）" in decision and "2026年10月14日" in decision
    assert "依法举行了听证" in decision and "经复核" in decision and "2026年9月28日" in decision  # told on 9/28


def test_extension_notice_on_approval_art42(run, database, frozen_clock, company):
    """行政许可法 第四十二条: extended only with the head's approval, the applicant told the reason in
    writing: 15 working days from acceptance on 9/28 end on 10/23; +10 end on 11/6."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    do(run, database, case.id, As("sc003"), "review")
    ext = run(request_extension, case.id, As("sc004"), 10, user_id(database, "sc006"), "需要对经营场所进行补充核查")
    assert docs(database, case.id, "extension_notice") == []  # nothing before the approval
    run(decide_extension, ext.id, As("sc006"), True, "同意")
    text = only(database, case.id, "extension_notice")
    assert "延期告知书" in text and company.name in text and "需要对经营场所进行补充核查" in text
    assert "10个工作日" in text and "2026年10月23日" in text and "2026年11月6日" in text
    assert "本机关负责人杨帆批准（2026年9月28日）" in text
    assert "第四十二条" in text
    assert get_case(database, case.id).deadline == date(2026, 11, 6)


def test_special_procedure_notice_on_suspend_art45(run, database, frozen_clock, company):
    """行政许可法 第四十五条: the applicant is told in writing how long the special procedure takes, and
    that its time is not counted."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    run(suspend, case.id, As("sc003"), "经营场所的排烟设施需要专家论证", 10, procedure="专家评审")
    text = only(database, case.id, "special_procedure_notice")
    assert "特别程序告知书" in text and "专家评审" in text and "排烟设施需要专家论证" in text
    assert "预计需要10个工作日" in text and "不计算在办理期限内" in text and "第四十五条" in text
    assert "2026年9月28日" in text


def test_lapse_notice_when_a_correction_is_not_answered_art30(run, database, frozen_clock, person):
    """政府信息公开条例 第三十条: a 补正 not answered within the reasonable period (15 working days here:
    from 9/28 it ends on 10/23) counts as an abandoned request; the applicant is told in writing."""
    case = info_request(run, person)
    run(request_correction, case.id, As("zf002"), ["所需政府信息的名称、文号或者便于查询的其他特征性描述"])
    at("2026-10-23T17:00")
    scheduler.run_tick(database)
    assert get_case(database, case.id).is_open and docs(database, case.id, "info_lapse_notice") == []
    at("2026-10-24T09:00")
    scheduler.run_tick(database)
    c = get_case(database, case.id)
    assert not c.is_open and c.result == "视为放弃申请"
    text = only(database, case.id, "info_lapse_notice")
    assert "视为放弃申请告知书" in text and person.name in text and "2026年9月28日" in text
    assert "2026年10月23日" in text and "文号" in text and "视为放弃申请" in text and "第三十条" in text
    assert "2026-10-23" not in text  # dates in Chinese form, as an official writes them


def test_registration_notice_not_a_licence_decision(run, database, frozen_clock, person, tmp_path):
    """个体工商户设立登记 is a registration (市场主体登记管理条例): its result is a 登记 notice."""
    data = {"operator_name": "张三", "operator_id": "11010519491231002X", "phone": "13800000000",
            "address": "阳光县城关镇", "business_scope": "小吃服务", "form_of_organisation": "个人经营",
            "capital": "50000", "employees": "2", "business_name": "张三小吃店", "license_no": "92530930MA6N8X0Q3X"}
    case = run(handle_instant, SHOP, person, As("sc001"), data, received={1, 2, 3})
    doc = run(documents.produce, get_case(database, case.id), "grant_decision", As("sc001"), tmp_path)
    text = text_of(doc.stored_path)
    assert doc.kind == "registration_notice" and doc.title == "准予个体工商户设立登记通知书"
    assert "准予个体工商户设立登记通知书" in text and "准予设立登记" in text and "营业执照" in text
    assert "行政许可" not in text and "92530930MA6N8X0Q3X" in text


def test_provisional_deadline_is_printed_with_its_reason(run, database, frozen_clock, company, tmp_path):
    """A deadline in a year without holiday data is printed as 预计 with the reason, never as 期限待定."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    reason = "2027年节假日安排尚未公布，按法定节假日推算"
    with database.transaction() as s:
        s.execute(update(Case).where(Case.id == case.id).values(deadline=date(2027, 1, 8), deadline_provisional=reason))
    doc = run(documents.produce, get_case(database, case.id), "acceptance_notice", As("sc001"), tmp_path)
    text = text_of(doc.stored_path)
    assert f"2027年1月8日（预计：{reason}）" in text and "期限待定" not in text
    with database.transaction() as s:
        s.execute(update(Case).where(Case.id == case.id).values(deadline=None, deadline_provisional=None))
    with database.transaction(write=False) as s:
        assert "期限待定" not in documents.base_context(s, s.get(Case, case.id))["deadline"]
