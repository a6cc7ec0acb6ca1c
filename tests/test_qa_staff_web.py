"""在线解答 on the workbench, page by page as staff work it: the 政府办 forwards a question nobody
could place, with its reason and a review; the department answers, a reviewer approves or sends it
back; other departments are refused; the clock's actions; registering a phone call; and the FAQ
library (entries and the unified category tree)."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

import pytest
from sqlalchemy import delete, select

from engine import clock, search
from engine.errors import PermissionDenied
from engine.models import Department, FaqCategory, FaqEntry, Question, User
from engine.qa import faq
from engine.qa import service as qa

from .conftest import As, clean_cases
from .webhelpers import _csrf, login
from .words import latin_words, report

MONDAY = datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)


class Staff:
    """A logged-in test client that sends the CSRF token with every form."""

    def __init__(self, app, staff_no: str):
        self.client = app.test_client()
        assert login(self.client, staff_no).status_code == 302, staff_no
        self.token = _csrf(self.client.get("/workbench/questions").get_data(as_text=True))

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, follow=False, **data):
        return self.client.post(url, data={"csrf_token": self.token, **data}, follow_redirects=follow)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def shown(html: str) -> str:
    """What a reader sees of the page's main part (tags, scripts and styles removed)."""
    main = html.split("<main>", 1)[1]
    main = re.sub(r"<(script|style|template)\b.*?</\1>", " ", main, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", main))


def no_latin(pages: dict[str, str]) -> None:
    found = {name: latin_words(shown(page)) for name, page in pages.items()}
    assert not any(found.values()), report(found)


def by_id(html: str, element_id: str) -> str:
    """The text of the element with this id (to the first closing tag of its kind), tags removed."""
    m = re.search(rf'<(\w+)[^>]*\sid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert m, f"no #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(2))).strip()


@pytest.fixture
def categories(database):
    """A small unified category tree, removed with what was filed under it after the test."""
    with database.transaction() as s:
        actor = s.scalars(select(User).where(User.staff_no == "admin")).one()
        root = faq.add_category(s, actor, "测试：市场监管")
        food = faq.add_category(s, actor, "食品经营", root.id)
        ids = {"root": root.id, "food": food.id}
    yield ids
    clean_cases(database)
    with database.transaction() as s:
        mine = list(s.scalars(select(FaqCategory.id).where(FaqCategory.id >= ids["root"])))
        for entry in s.scalars(select(FaqEntry).where(FaqEntry.category_id.in_(mine))):
            search.withdraw(s, "faq", f"lib/{entry.id}")
        s.execute(delete(FaqEntry).where(FaqEntry.category_id.in_(mine)))
        for cid in sorted(mine, reverse=True):
            s.execute(delete(FaqCategory).where(FaqCategory.id == cid))


def _dept(database, code) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(Department.id).where(Department.code == code)).one()


def _ask(run, department=None, consent=True, title="个体工商户办理食品经营许可需要哪些材料？"):
    question, code = run(lambda s: qa.ask(s, qa.Asking(
        title=title, content="我想在城关镇开一家小吃店，请问需要准备哪些材料，多久能办好？", name="王小明",
        phone="13800001111", consent_public=consent, department_id=department)))
    return question.id, question.number, code


def _question(database, question_id) -> Question:
    with database.transaction(write=False) as s:
        question = s.get(Question, question_id)
        question.turns  # noqa: B018  (loaded before the session closes)
        for t in question.turns:
            t.department  # noqa: B018
        s.expunge_all()
        return question


def _to_market(app, database, question_id):
    """政府办: 梁宇 forwards the 不清楚 question to 市场监管 with a reason, 宋佳 approves."""
    market = _dept(database, "scjgj")
    zf002, zf003 = Staff(app, "zf002"), Staff(app, "zf003")
    page = text(zf002.get(f"/workbench/questions/{question_id}"))
    assert "政府办转发" in page and 'id="dispatch-form"' in page
    done = zf002.post(f"/workbench/questions/{question_id}/dispatch", department_id=str(market),
                      reason="咨询食品经营许可，属市场监督管理局职责。")
    assert done.status_code == 302
    page = text(zf003.get(f"/workbench/questions/{question_id}"))
    assert "待审核的转发" in page and by_id(page, "draft-target") == "阳光县市场监督管理局"
    assert by_id(page, "draft-reason") == "咨询食品经营许可，属市场监督管理局职责。"
    assert zf003.post(f"/workbench/questions/{question_id}/review", decision="approve").status_code == 302


def test_a_question_nobody_could_place_is_forwarded_answered_reviewed_and_published(app, database, run, categories,
                                                                                  frozen_clock):
    question_id, number, _ = _ask(run)
    zf002 = Staff(app, "zf002")
    listing = text(zf002.get("/workbench/questions"))
    assert number in listing and "待我办理：政府办转发" in listing
    assert by_id(listing, f"question-{question_id}").startswith(number)
    # a forwarding without its reason or department is refused beside each field, nothing kept
    refused = zf002.post(f"/workbench/questions/{question_id}/dispatch", department_id="", reason=" ")
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "dispatch-department_id-error") == "请选择受理部门。"
    assert by_id(page, "dispatch-reason-error") == "转发理由不能为空。"
    assert 'href="#dispatch-reason"' in page

    _to_market(app, database, question_id)
    sc003 = Staff(app, "sc003")
    worklist = text(sc003.get("/workbench"))  # the step is in the worklist; its link opens the question page
    case_link = re.search(r'href="(/cases/\d+)"[^>]*>[^<]*</a></td>\s*<td>在线解答', worklist).group(1)
    assert sc003.get(case_link).headers["Location"].endswith(f"/workbench/questions/{question_id}")
    listing = text(sc003.get("/workbench/questions"))
    assert "待我办理：办理答复" in listing and "阳光县市场监督管理局" in listing
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "asker-phone") == "13800001111"  # staff see the asker's contact in full
    assert "咨询食品经营许可，属市场监督管理局职责。" in by_id(page, "turns")  # the forwarding reason: evidence
    assert "理由：咨询食品经营许可" in by_id(page, "timeline")
    assert 'id="answer-form"' in page and 'id="forward-form"' in page
    answer = "需提交食品经营许可申请书、营业执照复印件和经营场所平面图；材料齐全的，20 个工作日内办结。"
    assert sc003.post(f"/workbench/questions/{question_id}/answer", answer=answer, public="1",
                      category_id=str(categories["food"])).status_code == 302
    assert "此咨询当前没有您可以办理的环节" in text(sc003.post(
        f"/workbench/questions/{question_id}/answer", answer=answer, public="1", category_id=str(categories["food"])))

    sc005 = Staff(app, "sc005")
    page = text(sc005.get(f"/workbench/questions/{question_id}"))
    no_latin({"review": page, "list": listing})
    assert by_id(page, "draft-answer") == answer and by_id(page, "draft-public") == "公开发布"
    assert "测试：市场监管 / 食品经营" in page
    assert sc005.post(f"/workbench/questions/{question_id}/review", decision="approve", follow=True).status_code == 200

    question = _question(database, question_id)
    assert question.state == "closed" and question.public and question.category_id == categories["food"]
    assert [t.outcome for t in question.turns] == ["dispatched", "answered"]
    page = text(sc005.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "question-state") == "已办结（已公开发布）"
    assert answer in by_id(page, "replies")
    assert "此咨询已办结" in page
    # the supervisor reads every question, with the reasons, and works none of its steps
    jw001 = Staff(app, "jw001")
    assert number in text(jw001.get("/workbench/questions?state=closed"))
    page = text(jw001.get(f"/workbench/questions/{question_id}"))
    assert "咨询食品经营许可，属市场监督管理局职责。" in by_id(page, "turns") and "<form method=\"post\" action=\"/workbench/q" not in page


