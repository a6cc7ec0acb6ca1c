"""The documents of 依申请公开, produced when the transition happens and read back from the .docx:
the 政府信息公开申请答复书 of every answer type (政府信息公开条例 arts. 35–39, remedies art. 51),
补正政府信息公开申请通知书 (art. 30), 延期答复告知书 (art. 33(2)), 第三方意见征询函 (art. 32), the
收费通知 (《政府信息公开信息处理费管理办法》), the 视为放弃申请告知书 (art. 30) and the 送达回证 of the answer.

Received on Monday 2026-09-28; working days after it: 09-29, 09-30, 10-08, 10-09, 10-10 (5, 10-10 a
make-up working day), 10-12 … 10-16 (10), 10-19 … 10-23 (15), 10-26 … 10-30 (20), 11-02 … 11-06,
11-09 … 11-13, 11-16 … 11-20, 11-23 … 11-27 (40)."""

from __future__ import annotations

from datetime import datetime

import pytest
from docx import Document
from sqlalchemy import select

from engine import clock, scheduler
from engine.disclosure import service as gk
from engine.disclosure.codes import ANSWER_TYPES, WITHHOLD_GROUNDS
from engine.errors import InvalidInput, InvalidState, PermissionDenied
from engine.models import Case, CaseExtension, Department, InfoRequest
from engine.service import decide_extension, request_extension
from forms import documents, online
from forms.models import CaseDocument
from forms.plugin import documents_dir

from .conftest import As

LAW = "《中华人民共和国政府信息公开条例》"
DESCRIPTION = "请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件"


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def dept(run, code: str) -> int:
    return run(lambda s: s.scalars(select(Department.id).where(Department.code == code)).one())


def file(run, **kw) -> tuple[int, str, str]:
    values = dict(name="张三", requester_kind="natural", cert_type="111", cert_number="11010519491231002X",
                  phone="13800000000", email="zhangsan@example.com", description=DESCRIPTION + "。",
                  medium="electronic", delivery="email", department_id=dept(run, "zfb"))
    values.update(kw)

    def go(s):
        r, code = gk.file_request(s, gk.Requesting(**values))
        return r.id, r.number, code
    return run(go)


def act(run, rid, fn, who, **kw):
    return run(lambda s, actor: fn(s, s.get(InfoRequest, rid), actor, **kw), As(who))


def case_id(run, rid) -> int:
    return run(lambda s: s.get(InfoRequest, rid).case_id)


def docs(run, rid, kind: str | None = None) -> list[CaseDocument]:
    def go(s):
        q = select(CaseDocument).where(CaseDocument.case_id == s.get(InfoRequest, rid).case_id)
        return list(s.scalars(q.where(CaseDocument.kind == kind) if kind else q).all())
    return run(go)


def text_of(doc: CaseDocument) -> str:
    d = Document(doc.stored_path)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def only(run, rid, kind: str) -> str:
    found = docs(run, rid, kind)
    assert len(found) == 1, f"expected one {kind}, found {[d.kind for d in docs(run, rid)]}"
    return text_of(found[0])


def issue(run, rid, kind: str, who: str) -> CaseDocument:
    """A person asks for a document on the case page."""
    return run(lambda s, a: documents.issue(s, s.get(InfoRequest, rid).case, kind, a, documents_dir(s)), As(who))


def offered(run, rid, who: str) -> list[str]:
    return run(lambda s, a: documents.offered(s, s.get(InfoRequest, rid).case, a), As(who))


def for_applicant(run, rid) -> list[str]:
    return run(lambda s: [d.kind for d in online.documents_for_applicant(s, s.get(InfoRequest, rid).case)])


def to_draft(run, rid, assign: bool) -> None:
    """审查 → (交办住建局 → 书面答复 → 保密审查) → 拟定答复书."""
    if assign:
        act(run, rid, gk.review, "zf002", route="assign", body_ids=[dept(run, "zjj")], note="请提供立项批复")
        act(run, rid, gk.body_answer, "zj002", proposed_type="partial", opinion="批复可公开，附件含商业秘密")
        act(run, rid, gk.secrecy_review, "zf003", opinion="不涉及国家秘密")
    else:
        act(run, rid, gk.review, "zf002", route="direct")


