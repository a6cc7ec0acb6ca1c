"""政府信息公开 on the workbench, page by page as the offices work it: a request registered at the
counter of the 县政府办公室 and driven through every step by the people the 条例 and seed 001's 规程
name (审查交办 → 承办单位书面答复 → 保密审查 → 征求第三方意见 → 拟定答复书 → 会签 → 审定 → 送达); anybody
else refused with nothing changed; bad input answered beside its field in Chinese; 延期 and 撤回; a
publication drafted with an attachment, reviewed, published, changed (a new version) and withdrawn;
who keeps a body's 指南, its 复议/诉讼 entries and its report texts.

The clock: Monday 2026-09-28 09:00 (国庆 10-01…10-07, 10-10 a make-up working day)."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from io import BytesIO

import pytest
from sqlalchemy import delete, func, select

from engine import clock
from engine.models import (
    CaseEvent,
    CaseExtension,
    Department,
    InfoAppeal,
    InfoEntry,
    InfoGuide,
    InfoReportText,
    InfoRequest,
)

from .webhelpers import _csrf, login
from .words import latin_words, report

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Staff:
    """A logged-in test client that sends the CSRF token with every form."""

    def __init__(self, app, staff_no: str):
        self.staff_no = staff_no
        self.client = app.test_client()
        assert login(self.client, staff_no).status_code == 302, staff_no
        self.token = _csrf(self.client.get("/workbench/gk/requests").get_data(as_text=True))

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, follow=False, data=None, **fields):
        payload = {"csrf_token": self.token, **(data or {}), **fields}
        return self.client.post(url, data=payload, follow_redirects=follow)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def shown(html: str) -> str:
    main = html.split("<main>", 1)[1]
    main = re.sub(r"<(script|style|template)\b.*?</\1>", " ", main, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", main))


def no_latin(pages: dict[str, str], allow=()) -> None:
    found = {name: latin_words(shown(page), allow) for name, page in pages.items()}
    assert not any(found.values()), report(found)


def by_id(html: str, element_id: str) -> str:
    m = re.search(rf'<(\w+)[^>]*\sid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert m, f"no #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(2))).strip()


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def dept(database, code: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(Department.id).where(Department.code == code)).one()


def state_of(database, request_id: int) -> tuple:
    """What a refused command must leave as it was: the case's version and log, the request's answer."""
    with database.transaction(write=False) as s:
        r = s.get(InfoRequest, request_id)
        events = s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == r.case_id))
        return r.case.version, events, r.case.state, r.case.pause_kind, r.answer_type, len(r.assignments)


COUNTER = {"channel": "counter", "received_on": "", "requester_kind": "natural", "name": "张三", "cert_type": "111",
           "cert_number": "11010519491231002X", "phone": "13800000000", "email": "zhangsan@example.com",
           "address": "阳光县城关镇团结路 8 号", "postcode": "678400",
           "description": "请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件。", "purpose": "",
           "medium": "paper", "delivery": "pickup"}


def register(app, **changes) -> tuple[int, str, str]:
    """罗敏 (政府办 window) registers a request handed in at the counter; the 查询码 is shown once."""
    zf001 = Staff(app, "zf001")
    done = zf001.post("/workbench/gk/requests/new", data={**COUNTER, **changes})
    assert done.status_code == 302, text(done)
    page = text(zf001.get(done.headers["Location"]))
    number, code = by_id(page, "request-number"), by_id(page, "query-code")
    again = text(zf001.get(done.headers["Location"]))
    assert 'id="query-code"' not in again and "不能再次查看" in again  # shown once
    request_id = int(re.search(r'href="/workbench/gk/requests/(\d+)"', page).group(1))
    return request_id, number, code


# --- a request, every step through the pages ---------------------------------------------------------

def test_a_counter_request_through_every_step_by_the_right_people(app, database, frozen_clock):
    zf001 = Staff(app, "zf001")
    form = text(zf001.get("/workbench/gk/requests/new"))
    assert "阳光县人民政府办公室" in by_id(form, "request-body")
    # a registration with what the 条例 requires missing is refused field by field, what was typed kept
    refused = zf001.post("/workbench/gk/requests/new", data={**COUNTER, "description": " ", "email": "不是邮箱",
                                                             "channel": "web", "received_on": "2026-08-01"})
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "new-description-error") == "所需政府信息的内容描述不能为空。"
    assert by_id(page, "new-email-error").startswith("电子邮箱格式不正确")
    assert by_id(page, "new-channel-error") == "请选择申请方式。"
    assert "不能早于 30 天前" in by_id(page, "new-received_on-error")
    assert 'value="张三"' in page and 'href="#new-description"' in page
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(InfoRequest)) == 0

    request_id, number, code = register(app)
    assert number.startswith("GK530930") and len(code) >= 8
    url = f"/workbench/gk/requests/{request_id}"

    zf002 = Staff(app, "zf002")
    listing = text(zf002.get("/workbench/gk/requests"))
    assert by_id(listing, f"request-{request_id}").startswith(number) and "待我办理：审查并交办" in listing
    assert "2026-10-30" in by_id(listing, f"request-{request_id}")  # 20 working days from receipt (art. 33)
    assert number in text(zf002.get("/workbench/gk/requests?state=todo"))
    assert number not in text(zf002.get("/workbench/gk/requests?state=answered"))
    page = text(zf002.get(url))
    assert by_id(page, "applicant-phone") == "13800000000"  # staff see the applicant in full
    assert 'id="review-form"' in page and 'id="correction-form"' in page
    assert "20 个工作日" in by_id(page, "deadline-explained") and "2026-10-30" in by_id(page, "deadline-explained")
    # 交办 without a body or a note is refused beside the fields
    refused = zf002.post(f"{url}/review", route="assign", note="")
    assert refused.status_code == 422
    assert by_id(text(refused), "review-body_ids-error") == "请至少选择一个掌握该信息的承办单位。"
    assert by_id(text(refused), "review-note-error") == "交办说明（处理单）不能为空。"
    zjj, zrzyj = dept(database, "zjj"), dept(database, "zrzyj")
    assert zf002.post(f"{url}/review", data={"route": "assign", "body_ids": [str(zjj), str(zrzyj)],
                                             "note": "请提供立项批复及附件，5 个工作日内书面答复"}).status_code == 302

    # each body answers for itself; the office cannot answer for them
    zj002, zr002 = Staff(app, "zj002"), Staff(app, "zr002")
    assert "待我办理：承办部门书面答复" in text(zj002.get("/workbench/gk/requests"))
    page = text(zj002.get(url))
    assert 'id="body-answer-form"' in page and "请提供立项批复及附件" in by_id(page, "assignment-note")
    before = state_of(database, request_id)
    refused = zf002.post(f"{url}/body-answer", proposed_type="disclosed", opinion="x")
    assert refused.status_code == 403 and "此申请当前没有您可以办理的环节" in text(refused)
    assert state_of(database, request_id) == before
    refused = zj002.post(f"{url}/body-answer", proposed_type="", opinion="")
    assert refused.status_code == 422 and by_id(text(refused), "body_answer-proposed_type-error") == "请选择答复意见的类型。"
    assert zj002.post(f"{url}/body-answer", proposed_type="partial",
                      opinion="批复可公开，附件含企业投标报价，属商业秘密").status_code == 302
    assert zr002.post(f"{url}/body-answer", proposed_type="disclosed", opinion="用地预审意见可以公开").status_code == 302

    # 保密审查 by the office's reviewer, not its handler
    zf003 = Staff(app, "zf003")
    assert zf002.post(f"{url}/secrecy", opinion="不涉密").status_code == 403
    assert 'id="secrecy-form"' in text(zf003.get(url))
    assert zf003.post(f"{url}/secrecy", opinion="经审查，不涉及国家秘密").status_code == 302

    # 征求第三方意见 (art. 32): the period pauses; the reply restarts it
    page = text(zf002.get(url))
    assert 'id="draft-form"' in page and 'id="consult-form"' in page
    refused = zf002.post(f"{url}/consult", party="", matter="")
    assert refused.status_code == 422 and by_id(text(refused), "consult-party-error") == "第三方名称不能为空。"
    at("2026-10-08")
    done = zf002.post(f"{url}/consult", party="阳光县某建设公司", contact="0883-6123456",
                      matter="附件中的投标报价是否同意公开", follow=True)
    assert "2026-10-28 前答复" in text(done)  # 15 working days (10-10 a make-up working day)
    page = text(zf002.get(url))
    assert "征求第三方意见中" in by_id(page, "request-stage") and 'id="reply-form"' in page
    assert 'id="draft-form"' not in page and "阳光县某建设公司" in by_id(page, "consultations")
    refused = zf002.post(f"{url}/reply", outcome="no_reply")
    assert refused.status_code == 409 and "届满前不能按逾期未提出意见处理" in text(refused)
    at("2026-10-13")
    assert zf002.post(f"{url}/reply", outcome="objected", reply="报价属于商业秘密，不同意公开").status_code == 302
    page = text(zf002.get(url))
    assert "2026-11-05" in by_id(page, "request-deadline")  # 10-09, 10-10 (make-up), 10-12, 10-13 not counted
    assert "征求第三方意见" in by_id(page, "deadline-explained")

    # 拟定答复书: 部分公开 needs its ground; the fee the rules allow is computed and shown
    refused = zf002.post(f"{url}/draft", answer_type="partial", disclosed_items="立项批复文件", ground="",
                         ground_detail="", pages="12")
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "draft-ground-error") == "请选择不予公开的法定理由。"
    assert by_id(page, "draft-ground_detail-error") == "理由说明不能为空。"
    assert "立项批复文件</textarea>" in page
    # a fee above zero is charged only after a 收费通知 and the payment (《政府信息公开信息处理费管理办法》)
    refused = zf002.post(f"{url}/draft", answer_type="partial", disclosed_items="立项批复文件", ground="third_party",
                         ground_detail="附件中的投标报价属于第三方商业秘密", pages="45")
    assert refused.status_code == 422 and "请先出具收费通知" in by_id(text(refused), "draft-pages-error")
    noticed = zf002.post(f"{url}/fee-notice", follow=True, pages="45", fee_waived="50", fee_basis="申请人为城乡低保对象")
    assert "应缴纳 100" in text(noticed) and "不计入答复期限" in text(noticed)
    assert "fee-open" in text(zf002.get(url))
    assert zf002.post(f"{url}/fee-paid", note="票据号 0012345").status_code == 302
    done = zf002.post(f"{url}/draft", follow=True, answer_type="partial", disclosed_items="立项批复文件",
                      ground="third_party", ground_detail="附件中的投标报价属于第三方商业秘密，第三方不同意公开",
                      answer_text="现将立项批复文件提供给你。", published_where="不应被保存")
    assert "部分公开" in text(done) and "第十五条" in text(done)
    with database.transaction(write=False) as s:
        r = s.get(InfoRequest, request_id)
        assert (r.answer_type, r.ground, r.published_where) == ("partial", "third_party", None)
        assert (r.fee, r.fee_waived) == (150, 50)  # pages 31–45 at 10 元 (国办函〔2020〕109号 art. 6)

    # 会签: each body within 2 working days; a disagreement says why
    page = text(zj002.get(url))
    assert 'id="comment-form"' in page and "部分公开" in by_id(page, "comment-type")
    fee = by_id(page, "comment-fee")
    assert "应收 150" in fee and "减免 50" in fee and "实收 100" in fee and "按量计收" in fee
    refused = zr002.post(f"{url}/comment", agrees="0", text="")
    assert refused.status_code == 422 and by_id(text(refused), "comment-text-error") == "会签意见不能为空。"
    assert zj002.post(f"{url}/comment", agrees="1", text="").status_code == 302
    assert zr002.post(f"{url}/comment", agrees="1", text="同意").status_code == 302

    # 审定 by the office head only
    zf004 = Staff(app, "zf004")
    assert zf002.post(f"{url}/approve", decision="approve").status_code == 403
    refused = zf004.post(f"{url}/approve", decision="refuse", reason="")
    assert refused.status_code == 422 and by_id(text(refused), "approve-reason-error") == "退回理由不能为空。"
    assert zf004.post(f"{url}/approve", decision="approve").status_code == 302

    # 送达 by the window, in the way the applicant asked
    page = text(zf001.get(url))
    assert 'id="deliver-form"' in page and '<option value="pickup" selected>' in page
    assert zf003.post(f"{url}/deliver", method="pickup").status_code == 403
    assert zf001.post(f"{url}/deliver", method="pickup", note="申请人当场签收送达回证").status_code == 302

    with database.transaction(write=False) as s:
        r = s.get(InfoRequest, request_id)
        assert r.case.state == "finished" and r.delivered_by == "自行领取" and r.answered_at is not None
        assert [(a.department.code, a.proposed_type, a.agrees) for a in r.assignments] == [
            ("zjj", "partial", True), ("zrzyj", "disclosed", True)]
    page = text(zf002.get(url))
    assert by_id(page, "request-stage") == "已答复" and "答复并送达" in by_id(page, "closed-note")
    assert "商业秘密" in by_id(page, "bodies") and "同意" in by_id(page, "bodies")
    assert "梁宇" in by_id(page, "timeline") and "保密审查" in by_id(page, "opinions")
    listing = text(zf002.get("/workbench/gk/requests?state=answered&answer=partial"))
    assert number in listing
    no_latin({"page": page, "list": listing, "body": text(zj002.get(url))}, allow=["zhangsan@example.com"])
    # a body it was handed to reads it too; a body it was not is refused, and does not list it
    assert zr002.get(url).status_code == 200
    jw001 = Staff(app, "jw001")  # 纪委监委 reads every request and works none of its steps
    assert number in text(jw001.get("/workbench/gk/requests"))
    page = text(jw001.get(url))
    assert "部分公开" in by_id(page, "request-answer") and '<form method="post" action="/workbench/gk' not in page
    assert 'href="/workbench/gk/requests"' in page and 'href="/workbench/gk/publications"' in page  # the nav
    ws002 = Staff(app, "ws002")
    refused = ws002.get(url)
    assert refused.status_code == 403 and "不在本单位办理范围内" in text(refused)
    assert number not in text(ws002.get("/workbench/gk/requests"))


# --- who may not: refused, nothing changed ----------------------------------------------------------

ACTIONS = {
    "review": {"route": "direct"}, "correction": {"points": "请写明文号", "days": "10"},
    "supply": {"description": "补正后的内容"}, "body-answer": {"proposed_type": "disclosed", "opinion": "x"},
    "secrecy": {"opinion": "x"}, "consult": {"party": "某公司", "matter": "x"}, "reply": {"outcome": "agreed", "reply": "x"},
    "draft": {"answer_type": "not_ours", "competent_body": "阳光县发展和改革局"}, "comment": {"agrees": "1"},
    "approve": {"decision": "approve"}, "deliver": {"method": "pickup"}, "withdraw": {"reason": "申请人撤回"},
    "extend": {"days": "20", "approver": "1", "reason": "需要检索档案"},
}


def test_other_bodies_and_other_posts_are_refused_and_nothing_changes(app, database, frozen_clock):
    request_id, number, _ = register(app)
    url = f"/workbench/gk/requests/{request_id}"
    before = state_of(database, request_id)
    ws002 = Staff(app, "ws002")  # 卫健局: not the body asked, not handed the request
    for action, data in ACTIONS.items():
        response = ws002.post(f"{url}/{action}", data=data)
        assert response.status_code == 403 and "不在本单位办理范围内" in text(response), action
    assert ws002.get(url).status_code == 403
    # the office's reviewer and window hold no step at 审查交办: every step's command is refused
    for staff_no in ("zf003", "zf001", "zf004"):
        who = Staff(app, staff_no)
        page = text(who.get(url))
        assert "您不是此环节的办理人" in by_id(page, "current-steps") and 'id="review-form"' not in page
        for action in ("review", "correction", "body-answer", "secrecy", "consult", "reply", "draft", "comment",
                       "approve", "deliver"):
            response = who.post(f"{url}/{action}", data=ACTIONS[action])
            assert response.status_code == 403, (staff_no, action, response.status_code)
            assert "此申请当前没有您可以办理的环节" in text(response), (staff_no, action)
        assert who.post(f"{url}/withdraw", reason="x").status_code == 403
    assert state_of(database, request_id) == before
    # a stale page: the step it showed has moved on
    zf002 = Staff(app, "zf002")
    zf002.post(f"{url}/review", route="direct")
    response = zf002.post(f"{url}/draft", task="1", answer_type="not_ours", competent_body="阳光县发展和改革局")
    assert response.status_code == 409 and "页面上的内容已过期" in text(response)
    assert zf002.get("/workbench/gk/requests/999999").status_code == 404
    assert zf002.post("/workbench/gk/requests/999999/review", route="direct").status_code == 404
    # registering is the window's: the handler and another body's window are refused
    assert Staff(app, "zf002").get("/workbench/gk/requests/new").status_code == 403
    response = Staff(app, "zf002").post("/workbench/gk/requests/new", data=COUNTER)
    assert response.status_code == 403 and "窗口受理人员" in text(response)
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(InfoRequest)) == 1


def test_bad_input_is_answered_beside_its_field_and_keeps_nothing(app, database, frozen_clock):
    request_id, _, _ = register(app)
    url = f"/workbench/gk/requests/{request_id}"
    zf002 = Staff(app, "zf002")
    before = state_of(database, request_id)
    cases = [
        ("correction", {"points": "", "days": "3"}, "correction-days", "补正期限应在 5 到 30 之间。"),
        ("correction", {"points": "请写明文号", "days": "十"}, "correction-days", "补正期限必须是整数。"),
        ("correction", {"points": " ", "days": "10"}, None, None),
        ("review", {"route": ""}, "review-route", "请选择交办承办单位，或直接答复。"),
        ("review", {"route": "assign", "body_ids": "999999", "note": "x"}, "review-body_ids", "请选择承办单位。"),
        ("review", {"route": "assign", "body_ids": "99999999999999", "note": "x"}, "review-body_ids", "请选择承办单位。"),
        ("extend", {"days": "２０", "approver": "3000000000", "reason": "x"}, "extend-approver",
         "批准人应在 1 到 2147483647 之间。"),
        ("extend", {"days": "21", "approver": "x", "reason": ""}, "extend-days", "延长的工作日数应在 1 到 20 之间。"),
        ("draft", {"answer_type": "not_ours"}, None, None),
    ]
    for action, data, field, message in cases:
        response = zf002.post(f"{url}/{action}", data=data)
        page = text(response)
        assert response.status_code in (403, 409, 422), (action, response.status_code)
        assert "系统内部错误" not in page and "Traceback" not in page
        if field:
            assert by_id(page, f"{field}-error") == message, (action, by_id(page, f"{field}-error"))
    assert state_of(database, request_id) == before
    assert zf002.get("/workbench/gk/requests/99999999999").status_code == 404
    assert zf002.get("/workbench/gk/requests?state=x&channel=%00&answer=1&page=-3&q=" + "名" * 80).status_code == 200
    # the window's registration with a letter received too long ago, and with a kind the form does not offer
    zf001 = Staff(app, "zf001")
    response = zf001.post("/workbench/gk/requests/new", data={**COUNTER, "channel": "mail", "received_on": "昨天",
                                                              "requester_kind": "alien", "medium": "x"})
    page = text(response)
    assert response.status_code == 422
    assert by_id(page, "new-received_on-error") == "收到申请日期格式应为 YYYY-MM-DD。"
    assert by_id(page, "new-requester_kind-error").startswith("请选择申请人类型")
    assert by_id(page, "new-medium-error").startswith("请选择获取信息的载体形式")


def test_a_letter_registered_late_counts_from_the_day_it_was_signed_for(app, database, frozen_clock):
    request_id, _, _ = register(app, channel="mail", received_on="2026-09-24")  # art. 31(二)
    page = text(Staff(app, "zf002").get(f"/workbench/gk/requests/{request_id}"))
    assert by_id(page, "received-on").startswith("2026-09-24")
    assert "2026-10-29" in by_id(page, "request-deadline")  # 20 working days from 09-24 (09-25…27 off)


def test_correction_asked_once_supplied_by_letter_restarts_the_period(app, database, frozen_clock):
    request_id, _, _ = register(app)
    url = f"/workbench/gk/requests/{request_id}"
    zf002 = Staff(app, "zf002")
    at("2026-09-29")
    assert zf002.post(f"{url}/correction", points="请写明所需文件的名称或文号\n请写明项目所在地", days="10").status_code == 302
    page = text(zf002.get(url))
    assert by_id(page, "request-stage") == "待申请人补正" and 'id="correction-open"' in page
    assert 'id="review-form"' not in page and 'id="supply-form"' in page
    assert zf002.post(f"{url}/review", route="direct").status_code == 409  # not while the applicant corrects
    refused = Staff(app, "ws002").post(f"{url}/supply", description="x")
    assert refused.status_code == 403
    at("2026-10-09")
    refused = zf002.post(f"{url}/supply", description=" ")
    assert refused.status_code == 422 and by_id(text(refused), "supply-description-error") == "补正后的内容描述不能为空。"
    assert zf002.post(f"{url}/supply", description="阳县发改〔2026〕12号 立项批复").status_code == 302
    page = text(zf002.get(url))
    assert by_id(page, "request-description") == "阳县发改〔2026〕12号 立项批复"
    assert "请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件。" in by_id(page, "corrections")
    assert "2026-11-05" in by_id(page, "request-deadline")  # 20 working days from the corrected request
    assert 'id="review-form"' in page and 'id="correction-form"' not in page  # 补正 is asked once (art. 30)
    refused = zf002.post(f"{url}/correction", points="再补一次", days="10")
    assert refused.status_code == 409 and "一次性告知" in text(refused)


def test_extension_asked_by_the_handler_approved_by_the_head_on_the_request_page(app, database, frozen_clock):
    request_id, _, _ = register(app)
    url = f"/workbench/gk/requests/{request_id}"
    zf002, zf004 = Staff(app, "zf002"), Staff(app, "zf004")
    page = text(zf002.get(url))
    assert 'id="extend-form"' in page and "谢东" in by_id(page, "extend-form")
    assert 'id="extend-form"' not in text(Staff(app, "zf003").get(url))
    refused = zf002.post(f"{url}/extend", days="20", approver="", reason="")
    assert refused.status_code == 422 and by_id(text(refused), "extend-approver-error") == "批准人必须是整数。"
    zf004_id = re.search(r'<option value="(\d+)">谢东</option>', page).group(1)
    assert zf002.post(f"{url}/extend", days="20", approver=zf004_id, reason="需要调取多个单位的档案").status_code == 302
    page = text(zf004.get(url))
    assert "需要调取多个单位的档案" in page and 'id="decide-extension-form"' in page
    extension_id = re.search(r'id="extension-(\d+)"', page).group(1)
    assert Staff(app, "zf003").post(f"{url}/extensions/{extension_id}", decision="approve").status_code == 403
    done = zf004.post(f"{url}/extensions/{extension_id}", decision="approve", follow=True)
    assert "答复期限延至 2026-11-27" in text(done)  # 20 + 20 working days from 09-28 (art. 33)
    page = text(zf002.get(url))
    assert "已延期 20 个工作日" in by_id(page, "request-deadline") and "谢东" in by_id(page, "deadline-explained")
    assert 'id="extend-form"' in page  # the form stays; the service refuses beyond the item's 20
    refused = zf002.post(f"{url}/extend", days="1", approver=zf004_id, reason="还需要时间")
    assert refused.status_code == 422 and "还可延长 0 天" in by_id(text(refused), "extend-days-error")
    # the applicant withdraws: the handler records it with the reason
    refused = zf002.post(f"{url}/withdraw", reason="")
    assert refused.status_code == 422
    assert zf002.post(f"{url}/withdraw", reason="申请人来电表示已从其他渠道获得，书面撤回").status_code == 302
    with database.transaction(write=False) as s:
        assert s.get(InfoRequest, request_id).case.state == "withdrawn"
        assert s.scalars(select(CaseExtension.state).where(CaseExtension.case_id == s.get(InfoRequest, request_id)
                                                           .case_id)).all() == ["approved"]
    page = text(zf002.get(url))
    assert by_id(page, "request-stage") == "撤回" and "申请人来电表示已从其他渠道获得" in by_id(page, "timeline")
    assert 'id="extend-form"' not in page and 'id="withdraw-form"' not in page


def test_an_answer_sent_back_comes_back_to_the_drafter_with_the_reason(app, database, frozen_clock):
    request_id, _, _ = register(app)
    url = f"/workbench/gk/requests/{request_id}"
    zf002, zf004 = Staff(app, "zf002"), Staff(app, "zf004")
    zf002.post(f"{url}/review", route="direct")
    page = text(zf002.get(url))
    assert '<option value="partial"' not in page and '<option value="not_ours"' in page  # nothing disclosed unasked
    refused = zf002.post(f"{url}/draft", answer_type="disclosed", disclosed_items="x")
    assert refused.status_code == 422 and "不能直接答复" in by_id(text(refused), "draft-answer_type-error")
    assert zf002.post(f"{url}/draft", answer_type="not_ours", competent_body="阳光县发展和改革局",
                      competent_contact="0883-6120200", answer_text="经查，该信息由县发改局制作。").status_code == 302
    assert zf004.post(f"{url}/approve", decision="refuse", reason="请写明发改局的地址").status_code == 302
    page = text(zf002.get(url))
    assert "请写明发改局的地址" in by_id(page, "sent-back")
    assert 'value="阳光县发展和改革局"' in page and "经查，该信息由县发改局制作。</textarea>" in page
    assert zf002.post(f"{url}/draft", answer_type="not_ours", competent_body="阳光县发展和改革局",
                      competent_contact="0883-6120200，阳光县城关镇人民路 3 号").status_code == 302
    assert zf004.post(f"{url}/approve", decision="approve").status_code == 302
    page = text(Staff(app, "zf001").get(url))
    assert "人民路 3 号" in by_id(page, "deliver-answer") and "不属于本机关负责公开" in by_id(page, "deliver-type")


# --- 主动公开 ------------------------------------------------------------------------------------------

DRAFT = {"title": "阳光县2026年老旧小区改造计划", "category": "03", "theme": "09", "doc_kind": "normative",
         "doc_number": "阳建发〔2026〕8号", "written_on": "2026-09-25", "body": "一、改造范围……\n二、资金安排……",
         "channels": ["website", "wechat"], "third_party": ""}


def entry_rows(database, series=None):
    with database.transaction(write=False) as s:
        query = select(InfoEntry).order_by(InfoEntry.version)
        if series:
            query = query.where(InfoEntry.series == series)
        return [(e.version, e.state, e.current, e.index_no, e.title, len(e.attachments or [])) for e in s.scalars(query)]


@pytest.fixture
def publications(database):
    yield
    with database.transaction() as s:  # clean_cases removes the entries; the search index too
        s.execute(delete(InfoEntry))


def test_a_publication_drafted_reviewed_published_changed_and_withdrawn(app, database, frozen_clock, publications):
    zj002, zj003, zj004 = Staff(app, "zj002"), Staff(app, "zj003"), Staff(app, "zj004")
    assert 'id="new-publication"' in text(zj002.get("/workbench/gk/publications"))
    assert 'id="new-publication"' not in text(zj004.get("/workbench/gk/publications"))
    assert zj004.get("/workbench/gk/publications/new").status_code == 403
    refused = zj002.post("/workbench/gk/publications/new", data={**DRAFT, "title": "", "category": "99",
                                                                 "written_on": "2026-10-30"})
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "new-title-error") == "信息标题不能为空。"
    assert by_id(page, "new-category-error") == "请选择公开类别。"
    assert by_id(page, "new-written_on-error") == "成文（或变更）日期不能晚于今天，也不能早于一年前。"
    assert "二、资金安排" in page and 'value="wechat" checked' in page
    assert entry_rows(database) == []
    done = zj002.post("/workbench/gk/publications/new", data=DRAFT, follow=True)
    assert "2026-10-22 前公开" in text(done)  # 15 working days from 09-25 (seed 001 制度 art. 12)
    entry_id = int(re.search(r'/workbench/gk/publications/(\d+)/submit', text(done)).group(1))
    url = f"/workbench/gk/publications/{entry_id}"

    # attachments on the draft: type and content checked, the name made safe
    bad = zj002.client.post(f"{url}/attachments", data={"csrf_token": zj002.token,
                                                        "file": (BytesIO(b"MZ\x90\x00"), "setup.exe")},
                            content_type="multipart/form-data")
    assert bad.status_code == 422 and "文件类型不允许" in by_id(text(bad), "attach-file-error")
    fake = zj002.client.post(f"{url}/attachments", data={"csrf_token": zj002.token,
                                                         "file": (BytesIO(b"<html>x</html>"), "a.pdf")},
                             content_type="multipart/form-data")
    assert fake.status_code == 422 and "不是 PDF" in text(fake)
    refused = zj004.client.post(f"{url}/attachments", data={"csrf_token": zj004.token,
                                                            "file": (BytesIO(PDF), "计划.pdf")},
                                content_type="multipart/form-data")
    assert refused.status_code == 403
    ok = zj002.client.post(f"{url}/attachments", data={"csrf_token": zj002.token,
                                                       "file": (BytesIO(PDF), "../改造计划<附表>.pdf")},
                           content_type="multipart/form-data")
    assert ok.status_code == 302
    page = text(zj002.get(url))
    assert "改造计划附表.pdf" in by_id(page, "attachments")
    link = re.search(r'href="(/workbench/gk/publications/\d+/attachments/[0-9a-f]{64})"', page).group(1)
    got = zj002.get(link)
    body = got.get_data()
    got.close()
    assert got.status_code == 200 and body == PDF and got.headers["X-Content-Type-Options"] == "nosniff"
    assert Staff(app, "ws002").get(link).status_code == 403
    assert Staff(app, "ws002").get(url).status_code == 403
    assert zj002.get("/workbench/gk/publications/99999999999").status_code == 404
    assert zj002.get(f"{url}/attachments/{'0' * 64}").status_code == 404

    # 拟稿 → 保密审查 → 审核发布, each by its post
    assert zj004.post(f"{url}/submit", data=DRAFT).status_code == 403
    refused = zj002.post(f"{url}/submit", data={**DRAFT, "body": ""})
    assert refused.status_code == 422 and by_id(text(refused), "draft-body-error") == "正文不能为空。"
    assert zj002.post(f"{url}/submit", data={**DRAFT, "title": "阳光县2026年城镇老旧小区改造计划"}).status_code == 302
    assert zj003.post(f"{url}/secrecy", may_publish="1", opinion="x").status_code == 403
    refused = zj004.post(f"{url}/secrecy", may_publish="", opinion="")
    assert refused.status_code == 422 and by_id(text(refused), "secrecy-may_publish-error") == "请选择保密审查结论。"
    assert zj004.post(f"{url}/secrecy", may_publish="1", opinion="不涉及国家秘密").status_code == 302
    assert zj004.post(f"{url}/decide", decision="approve").status_code == 403
    done = zj003.post(f"{url}/decide", decision="approve", follow=True)
    assert "已发布，索引号" in text(done)
    [(version, state, current, index_no, title, files)] = entry_rows(database)
    assert (version, state, current, title, files) == (1, "published", True, "阳光县2026年城镇老旧小区改造计划", 1)
    assert index_no.endswith("-03-2026-00001")
    page = text(zj002.get(url))
    assert by_id(page, "entry-index") == index_no and 'id="change-link"' in page
    assert 'id="withdraw-form"' not in page  # the head withdraws, not the handler
    assert zj002.post(f"{url}/withdraw", change_reason="x").status_code == 403
    listing = text(zj002.get("/workbench/gk/publications"))
    assert index_no in listing and "已公开" in listing

    # 变更: a new version through the flow; the column keeps the old one until it is published
    form = text(zj002.get(f"{url}/change"))
    assert "阳光县2026年城镇老旧小区改造计划" in form and "二、资金安排" in form
    refused = zj002.post(f"{url}/change", data={**DRAFT, "change_reason": ""})
    assert refused.status_code == 422 and by_id(text(refused), "change-change_reason-error") == "变更理由不能为空。"
    at("2026-10-12")
    done = zj002.post(f"{url}/change", data={**DRAFT, "written_on": "2026-10-12", "body": "一、改造范围（调整）……",
                                             "change_reason": "增加两个小区"}, follow=True)
    assert "已起草第 2 版" in text(done) and "2026-11-02 前公开" in text(done)
    new_id = int(re.search(r'/workbench/gk/publications/(\d+)/submit', text(done)).group(1))
    assert new_id != entry_id
    assert zj002.post(f"{url}/change", data={**DRAFT, "change_reason": "再变更"}).status_code == 409
    new_url = f"/workbench/gk/publications/{new_id}"
    assert "改造计划附表.pdf" in by_id(text(zj002.get(new_url)), "attachments")  # the files carry over
    zj002.post(f"{new_url}/submit", data={**DRAFT, "written_on": "2026-10-12", "body": "一、改造范围（调整）……"})
    zj004.post(f"{new_url}/secrecy", may_publish="1", opinion="不涉密")
    zj003.post(f"{new_url}/decide", decision="approve")
    rows = entry_rows(database)
    assert [(v, s, c) for v, s, c, *_ in rows] == [(1, "superseded", False), (2, "published", True)]
    assert {r[3] for r in rows} == {index_no}  # the same 索引号
    page = text(zj003.get(new_url))
    assert "第 1 版" in by_id(page, "versions") and "增加两个小区" in by_id(page, "versions")

    # 废止 of a 规范性文件 by the head, from a day not before it was made: a new version, still shown
    assert zj002.post(f"{new_url}/abolish", abolished_on="2026-10-12", change_reason="x").status_code == 403
    refused = zj003.post(f"{new_url}/abolish", abolished_on="2026-10-01", change_reason="")
    assert refused.status_code == 422
    assert by_id(text(refused), "abolish-abolished_on-error") == "废止日期不能晚于今天，也不能早于成文日期。"
    done = zj003.post(f"{new_url}/abolish", abolished_on="2026-10-12", change_reason="已被阳建发〔2026〕12号替代",
                      follow=True)
    assert "已登记废止" in text(done) and "2026-10-12 废止" in by_id(text(done), "entry-state")
    abolished_url = re.search(r'/workbench/gk/publications/\d+', done.request.path).group(0)
    # 撤回 by the head, with its reason: a new version, the earlier ones kept
    refused = zj003.post(f"{abolished_url}/withdraw", change_reason="")
    assert refused.status_code == 422 and by_id(text(refused), "withdraw-change_reason-error") == "撤回理由不能为空。"
    done = zj003.post(f"{abolished_url}/withdraw", change_reason="计划已由县政府统一发布", follow=True)
    assert "已撤回" in text(done)
    rows = entry_rows(database)
    assert [(v, s, c) for v, s, c, *_ in rows] == [(1, "superseded", False), (2, "superseded", False),
                                                   (3, "superseded", False), (4, "withdrawn", True)]
    no_latin({"entry": text(done), "list": text(zj003.get("/workbench/gk/publications"))})


def test_a_secret_draft_is_not_published_and_a_late_one_is_marked(app, database, frozen_clock, publications):
    zj002, zj004 = Staff(app, "zj002"), Staff(app, "zj004")
    zj002.post("/workbench/gk/publications/new", data={**DRAFT, "written_on": "2026-09-01"})
    [(_, state, *_)] = entry_rows(database)
    with database.transaction(write=False) as s:
        entry_id = s.scalars(select(InfoEntry.id)).one()
    url = f"/workbench/gk/publications/{entry_id}"
    page = text(zj002.get(url))
    assert "超期" in by_id(page, "entry-deadline")  # 15 working days from 09-01 ended on 09-22
    assert "超期" in text(zj002.get("/workbench/gk/publications?state=open"))
    zj002.post(f"{url}/submit", data={**DRAFT, "written_on": "2026-09-01"})
    zj004.post(f"{url}/secrecy", may_publish="0", opinion="涉及工作秘密，不予公开")
    assert [(v, s, c) for v, s, c, *_ in entry_rows(database)] == [(1, "abandoned", False)]


# --- the body's 指南, 复议/诉讼 and report texts ------------------------------------------------------------

@pytest.fixture
def office_records(database):
    """The 县政府办's 指南 and report texts as they are; put back after the test."""
    zfb = dept(database, "zfb")
    with database.transaction(write=False) as s:
        guide = s.get(InfoGuide, zfb)
        kept = {c.key: getattr(guide, c.key) for c in InfoGuide.__table__.columns} if guide else None
        texts = set(s.scalars(select(InfoReportText.year).where(InfoReportText.department_id == zfb)))
    yield zfb
    with database.transaction() as s:
        s.execute(delete(InfoGuide).where(InfoGuide.department_id == zfb))
        if kept:
            s.add(InfoGuide(**kept))
        s.execute(delete(InfoReportText).where(InfoReportText.department_id == zfb,
                                               InfoReportText.year.not_in(texts or {0})))