def test_a_reply_sent_back_at_review_shows_the_reason_to_the_handler(app, database, run, categories, frozen_clock):
    question_id, *_ = _ask(run, department=_dept(database, "scjgj"), consent=False)
    sc003, sc005 = Staff(app, "sc003"), Staff(app, "sc005")
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert "提问人不同意公开，此咨询只能不公开答复。" in page
    # a public reply is what the page cannot send: posted anyway, the service refuses it by field
    refused = sc003.post(f"/workbench/questions/{question_id}/answer", answer="可以办理。", public="1",
                         category_id=str(categories["food"]))
    assert refused.status_code == 422
    assert by_id(text(refused), "answer-public-error") == "提问人不同意公开，此咨询只能不公开答复。"
    sc003.post(f"/workbench/questions/{question_id}/answer", answer="可以办理。", public="0",
               category_id=str(categories["food"]))
    # a refusal needs its reason
    refused = sc005.post(f"/workbench/questions/{question_id}/review", decision="refuse", reason="")
    assert refused.status_code == 422 and by_id(text(refused), "review-reason-error") == "退回理由不能为空。"
    assert sc005.post(f"/workbench/questions/{question_id}/review", decision="refuse",
                      reason="答复过于简单，请列明所需材料和办理时限。").status_code == 302
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert "答复过于简单，请列明所需材料和办理时限。" in by_id(page, "sent-back")
    assert ">可以办理。</textarea>" in page  # the draft comes back to be improved, not typed again
    assert "退回" in by_id(page, "opinions")
    question = _question(database, question_id)
    assert question.state == "received" and not question.public


