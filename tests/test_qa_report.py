"""The quarterly 在线解答 通报 (《云南省政务信息查询在线解答管理办法》第九条) counted by hand: a quarter
of questions made through the services on a travelling clock — answered on time, late with and
without an explanation, forwarded to the 政府办 and dispatched, passed on to a second department,
left open past the due date, one from the quarter before — and complaints about two departments;
every figure of every row checked against the count in the comments, then the Excel and the
printable 通报 with the same figures."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import delete, select

from engine import clock
from engine.errors import InvalidInput
from engine.models import Department, FaqCategory, Question
from engine.qa import faq
from engine.qa import service as qa
from rules import complaints, qa_report

from .conftest import As, clean_cases
from .webhelpers import login

# 2026 Q4 working days: 10/1–10/7 are holidays, 10/10 (Saturday) is a make-up working day.


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def category(run, database):
    """A category of the unified tree for the replies; removed with the questions filed under it."""
    made = run(lambda s, a: faq.add_category(s, a, "测试·在线解答通报"), As("admin"))
    yield made.id
    clean_cases(database)
    with database.transaction() as s:
        s.execute(delete(FaqCategory).where(FaqCategory.id == made.id))


@dataclass
class Quarter:
    """What the fixture made: departments by code, questions by name (id, number, 查询码)."""

    dept: dict[str, int]
    questions: dict[str, tuple[int, str, str]] = field(default_factory=dict)


class Desk:
    """Working questions through the services, each command at the moment the clock is moved to."""

    def __init__(self, run, database, category_id: int):
        self.run, self.category_id = run, category_id
        with database.transaction(write=False) as s:
            self.q = Quarter({d.code: d.id for d in s.scalars(select(Department))})

    def ask(self, name: str, dept: str | None, when: datetime) -> int:
        clock.travel(when)
        asking = qa.Asking(f"咨询{name}", f"关于{name}的咨询内容。", "王五", "13800000000", None, True,
                           self.q.dept[dept] if dept else None)
        question, code = self.run(lambda s: qa.ask(s, asking))
        self.q.questions[name] = (question.id, question.number, code)
        return question.id

    def answer(self, name: str, handler: str, reviewer: str, when: datetime, to: str | None = None) -> None:
        qid = self.q.questions[name][0]
        clock.travel(when)
        nxt = self.q.dept[to] if to else None
        self.run(lambda s, a: qa.answer(s, qa.get(s, qid), a, text=f"{name}的答复。", public=True,
                                        category_id=self.category_id, next_department_id=nxt,
                                        pass_reason="涉及其他部门职责，移交继续答复。" if to else None), As(handler))
        self.run(lambda s, a: qa.review(s, qa.get(s, qid), a, approved=True), As(reviewer))

    def forward(self, name: str, handler: str, reviewer: str, when: datetime) -> None:
        qid = self.q.questions[name][0]
        clock.travel(when)
        self.run(lambda s, a: qa.forward(s, qa.get(s, qid), a, reason="不属于本部门职责，请政府办转发。"), As(handler))
        self.run(lambda s, a: qa.review(s, qa.get(s, qid), a, approved=True), As(reviewer))

    def dispatch(self, name: str, to: str, when: datetime) -> None:
        qid, target = self.q.questions[name][0], self.q.dept[to]
        clock.travel(when)
        self.run(lambda s, a: qa.dispatch(s, qa.get(s, qid), a, department_id=target, reason="属该部门职责。"),
                 As("zf002"))
        self.run(lambda s, a: qa.review(s, qa.get(s, qid), a, approved=True), As("zf003"))

    def explain(self, name: str, dept: str, who: str, when: datetime) -> None:
        qid, dept_id = self.q.questions[name][0], self.q.dept[dept]
        clock.travel(when)

        def explain(s, actor):
            question = qa.get(s, qid)
            turn = next(t for t in question.turns if t.department_id == dept_id)
            return qa.explain_late(s, question, turn.id, actor, "需向上级部门核实政策口径，未能按期答复。")

        self.run(explain, As(who))


def build_quarter(run, database, category_id: int, *, until: date | None = None) -> Quarter:
    """The questions and complaints of 2026 Q4 (hand counts in test_every_figure_of_every_row).
    ``until``: stop before the first command after that day."""
    desk = Desk(run, database, category_id)
    # Q0 — the quarter before: reached 市场监管 on Mon 9/28 (due 10/10), answered late on 10/12; not counted
    desk.ask("Q0", "scjgj", at(9, 28))
    # C0 — a complaint of the quarter before about 市场监管: not counted
    run(lambda s, a: complaints.receive(s, a, channel="phone", complainant="赵六", contact="13900000000",
                                        content="九月的投诉。", department_id=desk.q.dept["scjgj"]), As("jw001"))
    desk.answer("Q0", "sc003", "sc005", at(10, 12))
    # Q1 — 市场监管, Thu 10/8 (due 10/14), answered 10/9: on time, 1 working day
    desk.ask("Q1", "scjgj", at(10, 8, 9))
    desk.answer("Q1", "sc003", "sc005", at(10, 9))
    # Q2 — 市场监管, Mon 10/12 (due 10/19), answered 10/16: on time, 4 working days
    # Q3 — 市场监管, Mon 10/12 (due 10/19), answered 10/21: late (7 working days), explained afterwards
    # Q4 — 卫生健康, Mon 10/12 (due 10/19), answered 10/20: late (6 working days), never explained
    desk.ask("Q2", "scjgj", at(10, 12))
    desk.ask("Q3", "scjgj", at(10, 12))
    desk.ask("Q4", "wsjkj", at(10, 12))
    # Q5 — 市场监管 on Tue 10/13, forwarded to the 政府办 on 10/14 (on time); the 政府办's dispatch turn
    #      from 10/14 (due 10/21) ends 10/15 (on time); 卫生健康 from 10/15 (due 10/22) answers 10/19:
    #      on time, 2 working days (10/16, 10/19)
    desk.ask("Q5", "scjgj", at(10, 13))
    desk.forward("Q5", "sc003", "sc005", at(10, 14))
    desk.dispatch("Q5", "wsjkj", at(10, 15))
    desk.answer("Q2", "sc003", "sc005", at(10, 16))
    # Q6 — joint: 卫生健康 on Mon 10/19 (due 10/26) answers its part and passes it to 市场监管 on 10/20
    #      (1 working day, on time); 市场监管 from 10/20 (due 10/27) answers 10/22 (2 working days)
    desk.ask("Q6", "wsjkj", at(10, 19))
    desk.answer("Q5", "ws002", "ws003", at(10, 19, 15))
    desk.answer("Q4", "ws002", "ws003", at(10, 20))
    desk.answer("Q6", "ws002", "ws003", at(10, 20, 15), to="scjgj")
    desk.answer("Q3", "sc003", "sc005", at(10, 21))
    # C1 — online, about Q4 with its 咨询编号 and 查询码 (卫生健康), accepted and answered
    clock.travel(at(10, 21, 16))
    _, number4, code4 = desk.q.questions["Q4"]
    c1, _ = run(lambda s: complaints.file_online(s, complaints.Filing(
        complainant="王五", contact="13800000000", content="答复超过期限。", question_number=number4,
        question_code=code4)))
    run(lambda s, a: complaints.accept(s, c1.id, a), As("jw001"))
    desk.answer("Q6", "sc003", "sc005", at(10, 22))
    desk.explain("Q3", "scjgj", "sc003", at(10, 22, 15))
    run(lambda s, a: complaints.answer(s, c1.id, a, "已责成卫生健康局说明逾期原因并整改。"), As("jw001"))
    # Q7 — 住建, Mon 11/2 (due 11/9): never answered, overdue
    # Q10 — 不清楚: the 政府办's dispatch turn from 11/2 (due 11/9) ends late on 11/10, unexplained;
    #       市场监管 from 11/10 (due 11/17) answers 11/11: on time, 1 working day
    desk.ask("Q7", "zjj", at(11, 2))
    desk.ask("Q10", None, at(11, 2, 11))
    # C2 — by phone about 市场监管 on 11/3: refused; C3 — online about 市场监管 (the department) on 11/5: accepted
    clock.travel(at(11, 3))
    c2 = run(lambda s, a: complaints.receive(s, a, channel="phone", complainant="钱七", contact="13700000000",
                                             content="窗口态度不好。", department_id=desk.q.dept["scjgj"]), As("jw001"))
    run(lambda s, a: complaints.refuse(s, c2.id, a, "不属于在线解答投诉范围，已告知向信访部门反映。"), As("jw001"))
    clock.travel(at(11, 5))
    c3, _ = run(lambda s: complaints.file_online(s, complaints.Filing(
        complainant="孙八", contact="sun8@example.com", content="咨询无人回复。",
        department_id=str(desk.q.dept["scjgj"]))))
    run(lambda s, a: complaints.accept(s, c3.id, a), As("jw001"))
    desk.dispatch("Q10", "scjgj", at(11, 10))
    desk.answer("Q10", "sc003", "sc005", at(11, 11))
    # Q8 — 卫生健康, Mon 11/30 (due 12/7), explained in advance the same day, never answered
    desk.ask("Q8", "wsjkj", at(11, 30))
    desk.explain("Q8", "wsjkj", "ws002", at(11, 30, 15))
    if until is not None and until < date(2026, 12, 28):
        return desk.q
    # Q9 — asked of the 政府办 itself on Mon 12/28; due in January 2027, still open
    desk.ask("Q9", "zfb", at(12, 28))
    return desk.q


def rows_by_code(report, dept: dict[str, int]) -> dict[str, qa_report.QaRow]:
    by_id = {r.department_id: r for r in report.rows}
    out = {code: by_id[dept_id] for code, dept_id in dept.items() if dept_id in by_id}
    out["total"] = report.total
    return out


FIELDS = ("received", "on_time", "late", "forwarded", "open", "open_overdue", "dispatched", "forward_late",
          "explained", "unexplained", "other", "complaints", "complaints_question", "complaints_answered",
          "complaints_refused", "complaints_open")


def figures(row) -> dict:
    return {name: getattr(row, name) for name in FIELDS} | {"rate": row.on_time_rate, "days": row.average_days}


def expect(received=0, on_time=0, late=0, forwarded=0, open=0, open_overdue=0, dispatched=0, forward_late=0,  # noqa: A002
           explained=0, unexplained=0, complaints=0, complaints_question=0, complaints_answered=0,
           complaints_refused=0, complaints_open=0, rate=None, days=None) -> dict:
    return {"received": received, "on_time": on_time, "late": late, "forwarded": forwarded, "open": open,
            "open_overdue": open_overdue, "dispatched": dispatched, "forward_late": forward_late,
            "explained": explained, "unexplained": unexplained, "other": 0, "complaints": complaints,
            "complaints_question": complaints_question, "complaints_answered": complaints_answered,
            "complaints_refused": complaints_refused, "complaints_open": complaints_open, "rate": rate, "days": days}


# Counted by hand, after the quarter (cut-off 12/31):
# 市场监管 scjgj: received Q1 Q2 Q3 Q5 Q6 Q10 = 6; on time Q1 Q2 Q6 Q10 = 4; late Q3 = 1 (explained); forwarded
#   Q5 = 1; rate 4/5 = 80%; days (1 + 4 + 7 + 2 + 1) / 5 = 3.0; complaints C2 (refused) + C3 (accepted) = 2, none
#   about a question
# 卫生健康 wsjkj: received Q4 Q5 Q6 Q8 = 4; on time Q5 Q6 (passed on); late Q4 (unexplained); open Q8, due
#   12/7 < 12/31 so overdue, explained in advance; rate 2/3; days (6 + 2 + 1) / 3 = 3.0; complaints C1 about Q4,
#   answered
# 住建 zjj: received Q7 (open, due 11/9: overdue, unexplained)
# 政府办 zfb: received Q9 (open, due in 2027: not overdue at the cut-off); dispatch turns Q5 and Q10 = 2, Q10 late
#   and unexplained
# 自然资源 zrzyj, 人社 rsj: nothing
# total: received 12 = on time 6 + late 2 + forwarded 1 + open 3; overdue open 2; explained 2 + unexplained 3 =
#   late 2 + overdue open 2 + late forwarding 1; rate 6/8; days (15 + 9) / 8 = 3.0; complaints 3
AFTER_THE_QUARTER = {
    "scjgj": expect(received=6, on_time=4, late=1, forwarded=1, explained=1, complaints=2, complaints_refused=1,
                    complaints_open=1, rate=0.8, days=3.0),
    "wsjkj": expect(received=4, on_time=2, late=1, open=1, open_overdue=1, explained=1, unexplained=1, complaints=1,
                    complaints_question=1, complaints_answered=1, rate=0.6667, days=3.0),
    "zjj": expect(received=1, open=1, open_overdue=1, unexplained=1),
    "rsj": expect(),
    "zfb": expect(received=1, open=1, dispatched=2, forward_late=1, unexplained=1),
    "zrzyj": expect(),
    "total": expect(received=12, on_time=6, late=2, forwarded=1, open=3, open_overdue=2, dispatched=2, forward_late=1,
                    explained=2, unexplained=3, complaints=3, complaints_question=1, complaints_answered=1,
                    complaints_refused=1, complaints_open=1, rate=0.75, days=3.0),
}


def test_every_figure_of_every_row(run, database, frozen_clock, category):
    q = build_quarter(run, database, category)
    clock.travel(at(1, 8, 9, year=2027))  # the 通报 is made in January; Q9 is past due by now, not at 12/31
    with database.transaction(write=False) as s:
        report = qa_report.quarter_report(s, 2026, 4)
        assert (report.start, report.end, report.cutoff) == (date(2026, 10, 1), date(2027, 1, 1), date(2026, 12, 31))
        assert report.label == "2026年第4季度"
        assert [r.label for r in report.rows] == [
            "阳光县市场监督管理局", "阳光县卫生健康局", "阳光县住房和城乡建设局", "阳光县自然资源局",
            "阳光县人力资源和社会保障局", "阳光县人民政府办公室"]  # every answering department, by id
        rows = rows_by_code(report, q.dept)
        for code, expected in AFTER_THE_QUARTER.items():
            assert figures(rows[code]) == expected, code
        assert report.unexplained_departments == [("阳光县卫生健康局", 1), ("阳光县住房和城乡建设局", 1),
                                                  ("阳光县人民政府办公室", 1)]
        assert "其他结束" not in [label for _, label in report.columns]
        text = qa_report.summary(report)
        assert "共受理在线咨询 12 件" in text and "按时答复率 75.0%" in text and "未作说明 3 件" in text
        assert "收到投诉 3 件" in text and "政府办转发处理 2 件" in text
        assert "阳光县卫生健康局（1 件）" in qa_report.accountability(report)


def test_in_the_quarter_the_cut_off_is_today(run, database, frozen_clock, category):
    """On 12/1: Q8 (due 12/7) is open but not overdue, so its advance explanation is not counted; Q7 (due
    11/9) is; Q9 is not asked yet."""
    q = build_quarter(run, database, category, until=date(2026, 12, 1))
    clock.travel(at(12, 1))
    with database.transaction(write=False) as s:
        report = qa_report.quarter_report(s, "２０２６", "4")
        assert report.cutoff == date(2026, 12, 1)
        rows = rows_by_code(report, q.dept)
        assert figures(rows["wsjkj"]) == expect(received=4, on_time=2, late=1, open=1, unexplained=1, complaints=1,
                                                complaints_question=1, complaints_answered=1, rate=0.6667, days=3.0)
        assert figures(rows["zjj"]) == AFTER_THE_QUARTER["zjj"]
        assert figures(rows["zfb"]) == expect(dispatched=2, forward_late=1, unexplained=1)
        t = rows["total"]
        assert (t.received, t.open, t.open_overdue, t.explained, t.unexplained) == (11, 2, 1, 1, 3)
        assert qa_report.dashboard_figures(s) == {
            "year": 2026, "quarter": 4, "label": "2026年第4季度", "received": 11, "on_time": 6, "answered": 8,
            "unexplained": 3, "open_overdue": 1, "on_time_rate": 0.75, "rate": "75.0%"}
        # the quarter before holds only Q0, counted there: late and unexplained
        before = rows_by_code(qa_report.quarter_report(s, 2026, 3), q.dept)
        assert figures(before["scjgj"]) == expect(received=1, late=1, unexplained=1, complaints=1, complaints_open=1,
                                                  rate=0.0, days=6.0)


@pytest.mark.parametrize(("year", "quarter", "field", "message"), [
    ("1999", "1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("2101", "1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("二〇二六", "1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("9" * 40, "1", "year", "年份应为 2000 至 2100 之间的四位数字。"),
    ("2026", "5", "quarter", "季度应为 1、2、3 或 4。"),
    ("2026", "0", "quarter", "季度应为 1、2、3 或 4。"),
    ("2026", "", "quarter", "季度应为 1、2、3 或 4。"),
    ("2026", "-1", "quarter", "季度应为 1、2、3 或 4。"),
    ("2027", "1", "quarter", "2027年第1季度尚未开始，不能统计。"),
])
def test_the_quarter_is_checked(year, quarter, field, message):
    with pytest.raises(InvalidInput) as refused:
        qa_report.check_quarter(year, quarter, today=date(2026, 12, 1))
    assert refused.value.details["errors"] == {field: message}


def test_quarters():
    assert qa_report.current_quarter(date(2026, 9, 30)) == (2026, 3)
    assert qa_report.current_quarter(date(2026, 10, 1)) == (2026, 4)
    assert qa_report.current_quarter(date(2027, 1, 1)) == (2027, 1)
    assert qa_report.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2027, 1, 1))
    assert qa_report.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 4, 1))
    assert qa_report.check_quarter("２０２６", " ３ ", today=date(2026, 12, 1)) == (2026, 3)
    assert qa_report.quarter_from_args(None, "", today=date(2026, 12, 1)) == (2026, 4)
    assert qa_report.quarter_from_args("2026", "2", today=date(2026, 12, 1)) == (2026, 2)


def test_excel_and_printed_notice_carry_the_same_figures(run, database, frozen_clock, category, client):
    build_quarter(run, database, category)
    clock.travel(at(1, 8, 9, year=2027))
    login(client, "jw001")
    response = client.get("/supervision/qa/report.xlsx?year=2026&quarter=4")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "2026年第4季度在线解答情况通报"
    header = [c.value for c in sheet[2]]
    assert header == ["单位", "受理", "按时答复", "逾期答复", "转政府办", "办理中", "其中已逾期", "转发处理（政府办）",
                      "转发逾期", "逾期已说明", "逾期未说明", "按时答复率", "平均用时（工作日）", "投诉", "其中涉及咨询",
                      "投诉已答复", "投诉不予受理", "投诉处理中"]
    rows = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=3) if r[0].value}
    assert rows["阳光县市场监督管理局"][1:] == [6, 4, 1, 1, 0, 0, 0, 0, 1, 0, 0.8, 3.0, 2, 0, 0, 1, 1]
    assert rows["阳光县人民政府办公室"][1:] == [1, 0, 0, 0, 1, 0, 2, 1, 0, 1, None, None, 0, 0, 0, 0, 0]
    assert rows["合计"][1:] == [12, 6, 2, 1, 3, 2, 2, 1, 2, 3, 0.75, 3.0, 3, 1, 1, 1, 1]
    texts = [r[0].value for r in sheet.iter_rows() if isinstance(r[0].value, str)]
    assert "统计口径：" in texts and qa_report.DEFINITIONS[0] in texts
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)

    page = client.get("/supervision/qa/report/print?year=2026&quarter=4")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "关于2026年第4季度在线解答工作情况的通报" in html and "size: A4" in html
    assert 'id="notice-issuer">阳光县纪委监委<' in html and 'id="notice-date">2027年1月8日<' in html
    assert "各单位共受理在线咨询 12 件" in html and "按时答复率 75.0%" in html
    assert ("对逾期未办又未说明情况的，由监察管理部门予以问责（《云南省政务信息查询在线解答管理办法》第七条、第十条）"
            in html)
    assert "本季度逾期未说明的单位：阳光县卫生健康局（1 件）、阳光县住房和城乡建设局（1 件）、阳光县人民政府办公室（1 件）" in html
    assert "<td>阳光县市场监督管理局</td><td>6</td><td>4</td><td>1</td><td>1</td>" in html
    assert "<td>80.0%</td><td>3.0</td>" in html and "<td>66.7%</td><td>3.0</td>" in html

    word = client.get("/supervision/qa/report.docx?year=2026&quarter=4")
    assert word.status_code == 200 and "attachment" in word.headers["Content-Disposition"]
    doc = Document(io.BytesIO(word.data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "关于2026年第4季度在线解答工作情况的通报" and texts[-2:] == ["阳光县纪委监委", "2027年1月8日"]
    assert any(t.startswith("对逾期未办又未说明情况的") and "阳光县人民政府办公室（1 件）" in t for t in texts)
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0][:3] == ["单位", "受理", "按时答复"] and cells[-1][0] == "合计"
    assert cells[1] == ["阳光县市场监督管理局", "6", "4", "1", "1", "0", "0", "0", "0", "1", "0", "80.0%", "3.0", "2",
                        "0", "0", "1", "1"]

    screen = client.get("/supervision/qa/report?year=2026&quarter=4").get_data(as_text=True)
    assert "2026-10-01 至 2026-12-31" in screen and "统计截止日 2026-12-31" in screen
    assert qa_report.DEFINITIONS[2] in screen


def test_a_question_of_the_quarter_before_is_not_counted_even_when_finished_in_this_one(
        run, database, frozen_clock, category):
    desk = Desk(run, database, category)
    desk.ask("Q0", "scjgj", at(9, 28))
    desk.answer("Q0", "sc003", "sc005", at(10, 12))
    with database.transaction(write=False) as s:
        assert s.scalar(select(Question.state).where(Question.id == desk.q.questions["Q0"][0])) == "closed"
        report = qa_report.quarter_report(s, 2026, 4)
        assert figures(report.total) == expect()


def test_a_quarter_not_yet_ended_says_so_beside_its_period(database, frozen_clock, client):
    """Monday 2026-09-28: the third quarter runs to 9/30; every form of the 通报 says how far it counts."""
    note = "（截至9月28日，本季度尚未结束）"
    with database.transaction(write=False) as s:
        report = qa_report.quarter_report(s, 2026, 3)
        assert report.ongoing and report.note == note
        assert qa_report.title(report) == f"关于2026年第3季度{note}在线解答工作情况的通报"
        assert "（2026年7月1日至2026年9月30日；截至2026年9月28日，本季度尚未结束）" in qa_report.intro(report)
        ended = qa_report.quarter_report(s, 2026, 2)
        assert not ended.ongoing and ended.note == "" and qa_report.title(ended) == "关于2026年第2季度在线解答工作情况的通报"
    login(client, "jw001")
    sheet = load_workbook(io.BytesIO(client.get("/supervision/qa/report.xlsx?year=2026&quarter=3").data)).active
    assert sheet["A1"].value == f"2026年第3季度{note}在线解答情况通报"
    assert any(isinstance(r[0].value, str) and r[0].value.startswith(f"统计期：2026年7月1日至2026年9月30日{note}；")
               for r in sheet.iter_rows())
    doc = Document(io.BytesIO(client.get("/supervision/qa/report.docx?year=2026&quarter=3").data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == f"关于2026年第3季度{note}在线解答工作情况的通报"
    assert f"2026年第3季度{note}各单位在线解答情况统计表" in texts
    printed = client.get("/supervision/qa/report/print?year=2026&quarter=3").get_data(as_text=True)
    assert f"<h1>关于2026年第3季度{note}在线解答工作情况的通报</h1>" in printed
    assert f"2026年第3季度{note}各单位在线解答情况统计表" in printed
    screen = client.get("/supervision/qa/report?year=2026&quarter=3").get_data(as_text=True)
    assert f'<small id="qa-ongoing">{note}</small>' in screen and f"2026-09-30{note}；统计截止日 2026-09-28" in screen
    assert "本季度尚未结束" not in client.get("/supervision/qa/report?year=2026&quarter=2").get_data(as_text=True)