GUIDE = {"office": "阳光县人民政府办公室政务公开股", "address": "阳光县城关镇人民路 1 号 203 室",
         "hours": "工作日 9:00—12:00，14:30—17:30", "phone": "0883-6120100", "fax": "0883-6120101",
         "email": "gk@yangguang.gov.cn", "postcode": "678400", "text": "一、主动公开\n二、依申请公开\n三、监督和救济"}


def test_the_guide_is_kept_by_the_head_or_approve_post(app, database, frozen_clock, office_records):
    zf002, zf004 = Staff(app, "zf002"), Staff(app, "zf004")
    page = text(zf002.get("/workbench/gk/guide"))
    assert 'id="guide-form"' not in page and "负责人或审批岗位人员维护" in by_id(page, "keeper-note")
    refused = zf002.post("/workbench/gk/guide", data=GUIDE)
    assert refused.status_code == 403 and "负责人或审批岗位人员" in text(refused)
    assert Staff(app, "jw001").get("/workbench/gk/guide").status_code == 403  # 纪委监委 has no disclosure office
    refused = zf004.post("/workbench/gk/guide", data={**GUIDE, "phone": "电话", "email": "gk@", "postcode": "6784",
                                                      "office": ""})
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "guide-phone-error") == "联系电话应为号码，如 0883-6120100。"
    assert by_id(page, "guide-email-error").startswith("电子邮箱格式不正确")
    assert by_id(page, "guide-postcode-error") == "邮政编码应为 6 位数字。"
    assert by_id(page, "guide-office-error") == "政府信息公开工作机构不能为空。"
    assert "三、监督和救济" in page
    assert zf004.post("/workbench/gk/guide", data=GUIDE).status_code == 302
    with database.transaction(write=False) as s:
        guide = s.get(InfoGuide, office_records)
        assert (guide.office, guide.phone, guide.text) == (GUIDE["office"], "0883-6120100", GUIDE["text"])
    assert GUIDE["address"] in text(zf002.get("/workbench/gk/guide"))