def test_other_departments_and_other_posts_are_refused(app, database, run, categories, frozen_clock):
    question_id, *_ = _ask(run, department=_dept(database, "scjgj"))
    ws002 = Staff(app, "ws002")  # 卫生健康局 承办
    refused = ws002.get(f"/workbench/questions/{question_id}")
    assert refused.status_code == 403 and "此咨询不在本部门办理范围内" in text(refused)
    for action, data in [("answer", {"answer": "x", "public": "1", "category_id": str(categories["food"])}),
                         ("forward", {"reason": "x"}), ("review", {"decision": "approve"}),
                         ("complex", {"reason": "x"}), ("extend", {"reason": "x"}), ("promote", {})]:
        response = ws002.post(f"/workbench/questions/{question_id}/{action}", **data)
        assert response.status_code == 403 and "此咨询不在本部门办理范围内" in text(response), action
    assert number_of_questions(text(ws002.get("/workbench/questions"))) == 0
    # the generic case page does not open it either
    case_id = _case_of(database, question_id)
    assert ws002.get(f"/cases/{case_id}").status_code == 403

    sc003 = Staff(app, "sc003")
    assert sc003.get(f"/cases/{case_id}").headers["Location"].endswith(f"/workbench/questions/{question_id}")
    response = sc003.post(f"/workbench/questions/{question_id}/review", decision="approve")  # a handler reviewing
    assert response.status_code == 403 and "此咨询当前没有您可以办理的环节" in text(response)
    response = sc003.post(f"/workbench/questions/{question_id}/extend", reason="需要实地了解")  # not the leader
    assert response.status_code == 403 and "只有答复部门的负责人可以批准" in text(response)
    assert 'id="extend-form"' not in text(sc003.get(f"/workbench/questions/{question_id}"))
    response = sc003.post(f"/workbench/questions/{question_id}/turns/999999/explain", explanation="x")
    assert response.status_code == 404
    assert sc003.get("/workbench/questions/999999").status_code == 404
    sc005 = Staff(app, "sc005")  # the reviewer has nothing to review yet
    response = sc005.post(f"/workbench/questions/{question_id}/answer", answer="x", public="1",
                          category_id=str(categories["food"]))
    assert response.status_code == 403
    assert _question(database, question_id).state == "received"


def number_of_questions(html: str) -> int:
    return int(re.search(r"共 (\d+) 件", html).group(1))


def _case_of(database, question_id) -> int:
    with database.transaction(write=False) as s:
        return s.get(Question, question_id).case_id


def test_complex_and_extended_questions_show_their_new_due_dates(app, database, run, categories, frozen_clock):
    question_id, *_ = _ask(run, department=_dept(database, "scjgj"))
    sc003, sc006 = Staff(app, "sc003"), Staff(app, "sc006")
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "current-due").startswith("2026-10-10")  # 5 working days over 国庆 (10-10 is a make-up day)
    refused = sc003.post(f"/workbench/questions/{question_id}/complex", reason="")
    assert refused.status_code == 422 and by_id(text(refused), "complex-reason-error") == "认定理由不能为空。"
    done = sc003.post(f"/workbench/questions/{question_id}/complex", reason="涉及多个许可事项，需核实", follow=True)
    assert "已认定为重要复杂问题" in text(done)
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "current-due").startswith("2026-10-16") and "重要复杂问题" in by_id(page, "current-due")
    assert 'id="complex-form"' not in page
    # the leader extends it to 20 working days
    assert 'id="extend-form"' in text(sc006.get(f"/workbench/questions/{question_id}"))
    sc006.post(f"/workbench/questions/{question_id}/extend", reason="需征求卫生健康部门意见")
    turn = _question(database, question_id).turns[-1]
    assert turn.limit_days == 20 and turn.extended
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "current-due").startswith(turn.due_date.isoformat()) and "已延期" in by_id(page, "current-due")
    # late: the department explains why, in public
    clock.travel(datetime(2026, 11, 30, 9, 0, tzinfo=clock.LOCAL_TZ))
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert "已逾期" in by_id(page, "current-due")
    listing = text(sc003.get("/workbench/questions"))
    assert "已逾期" in by_id(listing, f"question-{question_id}")
    assert sc003.post(f"/workbench/questions/{question_id}/turns/{turn.id}/explain",
                      explanation="等待卫生健康部门回复意见。").status_code == 302
    assert _question(database, question_id).turns[-1].explanation == "等待卫生健康部门回复意见。"