def answer(run, rid, assign: bool, ans: gk.Answer) -> None:
    """拟定 → (会签) → 审定 (the 答复书 is issued on approval)."""
    act(run, rid, gk.draft, "zf002", answer=ans)
    if assign:
        act(run, rid, gk.comment, "zj002", agrees=True)
    act(run, rid, gk.approve, "zf004", approved=True)


# each type with the fields it needs, and what its 答复书 must then say besides its label and article
ANSWERS = {
    "published": (dict(published_where="阳光县人民政府门户网站“政府信息公开专栏—规划计划”栏目，2026年8月3日发布"),
                  ["已经主动公开", "获取该政府信息的方式和途径", "门户网站“政府信息公开专栏—规划计划”栏目"]),
    "disclosed": (dict(disclosed_items="阳县发改〔2026〕12号立项批复（共3页）"),
                  ["予以公开", "阳县发改〔2026〕12号立项批复（共3页）", "电子文档", "电子邮件", "zhangsan@example.com"]),
    "partial": (dict(disclosed_items="立项批复正文", ground="third_party",
                     ground_detail="附件中的投标报价属于第三方商业秘密"),
                ["区分处理", "立项批复正文", WITHHOLD_GROUNDS["third_party"].label, "第十五条",
                 "附件中的投标报价属于第三方商业秘密", "电子文档"]),
    "withheld": (dict(ground="process", ground_detail="所申请的是项目论证过程中的讨论记录"),
                 ["不予公开", WITHHOLD_GROUNDS["process"].label, "第十六条第二款", "讨论记录"]),
    "not_exist": (dict(ground_detail="本机关未制作、未获取该项目的立项批复"),
                  ["该政府信息不存在", "未制作、未获取"]),
    "not_ours": (dict(competent_body="阳光县发展和改革局", competent_contact="0883-6120200"),
                 ["不属于本机关负责公开", "阳光县发展和改革局", "0883-6120200", "可以向该机关提出申请"]),
    "needs_making": (dict(ground_detail="需要对历年项目台账汇总统计"), ["加工、分析", "不予提供", "汇总统计"]),
    "unclear": (dict(ground_detail="补正后仍未写明项目名称或文号"), ["仍不明确", "无法提供", "项目名称或文号"]),
    "repeated": (dict(ground_detail="本机关已于2026年9月1日答复"), ["不予重复处理", "2026年9月1日答复"]),
    "special_register": (dict(ground_detail="请向阳光县不动产登记中心申请查询"),
                         ["不动产登记资料", "不动产登记中心申请查询"]),
    "complaint": (dict(ground_detail="请通过12345热线或信访渠道反映"), ["信访、投诉、举报", "12345热线"]),
    "publication": (dict(ground_detail="《阳光县人民政府公报》可在县图书馆查阅"), ["公开出版物", "县图书馆查阅"]),
    "confirm": (dict(ground_detail="所附文件为本机关此前已提供的信息"), ["确认或者重新出具", "此前已提供"]),
    "abusive": (dict(ground_detail="本月已就同一事项提出申请46件"), ["数量、频次明显超过合理范围", "46件"]),
}


def test_every_answer_type_is_listed():
    assert set(ANSWERS) == set(ANSWER_TYPES)


