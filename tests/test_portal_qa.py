"""在线咨询, 常见问题 and 投诉 on the public column: asking online with the 咨询编号 and the 查询码 shown
once, a question public only once answered and published, the asker's own page opened with the
code, complaints about an answer, a case or a department, and the FAQ library by category."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from engine import clock, search
from engine.models import Department, FaqCategory, FaqEntry, Item, Question
from engine.qa import faq
from engine.qa import service as qa
from engine.service import start_case
from rules import complaints
from rules.models import Complaint

from .conftest import As, clean_cases
from .webhelpers import _csrf

FOOD = "015309300002"


@pytest.fixture
def library(database, run):
    """Two categories of this test's own (测试分类 › 测试子类) beside the demo's, and their cleaning:
    the library is not a case table."""
    top = run(faq.add_category, As("admin"), "测试分类")
    sub = run(faq.add_category, As("admin"), "测试子类", top.id)
    yield {"top": top.id, "sub": sub.id}
    clean_cases(database)  # questions are filed under the categories
    with database.transaction() as s:
        for entry in s.scalars(select(FaqEntry).where(FaqEntry.category_id.in_([top.id, sub.id]))):
            search.withdraw(s, "faq", f"lib/{entry.id}")
        s.execute(delete(FaqEntry).where(FaqEntry.category_id.in_([top.id, sub.id])))
        s.execute(delete(FaqCategory).where(FaqCategory.id == sub.id))
        s.execute(delete(FaqCategory).where(FaqCategory.id == top.id))


def dept(database, code: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(Department.id).where(Department.code == code)).one()


def ask(run, database, *, consent=True, department="scjgj", item=None, name="张三丰", title="开饭店要办哪些证",
        content="我想在城关镇开一家小饭店，需要办哪些证？"):
    department_id = None if item or department is None else dept(database, department)
    question, code = run(qa.ask, qa.Asking(title, content, name, "13812345678", "zhang@example.com", consent,
                                           department_id, item))
    return question.id, question.number, code


def answer(run, question_id, category, *, text="需要办理营业执照和食品经营许可证。", public=True, staff=("sc003", "sc005"),
           next_department=None, reason=None):
    run(lambda s, u: qa.answer(s, qa.get(s, question_id), u, text=text, public=public, category_id=category,
                               next_department_id=next_department, pass_reason=reason), As(staff[0]))
    run(lambda s, u: qa.review(s, qa.get(s, question_id), u, approved=True), As(staff[1]))


def form_of(page: str) -> dict:
    token = re.search(r'name="(ask_token|complaint_token)" value="([^"]+)"', page)
    return {"csrf_token": _csrf(page), token.group(1): token.group(2)}


ASKING = {"title": "开饭店要办哪些证", "content": "我想开一家小饭店。\n需要办哪些证？", "name": "李小龙",
          "phone": "13912345678", "email": "", "consent_public": "1"}


# --- asking ----------------------------------------------------------------------------------------

def test_asking_online_gives_the_number_and_the_code_once(app, database, frozen_clock):
    asker = app.test_client()
    page = asker.get("/questions/ask").get_data(as_text=True)
    assert "不清楚（由政府办转至有关部门）" in page and "阳光县市场监督管理局" in page
    assert "不公开的咨询，只能凭咨询编号和查询码查看答复" in page
    data = {**form_of(page), **ASKING, "department_id": str(dept(database, "scjgj"))}
    posted = asker.post("/questions/ask", data=data)
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/questions/receipt")
    receipt = asker.get("/questions/receipt")
    html = receipt.get_data(as_text=True)
    number = re.search(r'<span class="code">(ZX\d+)</span>', html).group(1)
    code = re.search(r'查询码<br><span class="code">([A-Z0-9]{10})</span>', html).group(1)
    assert receipt.headers["Cache-Control"] == "no-store"
    assert "查询码只在这里显示这一次" in html and "每转一级，政府办有 <strong>5 个工作日</strong>转办时间" in html
    assert "阳光县市场监督管理局" in html and "答复期限" in html
    with database.transaction(write=False) as s:
        question = s.scalars(select(Question).where(Question.number == number)).one()
        assert question.consent_public and question.asker_name == "李小龙" and question.channel == "web"
        assert question.content == ASKING["content"]
        due = question.turns[0].due_date
    assert due.strftime("%Y年%m月%d日") in html
    again = asker.get("/questions/receipt").get_data(as_text=True)  # a reload: the number, never the code again
    assert number in again and code not in again and "现已不再显示" in again
    assert code not in asker.post("/questions/ask", data=data).headers["Location"]  # posted twice: one question
    with database.transaction(write=False) as s:
        assert len(s.scalars(select(Question)).all()) == 1
    mine = asker.get(f"/questions/mine/{number}")  # this browser holds it until it leaves
    assert mine.status_code == 200 and "已受理" in mine.get_data(as_text=True)
    assert asker.post("/questions/leave", data={"csrf_token": _csrf(mine.get_data(as_text=True))}).status_code == 302
    assert asker.get(f"/questions/mine/{number}").status_code == 302


def test_a_refused_question_names_each_problem_beside_its_field_and_keeps_the_values(client, database):
    page = client.get("/questions/ask").get_data(as_text=True)
    posted = client.post("/questions/ask", data={**form_of(page), "title": "", "content": "办证<b>问题</b>",
                                                 "name": "王五", "phone": "99", "email": "not-an-email",
                                                 "department_id": "999999"})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 422 and 'class="error-summary"' in html
    for field, message in (("title", "咨询标题不能为空。"), ("phone", "联系电话："), ("email", "电子邮箱格式不正确"),
                           ("consent_public", "请选择是否同意公开。"), ("department_id", "所选咨询对象不受理咨询")):
        assert f'href="#{field}"' in html, field
        assert re.search(rf'<span class="field-error" id="{field}-error">{message}', html), field
        assert f'id="{field}"' in html
    assert 'value="王五"' in html and "办证&lt;b&gt;问题&lt;/b&gt;</textarea>" in html
    with database.transaction(write=False) as s:
        assert s.scalars(select(Question)).first() is None
    nothing = client.post("/questions/ask", data={**form_of(page), "title": "问题", "content": "内容", "name": "王五",
                                                  "consent_public": "0"})
    assert nothing.status_code == 422 and "请至少留下联系电话或电子邮箱中的一项" in nothing.get_data(as_text=True)


def test_asking_from_an_item_page_goes_to_its_department(client, database):
    tab = client.get(f"/items/{FOOD}/faq").get_data(as_text=True)
    assert f'href="/questions/ask?item={FOOD}"' in tab
    page = client.get(f"/questions/ask?item={FOOD}").get_data(as_text=True)
    assert "食品经营许可" in page and "阳光县市场监督管理局" in page and 'name="department_id"' not in page
    posted = client.post("/questions/ask", data={**form_of(page), **ASKING, "item": FOOD,
                                                 "department_id": str(dept(database, "zjj"))})
    assert posted.status_code == 302
    with database.transaction(write=False) as s:
        question = s.scalars(select(Question)).one()
        item = s.scalars(select(Item).where(Item.code == FOOD)).one()
        assert question.item_id == item.id and question.department_id == item.department_id
    assert client.get("/questions/ask?item=205309300097").status_code == 404  # 在线解答 itself is internal
    assert client.get("/questions/ask?item=%00").status_code == 404


def test_the_column_s_new_forms_need_the_csrf_token(client):
    for path in ("/questions/ask", "/questions/lookup", "/complaints/new", "/complaints/lookup", "/questions/leave"):
        assert client.post(path, data={"number": "ZX1", "query_code": "A"}).status_code == 400, path


def test_code_look_ups_are_rate_limited(database, settings):
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                      "public_rate_limit": "3 per minute"})
    try:
        for n, path in enumerate(("/questions/lookup", "/complaints/lookup")):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"  # each address has its own allowance
            form = client.get(path).get_data(as_text=True)
            answers = [client.post(path, data={"csrf_token": _csrf(form), "number": "ZX5309302026000001",
                                               "query_code": "AAAAAAAAAA"}).status_code for _ in range(4)]
            assert answers == [404, 404, 404, 429], path
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
        page = client.get("/questions/ask").get_data(as_text=True)
        assert [client.post("/questions/ask", data=form_of(page)).status_code for _ in range(4)] == [422] * 3 + [429]
    finally:
        app.extensions["sunhall_db"].dispose()


# --- reading ---------------------------------------------------------------------------------------

def test_a_question_is_public_once_answered_and_published(client, database, run, library, frozen_clock):
    question_id, number, _ = ask(run, database)
    waiting = client.get(f"/questions/{number}")
    assert waiting.status_code == 404 and "不公开的咨询只能由提问人凭查询码查看" in waiting.get_data(as_text=True)
    assert 'action="/questions/lookup"' in waiting.get_data(as_text=True)
    clock.travel(datetime(2026, 9, 29, 10, 0))
    answer(run, question_id, library["sub"])
    page = client.get(f"/questions/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "开饭店要办哪些证" in html and "需要办理营业执照和食品经营许可证。" in html
    assert "张**" in html and "张三丰" not in html and "13812345678" not in html and "zhang@example.com" not in html
    assert "阳光县市场监督管理局的答复" in html and "2026年09月29日 10:00" in html and "2026年09月28日 09:00" in html
    assert "收到提问" in html and "办结" in html and "测试分类</a> › <a" in html  # the timeline, the category
    assert "张伟" not in html and "陈静" not in html  # staff are not named
    listing = client.get("/questions").get_data(as_text=True)
    assert f'href="/questions/{number}"' in listing and "2026年09月29日" in listing
    assert "张三丰" not in listing and "张**" not in listing


def test_a_private_question_is_read_only_with_its_code(app, database, run, library, frozen_clock):
    question_id, number, code = ask(run, database, consent=False, name="欧阳修")
    answer(run, question_id, library["top"], public=False, text="请携带身份证到窗口办理。")
    visitor = app.test_client()
    assert visitor.get(f"/questions/{number}").status_code == 404
    assert number not in visitor.get("/questions").get_data(as_text=True)
    form = visitor.get("/questions/lookup").get_data(as_text=True)
    wrong = visitor.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": "A" * 10})
    unknown = visitor.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": "ZX5309302026999999",
                                                      "query_code": code})
    assert wrong.status_code == unknown.status_code == 404
    message = "咨询编号或查询码不正确，请核对后重新输入（查询码不区分大小写）。"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert visitor.get(f"/questions/mine/{number}").headers["Location"].endswith("/questions/lookup")
    opened = visitor.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": number.lower(),
                                                     "query_code": code.lower()})
    assert opened.status_code == 302 and code not in opened.headers["Location"].upper()
    mine = visitor.get(opened.headers["Location"])
    html = mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "no-store"
    assert "已办结" in html and "请携带身份证到窗口办理。" in html and "不公开，只有您凭查询码可以查看" in html
    assert "欧**" in html and "对答复不满意，我要投诉" in html
    assert f'href="/complaints/new?question={number}"' in html and code not in html


def test_the_asker_sees_where_the_question_is_and_until_when(app, database, run, library, frozen_clock):
    question_id, number, code = ask(run, database, department=None)  # 不清楚: to the 政府办 first
    asker = app.test_client()
    form = asker.get("/questions/lookup").get_data(as_text=True)
    asker.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": code})
    with database.transaction(write=False) as s:
        turn = qa.current_turn(qa.get(s, question_id))
        due = turn.due_date.strftime("%Y年%m月%d日")
    html = asker.get(f"/questions/mine/{number}").get_data(as_text=True)
    assert "阳光县人民政府办公室（转交有关部门）" in html and f"转办期限</dt><dd>{due}前" in html
    assert "尚未答复" in html and "对答复不满意，我要投诉" not in html
    run(lambda s, u: qa.dispatch(s, qa.get(s, question_id), u, department_id=dept(database, "scjgj"),
                                 reason="属于市场监管职责。"), As("zf002"))
    run(lambda s, u: qa.review(s, qa.get(s, question_id), u, approved=True), As("zf003"))
    html = asker.get(f"/questions/mine/{number}").get_data(as_text=True)
    assert "当前办理部门</dt><dd>阳光县市场监督管理局" in html and "转办中" in html
    assert "属于市场监管职责" not in html  # the forwarding reason is evidence for supervisors, not for the page


def test_a_joint_question_shows_every_reply_and_the_late_explanation(client, database, run, library, frozen_clock):
    question_id, number, _ = ask(run, database)
    answer(run, question_id, library["sub"], text="营业执照由市场监管局办理。", next_department=dept(database, "wsjkj"),
           reason="从业人员健康证明由卫健局答复。")
    clock.travel(datetime(2026, 10, 30, 9, 0))  # well past the 卫健局's 5 working days
    with database.transaction(write=False) as s:
        late_turn = qa.current_turn(qa.get(s, question_id)).id
    run(lambda s, u: qa.explain_late(s, qa.get(s, question_id), late_turn, u, "需与上级部门核实政策。"), As("ws002"))
    answer(run, question_id, library["sub"], text="健康证明到县疾控中心办理。", staff=("ws002", "ws003"))
    html = client.get(f"/questions/{number}").get_data(as_text=True)
    assert "（2 个部门联合答复）" in html
    assert html.index("营业执照由市场监管局办理。") < html.index("健康证明到县疾控中心办理。")
    assert "阳光县卫生健康局的答复" in html and "逾期答复" in html
    assert "逾期说明" in html and "需与上级部门核实政策。" in html and "2026年10月30日 09:00" in html
    assert "答复，并移交阳光县卫生健康局继续答复" in html and "从业人员健康证明由卫健局答复" not in html


def test_the_keyword_finds_published_questions(client, database, run, library, frozen_clock):
    first, number, _ = ask(run, database, title="健康证在哪里办", content="从业人员健康证明去哪里办？")
    answer(run, first, library["top"], text="到县疾控中心办理。")
    other, other_number, _ = ask(run, database, title="营业执照可以网上办吗", content="个体户营业执照能不能网上申请？")
    answer(run, other, library["top"], text="可以在政务服务专栏网上申请。")
    html = client.get("/questions?q=健康证").get_data(as_text=True)
    assert f"/questions/{number}" in html and f"/questions/{other_number}" not in html
    everything = client.get("/questions").get_data(as_text=True)
    assert f"/questions/{number}" in everything and f"/questions/{other_number}" in everything
    assert everything.index(other_number) < everything.index(number)  # newest answer first
    for query in ("?q=%00", "?q=" + "x" * 500, "?page=abc", "?page=999999", "?q=不存在的词语组合",
                  "?after=abc", "?before=%00", "?page=2&after=WyJ4IiwxXQ"):
        assert client.get("/questions" + query).status_code == 200, query


# --- complaints ------------------------------------------------------------------------------------

def _file(client, **fields):
    page = client.get("/complaints/new").get_data(as_text=True)
    base = {"complainant": "李四", "contact": "13912345678", "content": "答复没有说明办理地点。"}
    return client.post("/complaints/new", data={**form_of(page), **base, **fields})


def _receipt(client) -> tuple[str, str, str]:
    html = client.get("/complaints/receipt").get_data(as_text=True)
    number = re.search(r'<span class="code">(TS\d+)</span>', html).group(1)
    code = re.search(r'查询码<br><span class="code">([A-Z0-9]{10})</span>', html).group(1)
    return number, code, html


def test_a_complaint_about_an_answer_with_the_question_s_code(app, database, run, library, frozen_clock):
    question_id, number, code = ask(run, database)
    answer(run, question_id, library["top"])
    asker = app.test_client()
    prefilled = asker.get(f"/complaints/new?question={number}").get_data(as_text=True)
    assert f'value="{number}"' in prefilled and 'value="question" checked' in prefilled
    wrong = _file(asker, about="question", question_number=number, question_code="AAAAAAAAAA")
    assert wrong.status_code == 422
    assert re.search(r'id="question_number-error">咨询编号或查询码不正确', wrong.get_data(as_text=True))
    posted = _file(asker, about="question", question_number=number, question_code=code)
    assert posted.status_code == 302
    complaint_number, complaint_code, html = _receipt(asker)
    assert "15 个工作日" in html and "30 个工作日" in html and f"咨询 {number} 的答复" in html
    assert complaint_code not in asker.get("/complaints/receipt").get_data(as_text=True)  # once
    with database.transaction(write=False) as s:
        complaint = s.scalars(select(Complaint)).one()
        assert complaint.question_id == question_id and complaint.channel == "online"
    # the asker's page shows it; the supervisor answers; the complainant reads the answer
    form = asker.get("/questions/lookup").get_data(as_text=True)
    asker.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": code})
    assert complaint_number in asker.get(f"/questions/mine/{number}").get_data(as_text=True)
    run(complaints.accept, complaint.id, As("jw001"))
    run(complaints.answer, complaint.id, As("jw001"), "已责成市场监管局补充答复办理地点。")
    lookup = asker.get("/complaints/lookup").get_data(as_text=True)
    found = asker.post("/complaints/lookup", data={"csrf_token": _csrf(lookup), "number": complaint_number.lower(),
                                                   "query_code": complaint_code})
    text = found.get_data(as_text=True)
    assert found.status_code == 200 and "已答复" in text and "已责成市场监管局补充答复办理地点。" in text
    mine = asker.get(f"/questions/mine/{number}").get_data(as_text=True)
    assert "已责成市场监管局补充答复办理地点。" in mine
    refused = asker.post("/complaints/lookup", data={"csrf_token": _csrf(lookup), "number": complaint_number,
                                                     "query_code": "AAAAAAAAAA"})
    assert refused.status_code == 404 and "投诉编号或查询码不正确" in refused.get_data(as_text=True)


def test_a_complaint_about_a_case_or_a_department(client, database, run, company, frozen_clock):
    case = run(start_case, FOOD, company, As("sc001"), data={})
    wrong = _file(client, about="case", case_number=case.number, cert_number="110105194912310021")
    assert wrong.status_code == 422 and 'id="case_number-error"' in wrong.get_data(as_text=True)
    assert _file(client, about="case", case_number=case.number, cert_number=company.cert_number.lower(),
                 question_number="ZX5309302026000001").status_code == 302  # only the chosen kind's inputs count
    number, _, html = _receipt(client)
    assert f"办件 {case.number}" in html and "阳光县市场监督管理局" in html
    assert _file(client, about="department", department_id=str(dept(database, "zjj"))).status_code == 302
    _, _, html = _receipt(client)
    assert "阳光县住房和城乡建设局" in html and "待受理" in html
    with database.transaction(write=False) as s:
        filed = list(s.scalars(select(Complaint).order_by(Complaint.id)))
        assert [c.case_id for c in filed] == [case.id, None] and filed[1].department_id == dept(database, "zjj")
        assert all(c.accept_due and c.handle_due for c in filed)
    none = _file(client, complainant="", content="")
    html = none.get_data(as_text=True)
    assert none.status_code == 422
    for field in ("about", "complainant", "content"):
        assert f'href="#{field}"' in html and f'id="{field}-error"' in html, field
    assert 'value="13912345678"' in html  # what was typed stays
    for about, field, message in (("question", "question_number", "请输入咨询编号和查询码。"),
                                  ("case", "case_number", "请输入办件编号（或申请编号）和申请人证件号码。"),
                                  ("department", "department_id", "请选择被投诉部门。")):
        html = _file(client, about=about).get_data(as_text=True)
        assert f'<span class="field-error" id="{field}-error">{message}</span>' in html, about
    huge = _file(client, about="department", department_id="18446744073709551616")
    assert huge.status_code == 422 and 'id="department_id-error"' in huge.get_data(as_text=True)


# --- the FAQ library -------------------------------------------------------------------------------

def _entry(run, category, title, *, item=None, valid_to=None, valid_from=None):
    data = faq.EntryInput(title=title, question=f"{title}？", answer=f"关于{title}的解答。", category_id=category,
                          item_code=item, valid_from=valid_from, valid_to=valid_to)
    return run(faq.add_entry, As("sc003"), data).id


def test_the_library_by_category_and_an_entry_s_page(client, database, run, library, frozen_clock):
    top = _entry(run, library["top"], "个体户怎样登记")
    sub = _entry(run, library["sub"], "小餐饮要办许可证吗", item=FOOD)
    gone = _entry(run, library["sub"], "已停止展示的问题", valid_from=date(2026, 9, 1))
    run(faq.withdraw_entry, As("sc003"), gone)
    old = _entry(run, library["sub"], "已过期的问题", valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30))
    home = client.get("/faq").get_data(as_text=True)
    assert "测试分类</a><span class=\"count\">（2）</span>" in home and "测试子类</a><span class=\"count\">（1）</span>" in home
    assert "个体户怎样登记" in home and "小餐饮要办许可证吗" in home and "已停止展示" not in home and "已过期" not in home
    category = client.get(f"/faq/category/{library['sub']}").get_data(as_text=True)
    assert "小餐饮要办许可证吗" in category and "个体户怎样登记" not in category
    assert "个体户怎样登记" in client.get(f"/faq/category/{library['top']}").get_data(as_text=True)  # with its children
    entry = client.get(f"/faq/{sub}").get_data(as_text=True)
    for shown in ("小餐饮要办许可证吗？", "关于小餐饮要办许可证吗的解答。", "阳光县市场监督管理局", "食品经营许可",
                  f'href="/items/{FOOD}"', "2026年09月28日起，长期有效", "测试分类 › 测试子类"):
        assert shown in entry, shown
    assert client.get(f"/faq/{top}").status_code == 200
    for missing in (f"/faq/{gone}", f"/faq/{old}", "/faq/999999", "/faq/category/999999", "/faq/18446744073709551616"):
        assert client.get(missing).status_code == 404, missing


def test_the_item_s_online_consultation_shows_the_library_and_published_questions(client, database, run, library,
                                                                                   frozen_clock):
    entry = _entry(run, library["sub"], "小餐饮要办许可证吗", item=FOOD)
    _entry(run, library["sub"], "与本事项无关的问题")
    question_id, number, _ = ask(run, database, item=FOOD, title="食品经营许可要多久")
    private_id, private_number, _ = ask(run, database, item=FOOD, consent=False, title="我的许可证办到哪了")
    answer(run, question_id, library["sub"], text="承诺 15 个工作日内办结。")
    answer(run, private_id, library["sub"], public=False)
    html = client.get(f"/items/{FOOD}/faq").get_data(as_text=True)
    assert f'href="/faq/{entry}"' in html and "与本事项无关的问题" not in html
    assert f'href="/questions/{number}"' in html and "食品经营许可要多久" in html
    assert private_number not in html and "我的许可证办到哪了" not in html
    assert f'href="/questions/ask?item={FOOD}">我要咨询</a>' in html


def test_search_finds_published_answers_and_library_entries(client, database, run, library, frozen_clock):
    entry = _entry(run, library["sub"], "蜂蜜小作坊怎样登记")
    question_id, number, _ = ask(run, database, title="蜂蜜小作坊要办什么证", content="自家做蜂蜜卖需要什么证？")
    answer(run, question_id, library["sub"], text="需要办理小作坊登记证。")
    html = client.get("/search?q=蜂蜜小作坊").get_data(as_text=True)
    assert f'href="/faq/{entry}"' in html and f'href="/questions/{number}"' in html
    assert "<span>常见问题</span>" in html and "<span>在线咨询</span>" in html


# --- fixes of the QA walk ---------------------------------------------------------------------------

def test_the_public_tree_hides_categories_with_nothing_to_read(client, database, run, library, frozen_clock):
    empty = run(faq.add_category, As("admin"), "测试空类", library["top"]).id
    try:
        _entry(run, library["top"], "个体户怎样登记")
        home = client.get("/faq").get_data(as_text=True)
        assert "测试分类</a><span class=\"count\">（1）</span>" in home
        assert "测试子类" not in home and "测试空类" not in home
        page = client.get(f"/faq/category/{library['top']}").get_data(as_text=True)
        assert "个体户怎样登记" in page and "测试子类" not in page and "测试空类" not in page
        _entry(run, library["sub"], "小餐饮要办许可证吗")
        page = client.get(f"/faq/category/{library['top']}").get_data(as_text=True)
        assert "测试子类</a><span class=\"count\">（1）</span>" in page and "测试空类" not in page
        assert client.get(f"/faq/category/{empty}").status_code == 200  # an address kept from before still opens
    finally:
        run(faq.delete_category, As("admin"), empty)


def test_the_item_s_questions_are_its_newest_and_the_link_lists_them_all(client, database, run, library,
                                                                        frozen_clock):
    """Most askers never name the item: a question its department answered that names the item's
    words counts too; newest answer first; the link opens /questions for the item."""
    asked_on_item, on_item, _ = ask(run, database, item=FOOD, title="办证要多久")
    named, named_number, _ = ask(run, database, title="开小吃店要办食品经营许可证吗")
    other, other_number, _ = ask(run, database, title="个体户年报怎么报", content="个体户年报在哪里报？")
    answer(run, asked_on_item, library["sub"], text="承诺 15 个工作日内办结。")
    clock.travel(datetime(2026, 9, 29, 10, 0, tzinfo=clock.LOCAL_TZ))
    answer(run, named, library["sub"], text="需要办理食品经营许可证。")
    answer(run, other, library["sub"], text="在国家企业信用信息公示系统报送。")
    html = client.get(f"/items/{FOOD}/faq").get_data(as_text=True)
    assert html.index(f'href="/questions/{named_number}"') < html.index(f'href="/questions/{on_item}"')
    assert other_number not in html
    assert f'href="/questions?item={FOOD}" id="item-questions"' in html
    listing = client.get(f"/questions?item={FOOD}").get_data(as_text=True)
    assert re.findall(r'href="/questions/(ZX\d+)"', listing) == [named_number, on_item]
    assert 'id="item-filter"' in listing and f'<input type="hidden" name="item" value="{FOOD}">' in listing
    narrowed = client.get(f"/questions?item={FOOD}&q=小吃店").get_data(as_text=True)
    assert re.findall(r'href="/questions/(ZX\d+)"', narrowed) == [named_number]
    everything = client.get("/questions").get_data(as_text=True)
    assert other_number in everything and 'id="item-filter"' not in everything
    assert client.get("/questions?item=999999999999").status_code == 404


def test_search_names_who_answered(client, database, run, library, frozen_clock):
    _entry(run, library["sub"], "蜂蜜小作坊怎样登记")
    question_id, number, _ = ask(run, database, title="蜂蜜小作坊要办什么证", content="自家做蜂蜜卖需要什么证？")
    answer(run, question_id, library["sub"], text="需要办理小作坊登记证。")
    html = client.get("/search?q=蜂蜜小作坊").get_data(as_text=True)
    assert "<span>答复部门：阳光县市场监督管理局</span>" in html and "<span>解答部门：阳光县市场监督管理局</span>" in html
    assert "办理部门：" not in html