def test_appeals_and_report_texts_are_validated_and_kept_by_the_body(app, database, frozen_clock, office_records):
    request_id, number, _ = register(app)
    zf002, zf004 = Staff(app, "zf002"), Staff(app, "zf004")
    appeal = {"kind": "review", "filed_on": "2026-09-20", "outcome": "pending", "reference": "",
              "request_number": number, "note": "申请人对答复不服"}
    refused = zf002.post("/workbench/gk/appeals", data=appeal)
    assert refused.status_code == 403
    refused = zf004.post("/workbench/gk/appeals", data={**appeal, "kind": "x", "filed_on": "2026-13-01",
                                                        "outcome": "", "request_number": "GK5309302026999999"})
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "appeal-kind-error") == "请选择类别（行政复议或行政诉讼）。"
    assert by_id(page, "appeal-filed_on-error").startswith("提起日期格式应为 YYYY-MM-DD")
    assert by_id(page, "appeal-outcome-error").startswith("请选择结果")
    assert "没有向阳光县人民政府办公室提出的" in by_id(page, "appeal-request_number-error")
    refused = zf004.post("/workbench/gk/appeals", data={**appeal, "filed_on": "2026-10-30"})
    assert by_id(text(refused), "appeal-filed_on-error").startswith("提起日期不能晚于今天")
    # another body's request is not this body's to cite
    refused = Staff(app, "zj003").post("/workbench/gk/appeals", data=appeal)
    assert refused.status_code == 422 and "没有向阳光县住房和城乡建设局提出的" in text(refused)
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(InfoAppeal)) == 0
    assert zf004.post("/workbench/gk/appeals", data=appeal).status_code == 302
    listing = text(zf002.get("/workbench/gk/appeals?year=2026"))
    assert number in listing and "行政复议" in listing and "尚未审结" in listing
    with database.transaction(write=False) as s:
        row = s.scalars(select(InfoAppeal)).one()
        assert (row.request_id, row.outcome) == (request_id, "pending")
    assert zf002.get(f"/workbench/gk/appeals/{row.id}").status_code == 403
    assert zf004.get("/workbench/gk/appeals/99999999999").status_code == 404
    assert Staff(app, "zj003").get(f"/workbench/gk/appeals/{row.id}").status_code == 403
    assert zf004.post(f"/workbench/gk/appeals/{row.id}", data={**appeal, "outcome": "upheld",
                                                               "reference": "阳政复决〔2026〕3号"}).status_code == 302
    with database.transaction(write=False) as s:
        assert s.get(InfoAppeal, row.id).outcome == "upheld"

    # the report's words and its fee figure (万元)
    assert zf002.post("/workbench/gk/report-text?year=2026", overview="x").status_code == 403
    refused = zf004.post("/workbench/gk/report-text?year=2026", overview="总体情况……", problems="", other="",
                         charges_amount="一万")
    assert refused.status_code == 422
    assert by_id(text(refused), "report-charges_amount-error") == "行政事业性收费金额应为数字（单位：万元）。"
    assert "总体情况……</textarea>" in text(refused)
    assert zf004.get("/workbench/gk/report-text?year=2099").status_code == 422
    assert zf004.post("/workbench/gk/report-text?year=2026", overview="2026年，本机关……", problems="问题……",
                      other="", charges_amount="0.5").status_code == 302
    with database.transaction(write=False) as s:
        row = s.get(InfoReportText, (office_records, 2026))
        assert (row.overview, str(row.charges_amount)) == ("2026年，本机关……", "0.50")
    assert "2026年，本机关……" in text(zf002.get("/workbench/gk/report-text?year=2026"))