@pytest.mark.parametrize("answer_type", sorted(ANSWER_TYPES))
def test_reply_on_approval_says_what_the_type_requires(run, database, frozen_clock, answer_type):
    """条例 arts. 35–39: the 答复书 names the applicant, the request and its receipt, the information
    asked, the answer with its article and what that answer must carry; the fee; the remedies
    (art. 51); issued by the office with its 文号 when the head approves."""
    kind = ANSWER_TYPES[answer_type]
    fields, says = ANSWERS[answer_type]
    rid, number, code = file(run)
    if answer_type == "unclear":  # only after a 补正 that left it unclear (art. 30)
        act(run, rid, gk.request_correction, "zf002", points=["所需文件的名称或文号"], days=10)
        run(lambda s: gk.supply_correction(s, gk.find_by_code(s, number, code), "城关镇的那个项目"))
    to_draft(run, rid, kind.assign)
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type=answer_type, answer_text="经本机关检索、审查，答复如下。",
                                                      **fields))
    if kind.assign:
        act(run, rid, gk.comment, "zj002", agrees=True)
    assert docs(run, rid, "info_reply") == []  # a draft is not an answer
    act(run, rid, gk.approve, "zf004", approved=True)
    (reply,) = docs(run, rid, "info_reply")
    text = text_of(reply)
    assert reply.title == "政府信息公开申请答复书" and reply.number.startswith("阳政办公开答〔2026〕")
    assert "政府信息公开申请答复书" in text and reply.number in text and "阳光县人民政府办公室" in text
    assert "张三：" in text and number in text and "2026年9月28日" in text
    assert ("城关镇的那个项目" if answer_type == "unclear" else DESCRIPTION) in text
    assert f"{kind.label}（{kind.cite}）" in text  # the answer type and its article
    assert text.count(kind.cite) >= 2  # cited in the decision itself, not only in the summary line
    assert "经本机关检索、审查，答复如下。" in text  # the office's own text as the body
    for words in says:
        assert words in text, words
    assert "不收取信息处理费" in text
    assert "六十日内向阳光县人民政府申请行政复议" in text and "六个月内" in text and "行政诉讼" in text
    assert "第五十一条" in text
    assert "行政许可法" not in text and "{{" not in text
    assert reply.context["answer_type"] == answer_type and reply.context["answer_article"] == kind.article
    assert for_applicant(run, rid) == (["info_correction_notice"] if answer_type == "unclear" else []) + ["info_reply"]


def test_withheld_and_partial_name_the_ground_and_the_types_without_one_do_not(run, database, frozen_clock):
    rid, _, _ = file(run)
    to_draft(run, rid, True)
    answer(run, rid, True, gk.Answer(answer_type="withheld", ground="state_secret", ground_detail="经定密属于秘密级"))
    text = only(run, rid, "info_reply")
    assert f"不予公开的理由：属于国家秘密（{LAW}第十四条）" in text and "秘密级" in text
    assert "提供方式" not in text  # nothing is provided
    rid, _, _ = file(run)
    to_draft(run, rid, False)
    answer(run, rid, False, gk.Answer(answer_type="not_ours", competent_body="阳光县发展和改革局"))
    text = only(run, rid, "info_reply")
    assert "由阳光县发展和改革局负责公开，你（单位）可以向该机关提出申请" in text  # the contact only where known
    assert "联系方式：" not in text and "不予公开的理由" not in text


def test_reply_states_the_fee_its_basis_the_waiver_and_the_payment(run, database, frozen_clock):
    """《政府信息公开信息处理费管理办法》 art. 6: 40 pages → pages 31–40 at 10 元 = 100 元; half waived. A fee
    is charged only after a 收费通知 and its payment: the 答复书 says when each happened."""
    rid, _, _ = file(run, medium="paper", delivery="post", address="阳光县城关镇阳光大道1号", postcode="678400")
    to_draft(run, rid, True)
    act(run, rid, gk.notify_fee, "zf002", pages=40, fee_waived="50", fee_basis="申请人为低保对象")
    at("2026-10-09")
    act(run, rid, gk.record_payment, "zf002")
    answer(run, rid, True, gk.Answer(answer_type="disclosed", disclosed_items="立项批复及附件（共40页）", pages=40))
    text = only(run, rid, "info_reply")
    assert "信息处理费100.00元" in text and "按量计收 100 元" in text and "减免 50 元：申请人为低保对象" in text
    assert "实际应缴纳50.00元" in text and "不收取信息处理费" not in text
    assert "本机关已于2026年9月28日向你（单位）出具收费通知，你（单位）已于2026年10月9日缴纳。" in text
    assert "以纸质形式，通过邮寄提供（阳光县城关镇阳光大道1号）" in text
    assert for_applicant(run, rid) == ["info_fee_notice", "info_reply"]