def test_staff_register_a_phone_question_and_tell_the_asker_its_code(app, database, run, frozen_clock):
    sc001 = Staff(app, "sc001")
    form = text(sc001.get("/workbench/questions/new"))
    assert "96128 电话" in form and 'value="web"' not in form
    assert "公开时提问人姓名只显示姓氏" in form  # as the column shows it (mask_name)
    refused = sc001.post("/workbench/questions/new", channel="web", title="", content="请问营业执照怎么办？",
                         name="李大妈", phone="12", consent_public="")
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "channel-error") == "请选择咨询渠道。"
    assert by_id(page, "title-error") == "咨询标题不能为空。"
    assert by_id(page, "phone-error").startswith("联系电话：")
    assert by_id(page, "consent_public-error") == "请选择是否同意公开。"
    assert ">请问营业执照怎么办？</textarea>" in page and 'value="李大妈"' in page
    with database.transaction(write=False) as s:
        assert s.scalars(select(Question)).first() is None
    market = _dept(database, "scjgj")
    done = sc001.post("/workbench/questions/new", channel="phone", title="营业执照怎么办理", content="请问营业执照怎么办？",
                      name="李大妈", phone="0883-6120315", consent_public="0", department_id=str(market))
    # Post/Redirect/Get: the result is a page of its own, showing the 查询码 once
    assert done.status_code == 302 and done.headers["Location"].endswith("/workbench/questions/registered")
    shown = sc001.get("/workbench/questions/registered")
    page = text(shown)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    number, code = by_id(page, "question-number"), by_id(page, "query-code")
    with database.transaction(write=False) as s:
        question = qa.find_by_code(s, number, code)
        assert question.channel == "phone" and question.department_id == market and not question.consent_public
        assert question.registered_by_id is not None
    assert "查询码只显示这一次" in page
    # a reload shows the number again, not the code, and registers nothing more
    again = text(sc001.get("/workbench/questions/registered"))
    assert by_id(again, "question-number") == number and 'id="query-code"' not in again and code not in again
    assert "查询码已在登记时显示过一次" in again
    with database.transaction(write=False) as s:
        assert len(list(s.scalars(select(Question)))) == 1
    assert "96128 电话（李娜 登记）" in text(Staff(app, "sc003").get(f"/workbench/questions/{question.id}"))
    # another browser has nothing to show: back to the list
    assert Staff(app, "sc003").get("/workbench/questions/registered").headers["Location"].endswith("/workbench/questions")