def test_the_publication_list_pages_by_keyset_showing_every_row_once(app, database, frozen_clock, publications,
                                                                     monkeypatch):
    from datetime import date

    from webapp.workbench import publications as staff_publications

    from .pagerwalk import walk
    monkeypatch.setattr(staff_publications, "PAGE", 4)
    zjj = dept(database, "zjj")
    with database.transaction() as s:  # created at the same moment, most of them: the id orders them
        for n in range(11):
            s.add(InfoEntry(series=f"p{n}", version=1, current=True, department_id=zjj, state="draft",
                            category="03", theme="09", doc_kind="other", title=f"第{n}号草稿", written_on=date(2026, 9, 25),
                            body="正文", attachments=[], channels=[], created_at=clock.now()))
    with database.transaction(write=False) as s:
        ids = [str(i) for i in s.scalars(select(InfoEntry.id).where(InfoEntry.department_id == zjj)
                                         .order_by(InfoEntry.created_at.desc(), InfoEntry.id.desc()))]
    zj002 = Staff(app, "zj002")
    assert walk(lambda u: text(zj002.get(u)), "/workbench/gk/publications?page=3", r'<tr id="publication-(\d+)"') == ids
    for url in ("/workbench/gk/publications?after=abc", "/workbench/gk/requests?before=WyJ4IiwxXQ"):
        response = zj002.get(url)
        assert response.status_code == 422 and "翻页参数无效" in text(response), url