def test_fee_notice_says_amount_waiver_basis_and_pay_by_date(run, database, frozen_clock):
    """收费通知 (《政府信息公开信息处理费管理办法》): 40 pages → 100 元, 20 waived, 80 to pay within 20
    working days of the notice (09-28 → 10-30, the National Day week not counted); the time until
    payment is not counted in the answer period; no payment is 视为放弃申请. The applicant receives it."""
    rid, number, _ = file(run)
    to_draft(run, rid, True)
    with pytest.raises(PermissionDenied):
        act(run, rid, gk.notify_fee, "zj002", pages=40)  # the disclosure office notifies, not the body asked
    act(run, rid, gk.notify_fee, "zf002", pages=40, fee_waived="20", fee_basis="申请人为低保户，申请减免")
    (notice,) = docs(run, rid, "info_fee_notice")
    text = text_of(notice)
    assert notice.title == "政府信息公开信息处理费收费通知" and notice.number.startswith("阳政办公开费〔2026〕")
    assert notice.number in text and "阳光县人民政府办公室" in text and "张三：" in text
    assert f"申请编号：{number}" in text and DESCRIPTION in text and "2026年9月28日" in text
    assert "《政府信息公开信息处理费管理办法》" in text
    assert "应收取信息处理费100.00元，经审核减免20.00元，你（单位）应缴纳80.00元" in text
    assert "计费依据：提供 40 页，按量计收 100 元；减免 20 元：申请人为低保户，申请减免。" in text
    assert "20个工作日内，即2026年10月30日（含当日）前缴纳" in text
    assert "不计算在" in text and "答复期限内" in text
    assert "逾期未缴纳的，视为放弃申请" in text and "联系机构：" in text
    assert "{{" not in text and "行政许可法" not in text
    assert for_applicant(run, rid) == ["info_fee_notice"]
    with pytest.raises(InvalidState, match="不能出具收费通知"):
        act(run, rid, gk.notify_fee, "zf002", pages=50)  # one notice: no second one while it waits
    act(run, rid, gk.record_payment, "zf002")
    with pytest.raises(InvalidState, match="已经出具过收费通知"):
        act(run, rid, gk.notify_fee, "zf002", pages=50)  # nor after it was paid
    assert len(docs(run, rid, "info_fee_notice")) == 1


def test_fee_notice_without_a_waiver_does_not_mention_one(run, database, frozen_clock):
    rid, _, _ = file(run)
    to_draft(run, rid, False)
    act(run, rid, gk.notify_fee, "zf002", pages=35)  # pages 31–35 at 10 元
    text = only(run, rid, "info_fee_notice")
    assert "应收取信息处理费50.00元，你（单位）应缴纳50.00元" in text and "减免" not in text.split("计费依据")[0]


def test_returned_draft_gets_no_reply_and_the_approved_one_exactly_one(run, database, frozen_clock):
    rid, _, _ = file(run)
    to_draft(run, rid, False)
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="repeated", ground_detail="已于9月1日答复"))
    act(run, rid, gk.approve, "zf004", approved=False, reason="请写明此前答复的文号")
    assert docs(run, rid, "info_reply") == []
    answer(run, rid, False, gk.Answer(answer_type="repeated", ground_detail="已于9月1日以阳政办公开答〔2026〕3号答复"))
    assert "阳政办公开答〔2026〕3号" in only(run, rid, "info_reply")