def test_faq_entries_are_added_edited_withdrawn_and_promoted(app, database, run, categories, frozen_clock):
    sc003 = Staff(app, "sc003")
    refused = sc003.post("/workbench/faq/new", title="", question="怎样办理？", answer="", category_id="",
                         valid_from="2026-13-01", valid_to="")
    page = text(refused)
    assert refused.status_code == 422
    assert by_id(page, "title-error") == "标题不能为空。" and by_id(page, "answer-error") == "解答不能为空。"
    assert by_id(page, "category_id-error") == "请选择统一分类。"
    assert by_id(page, "valid_from-error").startswith("有效期起应为日期")
    assert ">怎样办理？</textarea>" in page and 'value="2026-13-01"' in page
    with database.transaction(write=False) as s:
        assert s.scalars(select(FaqEntry).where(FaqEntry.category_id == categories["food"])).first() is None
    assert sc003.post("/workbench/faq/new", title="小吃店需要食品经营许可吗", question="开小吃店要办什么许可？",
                      answer="需要办理食品经营许可。", category_id=str(categories["food"]), item_code="",
                      valid_from="2026-09-28", valid_to="").status_code == 302
    with database.transaction(write=False) as s:
        entry = s.scalars(select(FaqEntry).where(FaqEntry.category_id == categories["food"])).one()
        entry_id = entry.id
    listing = text(sc003.get("/workbench/faq"))
    assert "小吃店需要食品经营许可吗" in listing and by_id(listing, f"entry-{entry_id}")
    edit = text(sc003.get(f"/workbench/faq/{entry_id}/edit"))
    assert 'value="小吃店需要食品经营许可吗"' in edit
    refused = sc003.post(f"/workbench/faq/{entry_id}/edit", title="小吃店需要食品经营许可吗", question="开小吃店要办什么许可？",
                         answer="需要。", category_id=str(categories["food"]), valid_from="2026-10-05",
                         valid_to="2026-10-01")
    assert refused.status_code == 422 and by_id(text(refused), "valid_to-error") == "有效期止不能早于有效期起。"
    assert sc003.post(f"/workbench/faq/{entry_id}/edit", title="小吃店要办食品经营许可", question="开小吃店要办什么许可？",
                      answer="需要办理食品经营许可，仅销售预包装食品的办理备案。", category_id=str(categories["food"]),
                      valid_from="2026-09-28", valid_to="").status_code == 302
    # another department's staff can neither open nor withdraw it
    ws002 = Staff(app, "ws002")
    assert ws002.get(f"/workbench/faq/{entry_id}/edit").status_code == 403
    assert ws002.post(f"/workbench/faq/{entry_id}/withdraw").status_code == 403
    assert "小吃店要办食品经营许可" not in text(ws002.get("/workbench/faq"))
    clock.travel(datetime(2026, 9, 29, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert sc003.post(f"/workbench/faq/{entry_id}/withdraw").status_code == 302
    with database.transaction(write=False) as s:
        entry = s.get(FaqEntry, entry_id)
        assert entry.title == "小吃店要办食品经营许可" and entry.valid_to == date(2026, 9, 28)
        assert not list(s.scalars(faq.entries_query(s, category_id=categories["food"])))
    assert by_id(text(sc003.get("/workbench/faq?state=withdrawn")), f"entry-{entry_id}")

    # a published answer becomes an entry in one step
    question_id, *_ = _ask(run, department=_dept(database, "scjgj"))
    sc003.post(f"/workbench/questions/{question_id}/answer", answer="需要办理食品经营许可。", public="1",
               category_id=str(categories["food"]))
    Staff(app, "sc005").post(f"/workbench/questions/{question_id}/review", decision="approve")
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert 'id="promote-form"' in page
    promoted = sc003.post(f"/workbench/questions/{question_id}/promote", category_id=str(categories["food"]))
    assert promoted.status_code == 302 and "/workbench/faq/" in promoted.headers["Location"]
    with database.transaction(write=False) as s:
        entry = s.scalars(select(FaqEntry).where(FaqEntry.source_question_id == question_id)).one()
        assert entry.answer == "需要办理食品经营许可。"
    page = text(sc003.get(f"/workbench/questions/{question_id}"))
    assert 'id="promote-form"' not in page and 'id="promoted"' in page
    no_latin({"question": page, "faq": text(sc003.get("/workbench/faq")), "edit": text(sc003.get(promoted.headers["Location"])),
              "new": text(sc003.get("/workbench/questions/new")), "categories": text(Staff(app, "admin").get("/workbench/faq/categories"))})
    assert sc003.post(f"/workbench/questions/{question_id}/promote").status_code == 409  # once


def test_the_category_tree_is_kept_by_administrators(app, database, categories):
    admin = Staff(app, "admin")
    page = text(admin.get("/workbench/faq/categories"))
    assert "测试：市场监管" in page and "食品经营" in page
    refused = admin.post("/workbench/faq/categories", parent_id=str(categories["root"]), name="食品经营")
    assert refused.status_code == 422
    assert by_id(text(refused), f"add-{categories['root']}-name-error") == "同一级已有分类“食品经营”。"
    assert admin.post("/workbench/faq/categories", parent_id=str(categories["root"]), name="特种设备").status_code == 302
    assert admin.post(f"/workbench/faq/categories/{categories['food']}", name="食品经营许可").status_code == 302
    refused = admin.post(f"/workbench/faq/categories/{categories['food']}", name="")
    assert refused.status_code == 422 and "分类名称不能为空" in text(refused)
    assert admin.post("/workbench/faq/categories", parent_id="abc", name="x").status_code == 422
    with database.transaction(write=False) as s:
        names = {c.name for c in s.scalars(select(FaqCategory).where(FaqCategory.parent_id == categories["root"]))}
    assert names == {"食品经营许可", "特种设备"}
    sc003 = Staff(app, "sc003")
    for response in (sc003.get("/workbench/faq/categories"),
                     sc003.post("/workbench/faq/categories", name="越权"),
                     sc003.post(f"/workbench/faq/categories/{categories['food']}", name="越权")):
        assert response.status_code == 403 and "统一分类由系统管理员维护" in text(response)
    assert "统一分类" in text(admin.get("/workbench")) and ">统一分类<" not in text(sc003.get("/workbench"))


HUGE = "9" * 30


def test_hostile_values_are_refused_in_chinese_and_never_break_the_page(app, database, run, categories, frozen_clock):
    question_id, *_ = _ask(run)
    zf002, sc003 = Staff(app, "zf002"), Staff(app, "sc003")
    for data in ({"department_id": HUGE, "reason": "x"}, {"department_id": "-1", "reason": "x"},
                 {"department_id": "１", "reason": "x" * 600}, {"department_id": "abc", "reason": "\x00"}):
        response = zf002.post(f"/workbench/questions/{question_id}/dispatch", **data)
        assert response.status_code == 422, data
        assert 'class="field-error error"' in text(response)
    # a page left open while the question moved on is refused, not acted on unseen
    response = zf002.post(f"/workbench/questions/{question_id}/dispatch", task="1" + "0" * 8,
                          department_id=str(_dept(database, "scjgj")), reason="属市场监管职责")
    assert response.status_code == 409 and "页面上的内容已过期" in text(response)
    _to_market(app, database, question_id)
    for data in ({"answer": "x", "public": "maybe", "category_id": HUGE, "next_department_id": HUGE},
                 {"answer": "x", "public": "1", "category_id": "-5", "next_department_id": str(_dept(database, "scjgj")),
                  "pass_reason": "x"}):
        response = sc003.post(f"/workbench/questions/{question_id}/answer", **data)
        assert response.status_code == 422 and "answer-category_id-error" in text(response), data
    response = sc003.post(f"/workbench/questions/{question_id}/answer", answer="x", public="1",
                          category_id=str(categories["food"]), next_department_id=str(_dept(database, "scjgj")),
                          pass_reason="再问一次")
    assert by_id(text(response), "answer-next_department_id-error") == "下一答复部门不能是本部门。"
    sc003.post(f"/workbench/questions/{question_id}/answer", answer="x", public="1", category_id=str(categories["food"]))
    response = Staff(app, "sc005").post(f"/workbench/questions/{question_id}/review", decision="perhaps")
    assert response.status_code == 422 and "请选择审核意见" in text(response)
    for url in ("/workbench/questions?page=" + HUGE, "/workbench/questions?state=<script>&page=-3",
                "/workbench/faq?page=" + HUGE + "&category=" + HUGE + "&department=" + HUGE + "&q=%25_%5C",
                "/workbench/faq?state=nope&q=" + "长" * 500):
        response = sc003.get(url)
        assert response.status_code == 200, url
    assert Staff(app, "jw001").get("/workbench/faq?department=" + HUGE).status_code == 200
    for url in ("/workbench/questions?after=abc", "/workbench/faq?before=WyJ4IiwxXQ"):  # a cursor not ours
        response = sc003.get(url)
        assert response.status_code == 422 and "翻页参数无效" in text(response), url
    for data in ({"department_id": HUGE}, {"department_id": "abc"}, {"item_code": "x" * 500}):
        response = sc003.post("/workbench/questions/new", channel="phone", title="t", content="c", name="n",
                              phone="13800001111", consent_public="1", **data)
        assert response.status_code == 422, data
    response = sc003.post("/workbench/faq/new", title="t", question="q", answer="a", category_id=HUGE,
                          item_code="y" * 300, valid_from="0000-01-01", valid_to=HUGE)
    assert response.status_code == 422
    page = text(response)
    assert {"category_id-error", "item_code-error", "valid_from-error", "valid_to-error"} <= set(re.findall(r'id="([\w-]+-error)"', page))
    assert Staff(app, "admin").post("/workbench/faq/categories", parent_id=HUGE, name="x").status_code == 422


# --- fixes of the QA walk ---------------------------------------------------------------------------

def test_staff_find_a_question_by_its_number_or_title_words(app, database, run, frozen_clock):
    market = _dept(database, "scjgj")
    first, number, _ = _ask(run, department=market)
    second, other, _ = _ask(run, department=market, title="小作坊登记要带什么材料？")
    sc003 = Staff(app, "sc003")
    typed = number.lower()[:6] + " " + number[6:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for query, expected in ((typed, [first]), (number[-4:], [first]), ("小作坊", [second]),
                            ("食品 许可", [first]), ("没有这个词", [])):
        page = text(sc003.get("/workbench/questions", query_string={"q": query}))
        assert [int(i) for i in re.findall(r'<tr id="question-(\d+)"', page)] == expected, query
        assert f'value="{query}"' in page
    page = text(sc003.get("/workbench/questions", query_string={"q": "没有这个词"}))
    assert "没有咨询编号或标题与“没有这个词”相符的咨询。" in page
    # the state tabs keep the words
    assert 'href="/workbench/questions?state=closed&q=%E5%B0%8F%E4%BD%9C%E5%9D%8A"' in \
        text(sc003.get("/workbench/questions", query_string={"q": "小作坊"}))
    # another department's question is not found by its number
    assert '<tr id="question-' not in text(Staff(app, "ws002").get("/workbench/questions", query_string={"q": number}))


def test_the_government_office_may_answer_an_unplaced_question_itself(app, database, run, categories,
                                                                      frozen_clock):
    question_id, *_ = _ask(run)
    office = _dept(database, "zfb")
    zf002, zf003 = Staff(app, "zf002"), Staff(app, "zf003")
    page = text(zf002.get(f"/workbench/questions/{question_id}"))
    assert "转至部门（受理部门）" in page
    assert f'<option value="{office}">本办答复（阳光县人民政府办公室）</option>' in page
    assert zf002.post(f"/workbench/questions/{question_id}/dispatch", department_id=str(office),
                      reason="属本办职责，由本办直接答复。").status_code == 302
    page = text(zf003.get(f"/workbench/questions/{question_id}"))
    assert by_id(page, "draft-target") == "本办答复（阳光县人民政府办公室）"
    assert zf003.post(f"/workbench/questions/{question_id}/review", decision="approve").status_code == 302
    page = text(zf002.get(f"/workbench/questions/{question_id}"))
    assert 'id="answer-form"' in page and 'id="forward-form"' not in page
    # 各部门办理及期限: the finished dispatch has its time, the open turn a dash under 完成 and 办理中 under 结果
    question = _question(database, question_id)
    done, open_turn = question.turns

    def cells(turn):
        return re.findall(r"<td[^>]*>(.*?)</td>", page.split(f'id="turn-{turn.id}"')[1].split("</tr>")[0], re.S)
    assert cells(done)[5] == "2026-09-28 09:00" and cells(done)[6].startswith("已转发")
    assert cells(open_turn)[5] == "—" and cells(open_turn)[6] == "办理中"
    assert "<h3>填写答复（提交审核）</h3>" in page and "<h2>已作出的答复</h2>" in page


def test_no_review_of_one_s_own_reply_is_offered(app, database, run, categories, frozen_clock):
    """林涛 (rs002) holds both posts of 人社局: he answers, and the review is 彭艳's (rs003), not his."""
    question_id, *_ = _ask(run, department=_dept(database, "rsj"), title="工地老板拖欠工资怎么办")
    rs002, rs003 = Staff(app, "rs002"), Staff(app, "rs003")
    assert rs002.post(f"/workbench/questions/{question_id}/answer", answer="可向劳动保障监察大队投诉。", public="1",
                      category_id=str(categories["food"])).status_code == 302
    page = text(rs002.get(f"/workbench/questions/{question_id}"))
    assert 'id="review-form"' not in page and 'id="approve"' not in page
    assert "您不能审核自己办理的内容" in by_id(page, "own-work")
    refused = rs002.post(f"/workbench/questions/{question_id}/review", decision="approve")
    assert refused.status_code == 403 and "您不能审核自己办理的内容" in text(refused)
    page = text(rs003.get(f"/workbench/questions/{question_id}"))
    assert 'id="review-form"' in page and 'id="own-work"' not in page


def test_an_empty_category_can_be_deleted_and_no_other(app, database, run, categories, frozen_clock):
    admin = Staff(app, "admin")
    root, food = categories["root"], categories["food"]
    page = text(admin.get("/workbench/faq/categories"))
    assert f'id="delete-{food}"' in page and f'id="delete-{root}"' not in page  # only a leaf without entries
    refused = admin.post(f"/workbench/faq/categories/{root}/delete")
    assert refused.status_code == 409
    assert by_id(text(refused), f"delete-{root}-error") == "分类“测试：市场监管”下还有下级分类，请先删除下级分类。"
    entry = run(faq.add_entry, As("sc003"), faq.EntryInput("小吃店要办许可吗", "要办吗？", "要办。", food,
                                                           valid_from=date(2026, 9, 1), valid_to=date(2026, 9, 2)))
    refused = admin.post(f"/workbench/faq/categories/{food}/delete")  # a withdrawn entry still holds it
    assert refused.status_code == 409 and "还有 1 条常见问题（含已停止展示的）" in text(refused)
    with database.transaction() as s:
        s.execute(delete(FaqEntry).where(FaqEntry.id == entry.id))
    question_id, *_ = _ask(run, department=_dept(database, "scjgj"))
    Staff(app, "sc003").post(f"/workbench/questions/{question_id}/answer", answer="需要。", public="1",
                             category_id=str(food))
    refused = admin.post(f"/workbench/faq/categories/{food}/delete")  # chosen in a reply awaiting review
    assert refused.status_code == 409 and "有待审核的答复选用了分类“食品经营”" in text(refused)
    Staff(app, "sc005").post(f"/workbench/questions/{question_id}/review", decision="approve")
    refused = admin.post(f"/workbench/faq/categories/{food}/delete")
    assert refused.status_code == 409 and "已有 1 件咨询归入分类“食品经营”，不能删除。" in text(refused)
    spare = run(faq.add_category, As("admin"), "测试：空分类", root).id
    assert Staff(app, "sc003").post(f"/workbench/faq/categories/{spare}/delete").status_code == 403
    done = admin.post(f"/workbench/faq/categories/{spare}/delete", follow=True)
    assert "已删除分类“测试：空分类”" in text(done)
    with database.transaction(write=False) as s:
        assert s.get(FaqCategory, spare) is None and s.get(FaqCategory, food) is not None
    assert admin.post(f"/workbench/faq/categories/{spare}/delete").status_code == 404
    with pytest.raises(PermissionDenied):
        run(faq.delete_category, As("sc003"), food)


def test_faq_lists_are_newest_first_by_the_day_shown_from(app, database, run, categories, frozen_clock):
    food = categories["food"]

    def add(title, day):
        return run(faq.add_entry, As("sc003"), faq.EntryInput(title, f"{title}？", "解答。", food, valid_from=day)).id
    later = add("九月二十八日起展示", date(2026, 9, 28))
    earlier = add("九月一日起展示", date(2026, 9, 1))  # written after, shown from before
    listing = text(Staff(app, "sc003").get(f"/workbench/faq?category={food}"))
    assert listing.index(f'id="entry-{later}"') < listing.index(f'id="entry-{earlier}"')
    public = app.test_client().get(f"/faq/category/{food}").get_data(as_text=True)
    assert public.index("九月二十八日起展示") < public.index("九月一日起展示")


def test_control_characters_in_a_search_or_a_code_are_refused_not_crashed(database):
    """PostgreSQL refuses NUL in a query: the keyword and the 事项编码 never reach SQL with one."""
    from engine.qa import service as qa
    from rules import qa_questions

    with database.transaction(write=False) as s:
        assert qa.item_by_code(s, "\x00\x07") is None
        s.scalars(select(Question).where(qa_questions.matching("ZX\x00 开饭店"))).all()


def test_the_question_and_faq_lists_page_by_keyset_showing_every_row_once(app, database, run, categories,
                                                                          frozen_clock, monkeypatch):
    """Two to a page: 下一页 after the last row shown, through 待我办理 first and the rest, every row once."""
    from webapp.portal import faq as public_faq
    from webapp.workbench import faq as staff_faq
    from webapp.workbench import questions as staff_questions

    from .pagerwalk import walk
    for module, name in ((staff_questions, "PAGE"), (staff_faq, "PAGE"), (public_faq, "PER_PAGE")):
        monkeypatch.setattr(module, name, 2)
    for n in range(5):
        _ask(run, department=_dept(database, "scjgj"), title=f"第{n}个问题：食品经营许可要什么材料？")
    food = categories["food"]
    for n, day in enumerate((date(2026, 9, 1), date(2026, 9, 1), date(2026, 9, 28), date(2026, 9, 1), date(2026, 8, 3))):
        run(faq.add_entry, As("sc003"), faq.EntryInput(f"分页条目{n}", f"分页条目{n}？", "解答。", food, valid_from=day))
    sc003 = Staff(app, "sc003")
    with database.transaction(write=False) as s:
        mine = {str(i) for i in s.scalars(select(Question.id).where(Question.department_id == _dept(database, "scjgj")))}
        entries = [str(i) for i in s.scalars(select(FaqEntry.id).where(FaqEntry.category_id == food)
                                             .order_by(FaqEntry.valid_from.desc(), FaqEntry.id.desc()))]
    listed = walk(lambda u: text(sc003.get(u)), "/workbench/questions?page=9", r'<tr id="question-(\d+)"')
    assert len(listed) == len(set(listed)) and set(listed) >= mine and len(mine) >= 5
    assert walk(lambda u: text(sc003.get(u)), f"/workbench/faq?category={food}", r'<tr id="entry-(\d+)"') == entries
    public = app.test_client()
    shown = walk(lambda u: public.get(u).get_data(as_text=True), f"/faq/category/{food}", r'href="/faq/(\d+)"', "分页")
    assert shown == entries
