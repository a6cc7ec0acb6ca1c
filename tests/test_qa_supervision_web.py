"""在线解答 in the supervision console over HTTP: every question with its turns and the reasons of
each forwarding, one question in full with its complaints and the way to the case replay, the
filters, the quarterly 通报 on the dashboard and its own pages; supervisors only; a bad quarter or
filter is a Chinese message beside its field, never a 500."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import delete, select

from engine import clock
from engine.models import Department, FaqCategory
from engine.qa import faq
from engine.qa import service as qa
from rules import complaints

from .conftest import As, clean_cases
from .webhelpers import _csrf, login

ENDPOINTS = ("/supervision/qa", "/supervision/qa/report", "/supervision/qa/report.xlsx",
             "/supervision/qa/report/print", "/supervision/qa/report.docx")


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def questions(run, database, frozen_clock):
    """Three questions of October 2026: answered on time by 市场监管 (Q1); forwarded by 市场监管 to the
    政府办 and dispatched to 卫生健康, which answers late with no explanation (Q2); still open at 住建
    and overdue (Q3). An online complaint about Q2."""
    category = run(lambda s, a: faq.add_category(s, a, "测试·监察页面"), As("admin"))
    with database.transaction(write=False) as s:
        dept = {d.code: d.id for d in s.scalars(select(Department))}

    def ask(title, code, when):
        clock.travel(when)
        return run(lambda s: qa.ask(s, qa.Asking(title, f"{title}的内容。", "王五", "13800000000", None, True,
                                                 dept[code])))

    def step(fn, question_id, who, when, **kw):
        clock.travel(when)
        run(lambda s, a: fn(s, qa.get(s, question_id), a, **kw), As(who))

    answer = {"text": "答复内容。", "public": True, "category_id": category.id}
    (q1, _), (q2, code2), (q3, _) = (ask("食品经营许可咨询", "scjgj", at(10, 12)),
                                     ask("医师执业注册咨询", "scjgj", at(10, 12, 11)),
                                     ask("建设工程咨询", "zjj", at(10, 13)))
    step(qa.answer, q1.id, "sc003", at(10, 13, 15), **answer)
    step(qa.review, q1.id, "sc005", at(10, 13, 16), approved=True)
    step(qa.forward, q2.id, "sc003", at(10, 14), reason="医师执业注册属卫生健康部门职责。")
    step(qa.review, q2.id, "sc005", at(10, 14, 11), approved=True)
    step(qa.dispatch, q2.id, "zf002", at(10, 15), department_id=dept["wsjkj"], reason="转卫生健康局答复。")
    step(qa.review, q2.id, "zf003", at(10, 15, 11), approved=True)
    step(qa.answer, q2.id, "ws002", at(10, 27), **answer)  # due 10/22
    step(qa.review, q2.id, "ws003", at(10, 27, 11), approved=True)
    clock.travel(at(10, 28))
    complaint, _ = run(lambda s: complaints.file_online(s, complaints.Filing(
        complainant="王五", contact="wangwu@example.com", content="答复超期且没有说明。", question_number=q2.number,
        question_code=code2)))
    clock.travel(at(11, 2))
    yield {"q1": q1, "q2": q2, "q3": q3, "dept": dept, "complaint": complaint}
    clean_cases(database)
    with database.transaction() as s:
        s.execute(delete(FaqCategory).where(FaqCategory.id == category.id))


def numbers(html: str) -> list[str]:
    return re.findall(r'data-question="(ZX\d+)"', html)


def test_every_question_with_its_turns_and_reasons(client, questions):
    login(client, "jw001")
    response = client.get("/supervision/qa")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    q1, q2, q3 = questions["q1"], questions["q2"], questions["q3"]
    assert numbers(html) == [q3.number, q2.number, q1.number]  # newest first
    assert "理由：医师执业注册属卫生健康部门职责。" in html and "理由：转卫生健康局答复。" in html
    assert "政府办转发" in html and "未作逾期说明" in html and "共 3 件" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("department={scjgj}", ["q2", "q1"]),
    ("department={wsjkj}", ["q2"]),  # reached it through the 政府办
    ("department={zfb}", ["q2"]),
    ("state=closed", ["q2", "q1"]),
    ("state=received", ["q3"]),
    ("overdue=1", ["q3", "q2"]),  # Q3 open past 10/20, Q2 answered late at 卫生健康
    ("unexplained=1", ["q3", "q2"]),
    ("forwarded=1", ["q2"]),
    ("overdue=1&forwarded=1&department={wsjkj}", ["q2"]),
    ("state=answered", []),
])
def test_filters(client, questions, query, expected):
    login(client, "jw001")
    html = client.get("/supervision/qa?" + query.format(**questions["dept"])).get_data(as_text=True)
    assert numbers(html) == [questions[name].number for name in expected]


def test_find_a_question_by_its_number_or_title_words(client, questions):
    """The number as read out on the phone: spaces, lower case, full-width digits; or words of the title."""
    login(client, "jw001")
    q1, q2 = questions["q1"], questions["q2"]
    typed = q2.number.lower()[:8] + " " + q2.number[8:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for query, expected in ((typed, [q2]), (q1.number[-6:], [q1]), ("医师", [q2]), ("咨询 食品", [q1]),
                            ("没有这个词", [])):
        html = client.get("/supervision/qa", query_string={"q": query}).get_data(as_text=True)
        assert numbers(html) == [q.number for q in expected], query
        assert f'value="{query}"' in html
    both = client.get("/supervision/qa", query_string={"q": "咨询", "state": "closed"}).get_data(as_text=True)
    assert numbers(both) == [q2.number, q1.number]
    refused = client.get("/supervision/qa", query_string={"q": "字" * 51})
    assert refused.status_code == 422
    assert 'id="error-q">咨询编号或标题关键词不能超过 50 个字。<' in refused.get_data(as_text=True)


def test_an_explanation_takes_a_question_off_the_unexplained_list(client, run, questions):
    q2 = questions["q2"]

    def explain(s, actor):
        question = qa.get(s, q2.id)
        turn = next(t for t in question.turns if t.late)
        return qa.explain_late(s, question, turn.id, actor, "需会同上级部门核实，未能按期答复。")

    run(explain, As("ws002"))
    login(client, "jw001")
    assert numbers(client.get("/supervision/qa?unexplained=1").get_data(as_text=True)) == [questions["q3"].number]
    detail = client.get(f"/supervision/qa/{q2.id}").get_data(as_text=True)
    assert "需会同上级部门核实，未能按期答复。" in detail


@pytest.mark.parametrize(("query", "field", "message"), [
    ("department=abc", "department", "所选单位不存在，请重新选择。"),
    ("department=99999999", "department", "所选单位不存在，请重新选择。"),
    ("state=lost", "state", "状态只能是已受理、转办中、已答复、已办结之一。"),
    ("overdue=maybe", "overdue", "“逾期”筛选条件无效。"),
    ("after=abc", "_form", "翻页参数无效，请回到第一页重新查看。"),
    ("before=WyJ4IiwxXQ", "_form", "翻页参数无效，请回到第一页重新查看。"),
])
def test_a_bad_filter_is_a_chinese_message_beside_its_field(client, questions, query, field, message):
    login(client, "jw001")
    response = client.get("/supervision/qa?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="error-{field}">{message}<' in html and f'href="#input-{field}"' in html
    assert numbers(html) == []


def test_paging(client, questions, monkeypatch):
    """By keyset (下一页 after the last row shown), every question once; an old ?page= is ignored."""
    from rules import qa_questions

    monkeypatch.setattr(qa_questions, "PER_PAGE", 2)
    login(client, "jw001")
    first = client.get("/supervision/qa?page=2").get_data(as_text=True)
    assert numbers(first) == [questions["q3"].number, questions["q2"].number]
    assert "第 1 /" not in first and "page=" not in first and "首页" not in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert numbers(second) == [questions["q1"].number] and 'rel="next"' not in second and "首页" in second
    back = re.search(r'<a href="([^"]+)" rel="prev">', second).group(1).replace("&amp;", "&")
    assert numbers(client.get(back).get_data(as_text=True)) == numbers(first)


def test_one_question_in_full(client, questions):
    login(client, "jw001")
    q2 = questions["q2"]
    response = client.get(f"/supervision/qa/{q2.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("医师执业注册咨询", "王五", "13800000000", "阳光县市场监督管理局", "阳光县人民政府办公室",
                 "医师执业注册属卫生健康部门职责。", "转卫生健康局答复。", "答复内容。", "阳光县市场监督管理局转政府办",
                 "阳光县人民政府办公室转至阳光县卫生健康局", "未说明", "答复超期且没有说明。", "wangwu@example.com",
                 questions["complaint"].number):
        assert text in html, text
    assert f'href="/supervision/cases/{q2.case_id}"' in html
    assert client.get(f"/supervision/cases/{q2.case_id}").status_code == 200
    assert client.get("/supervision/qa/99999999").status_code == 404


def test_the_complaints_page_links_the_question(client, questions):
    login(client, "jw001")
    html = client.get("/supervision/complaints").get_data(as_text=True)
    q2, complaint = questions["q2"], questions["complaint"]
    assert f'<a href="/supervision/qa/{q2.id}">{q2.number}</a>' in html
    assert "公众提交" in html and "wangwu@example.com" in html
    assert '<option value="online"' not in html  # online complaints come from the public only
    # today's actions still work on an online complaint
    client.post(f"/supervision/complaints/{complaint.id}/accept", data={"csrf_token": _csrf(html)})
    answered = client.post(f"/supervision/complaints/{complaint.id}/answer",
                           data={"csrf_token": _csrf(html), "answer": "已责成卫生健康局公开逾期说明。"},
                           follow_redirects=True).get_data(as_text=True)
    assert "已答复" in answered and "已责成卫生健康局公开逾期说明。" in answered


def test_dashboard_panel_and_report_of_the_current_quarter(client, questions):
    login(client, "jw001")
    html = client.get("/supervision").get_data(as_text=True)
    panel = html[html.index('id="qa-panel"'):]
    panel = panel[:panel.index("</section>")]
    # 2026 Q4 so far: received Q1, Q2 (市场监管), Q2 (卫生健康), Q3 = 4; on time Q1; Q2 late at 卫生健康
    # unexplained, Q3 open and overdue unexplained
    assert "在线解答：2026年第4季度" in panel
    assert re.findall(r"<b>([^<]+)</b><span>([^<]+)", panel) == [
        ("4", "受理咨询"), ("50.0%", "按时答复率（按时 1 / 已答复 2）"), ("2", "逾期未说明"), ("1", "办理中已逾期")]
    assert "/supervision/qa/report?year=2026&amp;quarter=4" in panel
    report = client.get("/supervision/qa/report")
    assert report.status_code == 200
    text = report.get_data(as_text=True)
    assert "在线解答情况通报：2026年第4季度" in text and "统计截止日 2026-11-02" in text
    assert 'value="2026"' in text and '<option value="4" selected>' in text
    assert "逾期未说明：阳光县卫生健康局（1 件）、阳光县住房和城乡建设局（1 件）" in text


@pytest.mark.parametrize(("query", "field", "message"), [
    ("year=1999&quarter=1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("year=abc&quarter=1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("year=2026&quarter=5", "quarter", "季度应为 1、2、3 或 4。"),
    ("year=2026", "quarter", "季度应为 1、2、3 或 4。"),
    ("year=" + "9" * 400 + "&quarter=1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("year=2027&quarter=1", "quarter", "2027年第1季度尚未开始，不能统计。"),
])
def test_a_bad_quarter_is_a_chinese_message_not_a_500(client, database, frozen_clock, query, field, message):
    login(client, "jw001")
    page = client.get("/supervision/qa/report?" + query)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert f'id="error-{field}">{message}<' in html and f'id="input-{field}"' in html
    assert 'value="' + query.split("&")[0].removeprefix("year=") + '"' in html  # the value typed is kept
    for path in ("/supervision/qa/report.xlsx", "/supervision/qa/report/print", "/supervision/qa/report.docx"):
        refused = client.get(f"{path}?{query}")
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)


@pytest.mark.parametrize("staff_no", ["sc001", "sc003", "zf002"])
def test_for_supervisors_only(client, questions, staff_no):
    login(client, staff_no)
    for path in (*ENDPOINTS, f"/supervision/qa/{questions['q1'].id}"):
        response = client.get(path)
        assert response.status_code == 403 and "仅对监察人员开放" in response.get_data(as_text=True), path


def test_anonymous_visitors_are_sent_to_log_in(client, questions):
    for path in (*ENDPOINTS, f"/supervision/qa/{questions['q1'].id}"):
        response = client.get(path)
        assert response.status_code in (302, 401) and "/login" in response.headers.get("Location", "/login"), path


HOSTILE = ["\x00", "' OR 1=1 --", "9" * 5000, "😀", "-0", "1e3", "0x10", " ", "<script>alert(1)</script>", "四"]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_hostile_query_breaks_the_pages(client, database, frozen_clock, value):
    login(client, "jw001")
    for path, params in (("/supervision/qa", ("department", "state", "overdue", "forwarded", "unexplained", "page")),
                         ("/supervision/qa/report", ("year", "quarter")),
                         ("/supervision/qa/report.xlsx", ("year", "quarter")),
                         ("/supervision/qa/report/print", ("year", "quarter"))):
        for name in params:
            response = client.get(path, query_string={name: value, **({"year": "2026"} if name == "quarter" else {})})
            assert response.status_code in (200, 422), (path, name, response.status_code)
            if not response.mimetype.startswith("text/html"):
                continue  # the spreadsheet of the current quarter: a blank value asks for none
            body = response.get_data(as_text=True)
            assert "<script>alert(1)</script>" not in body and "Traceback" not in body
            if response.status_code == 422:  # said in Chinese, beside the field or on the error page
                messages = re.findall(r'class="error[^"]*"[^>]*>([^<]+)<', body)
                assert messages and all(re.search(r"[\u4e00-\u9fff]", m) and not re.search(
                    r"[A-Za-z]{3,}", m) for m in messages), (path, name, messages)