def test_correction_notice_under_article_30_not_the_licensing_law(run, database, frozen_clock):
    """条例 第三十条: what to make clear, a reasonable period (10 working days from 09-29: to 10-19),
    the answer period restarting at the corrected request, 视为放弃申请 when unanswered."""
    rid, number, code = file(run)
    at("2026-09-29")
    act(run, rid, gk.request_correction, "zf002", points=["所需文件的名称或文号", "项目所在的镇（街道）"], days=10)
    assert docs(run, rid, "correction_notice") == []
    (notice,) = docs(run, rid, "info_correction_notice")
    text = text_of(notice)
    assert notice.title == "补正政府信息公开申请通知书" and notice.number.startswith("阳政办公开补〔2026〕")
    assert "张三：" in text and number in text and "2026年9月28日" in text and DESCRIPTION in text
    assert "1. 所需文件的名称或文号" in text and "2. 项目所在的镇（街道）" in text
    assert f"{LAW}第三十条" in text and "10个工作日" in text and "2026年10月19日" in text
    assert "答复期限自本机关收到补正的申请之日起计算" in text and "视为放弃申请" in text
    assert "查询码" in text and "政府信息公开" in text
    assert "行政许可法" not in text and "补正材料告知书" not in text
    assert for_applicant(run, rid) == ["info_correction_notice"]
    # the applicant corrects online with the 申请编号 and 查询码: the period restarts, no further notice
    at("2026-10-09")
    run(lambda s: gk.supply_correction(s, gk.find_by_code(s, number, code), "阳县发改〔2026〕12号 立项批复"))
    assert [d.kind for d in docs(run, rid)] == ["info_correction_notice"]


def test_unanswered_correction_lapses_with_a_notice_citing_article_30(run, database, frozen_clock):
    rid, _, _ = file(run)
    act(run, rid, gk.request_correction, "zf002", points=["所需文件的名称或文号"], days=10)  # ends 10-16
    at("2026-10-16", 17)
    scheduler.run_tick(database)
    assert docs(run, rid, "lapse_notice") == []
    at("2026-10-19", 9)
    scheduler.run_tick(database)
    assert run(lambda s: s.get(InfoRequest, rid).case.result) == "视为放弃申请"
    assert docs(run, rid, "lapse_notice") == []  # the 条例's own notice, not the licensing one
    (notice,) = docs(run, rid, "info_lapse_notice")
    text = text_of(notice)
    request_number, case_number = run(lambda s: (s.get(InfoRequest, rid).number, s.get(InfoRequest, rid).case.number))
    assert notice.title == "视为放弃申请告知书" and notice.number.startswith("阳政办公开弃〔2026〕")
    assert "视为放弃申请告知书" in text and notice.number in text and "张三：" in text
    assert f"申请编号：{request_number}" in text and case_number not in text and DESCRIPTION in text
    assert "2026年9月28日" in text and "2026年10月16日" in text and "1. 所需文件的名称或文号" in text
    assert f"根据{LAW}第三十条的规定，视为放弃申请" in text
    assert text.count("未补正") == 1  # the fact is said once
    assert "如不服" not in text and "决定" not in text  # a notice, not a decision
    assert "可以重新提出政府信息公开申请" in text
    assert "投诉、举报" in text and "行政复议" in text and "行政诉讼" in text and f"{LAW}第五十一条" in text
    assert "联系机构：" in text and "联系电话：" in text
    assert "行政许可法" not in text and "{{" not in text and "申请申请" not in text
    assert for_applicant(run, rid) == ["info_correction_notice", "info_lapse_notice"]


def test_extension_notice_cites_article_33_and_the_new_date(run, database, frozen_clock):
    """条例 第三十三条第二款: with the disclosure office head's consent, at most 20 working days: the
    period ending 10-30 then ends 11-27."""
    rid, number, _ = file(run)
    cid = case_id(run, rid)
    zf004 = run(lambda s, u: u.id, As("zf004"))
    with pytest.raises(InvalidInput, match="20"):
        run(request_extension, cid, As("zf002"), 21, zf004, "涉及多个单位，需协调")
    ext = run(request_extension, cid, As("zf002"), 20, zf004, "所需信息涉及两个承办单位，需要协调核实")
    assert docs(run, rid) == []  # nothing moves before the head consents
    run(decide_extension, ext.id, As("zf004"), True)
    assert run(lambda s: s.get(CaseExtension, ext.id).deadline_after).isoformat() == "2026-11-27"
    assert docs(run, rid, "extension_notice") == []
    (notice,) = docs(run, rid, "info_extension_notice")
    text = text_of(notice)
    assert notice.title == "延期答复告知书" and notice.number.startswith("阳政办公开延〔2026〕")
    assert f"{LAW}第三十三条第二款" in text and "政府信息公开工作机构负责人谢东于2026年9月28日同意" in text
    assert "2026年10月30日" in text and "延长后的答复期限至2026年11月27日届满" in text
    assert "延长20个工作日" in text and "最长不超过20个工作日" in text and number in text
    assert "所需信息涉及两个承办单位" in text and "自本机关收到申请之日（2026年9月28日）起计算" in text
    assert "行政许可法" not in text
    assert for_applicant(run, rid) == ["info_extension_notice"]


def test_consultation_letter_gives_the_third_party_15_working_days(run, database, frozen_clock):
    """条例 第三十二条: asked in writing, 15 working days (from 09-28: to 10-23), no answer → the office
    decides by law; the time is not counted (第三十三条第三款). The applicant is not named to the
    third party, and the letter is not among the applicant's documents."""
    rid, number, _ = file(run)
    to_draft(run, rid, True)
    act(run, rid, gk.consult, "zf002", party="阳光县某建设有限公司", matter="附件中的投标报价是否同意公开",
        contact="0883-6129999")
    (letter,) = docs(run, rid, "info_consultation_letter")
    text = text_of(letter)
    assert letter.title == "第三方意见征询函" and letter.number.startswith("阳政办公开征〔2026〕")
    assert "阳光县某建设有限公司：" in text and "附件中的投标报价是否同意公开" in text and number in text
    assert f"{LAW}第三十二条" in text and "15个工作日" in text and "2026年10月23日" in text
    assert "逾期未提出意见的，由本机关依照" in text and "不计算在答复期限内" in text
    assert "张三" not in text
    assert for_applicant(run, rid) == []
    at("2026-10-12")
    act(run, rid, gk.record_reply, "zf002", outcome="objected", reply="报价属于商业秘密")
    answer(run, rid, True, gk.Answer(answer_type="partial", disclosed_items="立项批复正文", ground="third_party",
                                     ground_detail="投标报价属于第三方商业秘密，第三方不同意公开"))
    text = only(run, rid, "info_reply")
    assert "书面征求了第三方的意见（不同意公开）" in text and "阳光县某建设有限公司" not in text


def test_delivery_receipt_when_the_answer_is_delivered(run, database, frozen_clock):
    """送达 (seed 001 规程 art. 13): the 送达回证 lists every document delivered to the applicant and
    the information provided, the way and the place of delivery; it stays in the office's file."""
    rid, number, code = file(run)
    at("2026-09-29")
    act(run, rid, gk.request_correction, "zf002", points=["所需文件的名称或文号"], days=10)
    at("2026-10-09")
    run(lambda s: gk.supply_correction(s, gk.find_by_code(s, number, code), "阳县发改〔2026〕12号 立项批复"))
    to_draft(run, rid, True)
    act(run, rid, gk.consult, "zf002", party="阳光县某建设有限公司", matter="附件中的投标报价是否同意公开")
    at("2026-10-12")
    act(run, rid, gk.record_reply, "zf002", outcome="agreed", reply="同意公开")
    answer(run, rid, True, gk.Answer(answer_type="disclosed", disclosed_items="立项批复及附件"))
    reply = only(run, rid, "info_reply")
    assert "于2026年10月9日补正了申请内容" in reply and "阳县发改〔2026〕12号 立项批复" in reply
    assert docs(run, rid, "delivery_receipt") == []
    with pytest.raises(InvalidState, match="送达回证在登记送达时生成"):
        issue(run, rid, "delivery_receipt", "zf001")  # not on request before the delivery
    at("2026-10-13", 15)
    act(run, rid, gk.deliver, "zf001", method="email")
    receipt = only(run, rid, "delivery_receipt")
    numbers = {d.kind: d.number for d in docs(run, rid)}
    assert f"政府信息公开申请答复书 {numbers['info_reply']}；补正政府信息公开申请通知书 " \
           f"{numbers['info_correction_notice']}" in receipt  # the answer first, then what came before it
    assert "第三方意见征询函" not in receipt  # delivered to the third party, not to the applicant
    assert "受理通知书" not in receipt  # a request is not "accepted" as a licence application is
    assert "所提供的政府信息：立项批复及附件" in receipt
    assert "送达方式\n电子邮件" in receipt and "送达地点\nzhangsan@example.com" in receipt
    assert "送达日期\n2026年10月13日" in receipt  # the day of the delivery, whenever it is printed
    assert "罗敏" in receipt and "张三" in receipt
    assert for_applicant(run, rid) == ["info_correction_notice", "info_reply"]
    assert run(lambda s: s.get(InfoRequest, rid).case.state) == "finished"
    for who in ("zf001", "zf004"):  # nor after it: one receipt, one 文号
        with pytest.raises(InvalidState, match="送达回证在登记送达时生成"):
            issue(run, rid, "delivery_receipt", who)
        assert "delivery_receipt" not in offered(run, rid, who)
    assert len(docs(run, rid, "delivery_receipt")) == 1


def test_delivery_receipt_follows_the_way_it_was_delivered(run, database, frozen_clock):
    """Asked by e-mail but collected at the office: the receipt says 自行领取 at the office, not the
    e-mail address; and it lists the 答复书 and the 收费通知 sent before it."""
    rid, _, _ = file(run)
    to_draft(run, rid, True)
    assert "delivery_receipt" not in offered(run, rid, "zf002")
    act(run, rid, gk.notify_fee, "zf002", pages=40)
    at("2026-10-12")
    act(run, rid, gk.record_payment, "zf002")
    answer(run, rid, True, gk.Answer(answer_type="disclosed", disclosed_items="立项批复及附件（共40页）"))
    at("2026-10-14")
    act(run, rid, gk.deliver, "zf001", method="pickup", note="申请人到窗口领取")
    receipt = only(run, rid, "delivery_receipt")
    numbers = {d.kind: d.number for d in docs(run, rid)}
    assert f"政府信息公开申请答复书 {numbers['info_reply']}" in receipt
    assert f"政府信息公开信息处理费收费通知 {numbers['info_fee_notice']}" in receipt
    assert "送达方式\n自行领取" in receipt and "送达地点\n阳光县人民政府办公室" in receipt
    assert "zhangsan@example.com" not in receipt and "直接送达" not in receipt
    assert "送达日期\n2026年10月14日" in receipt


def test_licence_documents_are_refused_for_a_request(run, database, frozen_clock, tmp_path):
    """A request is answered by its 答复书: no 受理通知书 or 准予/不予许可决定书, and no 答复书 before
    the head approves one."""
    rid, _, _ = file(run)
    cid = case_id(run, rid)
    to_draft(run, rid, False)

    def ask(kind, who):
        return run(lambda s, a: documents.issue(s, s.get(Case, cid), kind, a, documents_dir(s)), As(who))
    with pytest.raises(InvalidState, match="答复书"):
        ask("acceptance_notice", "zf002")
    with pytest.raises(PermissionDenied):
        ask("info_reply", "zf002")  # the 答复书 is the approver's, and only once approved
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="complaint", ground_detail="请拨打12345"))
    with pytest.raises(InvalidState, match="尚未审定"):
        ask("info_reply", "zf004")
    act(run, rid, gk.approve, "zf004", approved=True)
    first = docs(run, rid, "info_reply")[0].number
    assert ask("info_reply", "zf004").number == first  # one answer, one 文号
    with pytest.raises(InvalidState, match="不出具准予行政许可决定书"):
        ask("grant_decision", "zf004")
