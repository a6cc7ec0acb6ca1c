"""政府信息公开工作年度报告 (条例 art. 50; 国办公开办函〔2021〕30号; seed 001 年度报告制度) counted
by hand from a county office's requests and publications across 2025-12 → 2026 → 2027-01, and
the supervision side: the 15-working-day publication checkpoint (seed 001 制度 art. 12) and the
report's publication deadlines (年度报告制度 art. 3).

The 县人民政府办公室 (zfb) in the fixture, applicants 张三 (自然人) and 好味道餐饮有限公司 (商业企业):

=====  ======  ==========  ====================================  ==========  ===========================
req    kind    received    what happens                          concluded   2026 row
=====  ======  ==========  ====================================  ==========  ===========================
R1     自然人  2025-12-01  予以公开                              2025-12-03  (not in 2026)
R2     企业    2025-12-15  已主动公开, answered directly         2026-01-08  上年结转; 予以公开
R3     自然人  2025-12-22  补正 asked 12-23 (5 days), lapses     2026-01-05  上年结转; 其他处理 1 (逾期不补正)
R4     自然人  2026-03-02  部分公开, ground 第三方合法权益          2026-03-03  新收; 部分公开
R5     企业    2026-03-30  letter registered 04-01; 不予公开 国家秘密 2026-04-02  新收 (信函); 不予公开 1
R6     自然人  2026-04-02  不予公开, 过程性信息                    2026-04-03  新收; 不予公开 6
R7     自然人  2026-05-06  不属于本机关                           2026-05-06  新收; 无法提供 1
R8     企业    2026-05-07  at the counter; 信息不存在               2026-05-07  新收 (当面); 无法提供 1
R9     自然人  2026-06-01  重复申请                              2026-06-01  新收; 不予处理 2
R10    自然人  2026-06-02  予以公开, 40 pages: fee 100, waived 50  2026-06-03  新收; 予以公开
R11    自然人  2026-07-01  withdrawn by the applicant            2026-07-02  新收; 其他处理 3
R12    企业    2026-12-21  不属于本机关                           2027-01-06  新收; 结转下年度
R13    自然人  2026-12-28  never answered                        —           新收; 结转下年度
=====  ======  ==========  ====================================  ==========  ===========================

Publications of zfb: E2 a 规范性文件 published 2025-11-05 (in force); E1 a 规范性文件 published
2026-02-04, abolished 2026-08-31; E3 a 规章 made 2026-03-02, published 2026-04-15 (late: due
03-23); E4 (other) published 05-12 and its change 06-10; E5 (other) published 06-02, withdrawn
07-01. Appeals: 复议 2026-05-10 维持, 复议 2026-08-01 尚未审结, 诉讼 2026-09-01 纠正, and a
复议后起诉 of 2025 (not counted in 2026)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from docx import Document
from flask import render_template
from openpyxl import load_workbook
from sqlalchemy import delete, select

from engine import clock, scheduler
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.errors import InvalidInput
from engine.models import Case, Department, InfoAppeal, InfoEntry, InfoReportText, InfoRequest, User
from engine.service import operations
from engine.service.intake import start_case
from rules import disclosure_checks as checks
from rules import disclosure_documents as documents
from rules import disclosure_report as annual
from rules.models import Alert
from rules.ticks import fire_due
from webapp.cli import main

from .conftest import As, clean_cases
from .webhelpers import login

PERSON = dict(name="张三", requester_kind="natural", cert_type="111", cert_number="11010519491231002X",
              phone="13800000000", email="zhangsan@example.com")
COMPANY = dict(name="阳光县好味道餐饮有限公司", requester_kind="business", cert_type="001",
               cert_number="91530930MA6N8X0Q31", contact_name="李四", phone="13912345678", email="lisi@example.com")


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


class Runner:
    """``run(fn, *args)`` in its own transaction, staff named by 工号 (as conftest's ``run``)."""

    def __init__(self, database):
        self.database = database

    def __call__(self, fn, *args, **kw):
        with self.database.transaction() as s:
            def actor(v):
                return s.scalars(select(User).where(User.staff_no == v[1:])).one() if isinstance(v, str) and \
                    v.startswith("@") else v
            return fn(s, *[actor(a) for a in args], **{k: actor(v) for k, v in kw.items()})


class County:
    """What the fixture made: request ids by name (R1 …), their numbers, entry ids, department ids."""

    def __init__(self, run: Runner):
        self.run = run
        self.dept = run(lambda s: {d.code: d.id for d in s.scalars(select(Department))})
        self.requests: dict[str, int] = {}
        self.numbers: dict[str, str] = {}
        self.entries: dict[str, int] = {}

    # --- requests ---
    def file(self, name: str, who: dict, registered_by: str | None = None, **kw) -> int:
        req = gk.Requesting(**who, description=f"请公开{name}涉及的文件。", medium="electronic", delivery="email",
                            department_id=self.dept["zfb"], **kw)
        if registered_by:
            r = self.run(lambda s, a: gk.file_request(s, req, a)[0], "@" + registered_by)
        else:
            r = self.run(lambda s: gk.file_request(s, req)[0])
        self.requests[name], self.numbers[name] = r.id, r.number
        return r.id

    def act(self, name: str, fn, who: str, **kw):
        rid = self.requests[name]
        return self.run(lambda s, a: fn(s, s.get(InfoRequest, rid), a, **kw), "@" + who)

    def assigned(self, name: str, answer: gk.Answer) -> None:
        self.act(name, gk.review, "zf002", route="assign", body_ids=[self.dept["zfb"]], note="请提供相关信息")
        self.act(name, gk.body_answer, "zf002", proposed_type=answer.answer_type, opinion="经查，本机关掌握该信息。")
        self.act(name, gk.secrecy_review, "zf003", opinion="经审查，不涉及国家秘密以外的保密事项。")
        if answer.pages:  # a fee is notified in writing and paid before the answer (信息处理费管理办法)
            self.act(name, gk.notify_fee, "zf002", pages=answer.pages, fee_waived=answer.fee_waived,
                     fee_basis=answer.fee_basis)
            self.act(name, gk.record_payment, "zf002")
        self.act(name, gk.draft, "zf002", answer=answer)
        self.act(name, gk.comment, "zf002", agrees=True)
        self.act(name, gk.approve, "zf004", approved=True)
        self.act(name, gk.deliver, "zf001", method="email")

    def direct(self, name: str, answer: gk.Answer) -> None:
        self.act(name, gk.review, "zf002", route="direct")
        self.act(name, gk.draft, "zf002", answer=answer)
        self.act(name, gk.approve, "zf004", approved=True)
        self.act(name, gk.deliver, "zf001", method="email")

    # --- publications ---
    def drafting(self, title, kind, category, written, channels):
        return publish.Drafting(department_id=self.dept["zfb"], title=title, category=category, theme="01",
                                written_on=written, body=f"{title}正文。", doc_kind=kind, channels=channels,
                                doc_number="阳政办发〔2026〕1号" if kind != "other" else None)

    def start(self, name, title, kind, category, written, channels) -> int:
        eid = self.run(lambda s, a: publish.start(s, a, self.drafting(title, kind, category, written, channels)).id,
                       "@zf002")
        self.entries[name] = eid
        return eid

    def publish(self, name, title, kind, category, written, channels, publish_on: str) -> int:
        eid = self.start(name, title, kind, category, written, channels)
        self.through_flow(eid, self.drafting(title, kind, category, written, channels), publish_on)
        return eid

    def through_flow(self, eid: int, drafting, publish_on: str) -> None:
        def e(s):
            return s.get(InfoEntry, eid)
        self.run(lambda s, a: publish.submit(s, e(s), a, drafting), "@zf002")
        self.run(lambda s, a: publish.review_secrecy(s, e(s), a, may_publish=True, opinion="不涉密"), "@zf003")
        at(publish_on)
        self.run(lambda s, a: publish.decide(s, e(s), a, approved=True), "@zf004")


def _build(database) -> County:
    run = Runner(database)
    c = County(run)
    # --- 2025 ---
    at("2025-11-03")
    c.publish("E2", "阳光县政府信息公开工作规定", "normative", "02", "2025-11-03", ["website"], "2025-11-05")
    at("2025-12-01")
    c.file("R1", PERSON)
    at("2025-12-03")
    c.assigned("R1", gk.Answer(answer_type="disclosed", disclosed_items="文件全文"))
    at("2025-12-15")
    c.file("R2", COMPANY)
    at("2025-12-22")
    c.file("R3", PERSON)
    at("2025-12-23")
    c.act("R3", gk.request_correction, "zf002", points=["请写明所需文件的名称或文号"], days=5)  # due 12-30
    # --- 2026 ---
    at("2026-01-05", 9)
    assert scheduler.fire_lapses(database) == 1  # 视为放弃申请 (条例 art. 30)
    at("2026-01-08")
    c.direct("R2", gk.Answer(answer_type="published", published_where="阳光县人民政府门户网站政府信息公开专栏"))
    at("2026-02-02")
    c.publish("E1", "阳光县行政规范性文件管理办法", "normative", "02", "2026-02-02", ["website", "gazette"], "2026-02-04")
    at("2026-03-02")
    c.file("R4", PERSON)
    c.start("E3", "阳光县城市管理规定", "rule", "02", "2026-03-02", ["wechat"])
    at("2026-03-03")
    c.assigned("R4", gk.Answer(answer_type="partial", disclosed_items="批复文件", ground="third_party",
                               ground_detail="附件含第三方商业秘密"))
    at("2026-04-01")
    c.file("R5", COMPANY, registered_by="zf001", channel="mail", received_on="2026-03-30")
    at("2026-04-02")
    c.assigned("R5", gk.Answer(answer_type="withheld", ground="state_secret", ground_detail="该文件已定密为秘密级"))
    c.file("R6", PERSON)
    at("2026-04-03")
    c.assigned("R6", gk.Answer(answer_type="withheld", ground="process", ground_detail="属于内部讨论记录"))
    at("2026-04-10")
    c.through_flow(c.entries["E3"], c.drafting("阳光县城市管理规定", "rule", "02", "2026-03-02", ["wechat"]),
                   "2026-04-15")  # 15 working days from 03-02 end on 03-23: late
    at("2026-05-06")
    c.file("R7", PERSON)
    c.direct("R7", gk.Answer(answer_type="not_ours", competent_body="阳光县发展和改革局",
                             competent_contact="0883-6120200"))
    at("2026-05-07")
    c.file("R8", COMPANY, registered_by="zf001", channel="counter")
    c.assigned("R8", gk.Answer(answer_type="not_exist", answer_text="经检索，本机关未制作或获取该信息。"))
    at("2026-05-11")
    e4 = c.publish("E4", "阳光县2026年民生实事", "other", "09", "2026-05-11", ["website"], "2026-05-12")
    at("2026-06-01")
    c.file("R9", PERSON)
    c.direct("R9", gk.Answer(answer_type="repeated", ground_detail="与本年5月6日的申请内容相同，已作答复"))
    c.publish("E5", "阳光县人民政府办公室机构职能", "other", "01", "2026-06-01", [], "2026-06-02")
    at("2026-06-02")
    c.file("R10", PERSON)
    at("2026-06-03")
    c.assigned("R10", gk.Answer(answer_type="disclosed", disclosed_items="会议纪要40页", pages=40,
                                fee_waived="50", fee_basis="申请人系低保户"))
    at("2026-06-08")
    change = c.drafting("阳光县2026年民生实事（调整）", "other", "09", "2026-06-08", ["website"])
    v2 = run(lambda s, a: publish.change(s, s.get(InfoEntry, e4), a, change, "增补两项民生实事").id, "@zf002")
    c.through_flow(v2, c.drafting("阳光县2026年民生实事（调整）", "other", "09", "2026-06-08", ["website"]),
                   "2026-06-10")
    c.entries["E4v2"] = v2
    at("2026-07-01")
    c.file("R11", PERSON)
    run(lambda s, a: publish.withdraw(s, publish.current_of(s, s.get(InfoEntry, c.entries["E5"]).series), a,
                                      "机构改革，原信息已不适用"), "@zf004")
    at("2026-07-02")
    run(lambda s, a: operations.withdraw(s, s.get(InfoRequest, c.requests["R11"]).case_id, a,
                                         "申请人书面撤回申请"), "@zf002")
    at("2026-08-31")
    run(lambda s, a: publish.abolish(s, s.get(InfoEntry, c.entries["E1"]), a, "已被新办法替代", "2026-08-31"),
        "@zf004")
    at("2026-12-21")
    c.file("R12", COMPANY)
    at("2026-12-28")
    c.file("R13", PERSON)
    # --- 2027 ---
    at("2027-01-06")
    c.direct("R12", gk.Answer(answer_type="not_ours", competent_body="阳光县自然资源局"))
    with database.transaction() as s:
        now = clock.now()
        zfb = c.dept["zfb"]
        for kind, filed, outcome in (("review", date(2026, 5, 10), "upheld"), ("review", date(2026, 8, 1), "pending"),
                                     ("lawsuit", date(2026, 9, 1), "corrected"),
                                     ("lawsuit_after_review", date(2025, 12, 20), "upheld")):
            s.add(InfoAppeal(department_id=zfb, kind=kind, filed_on=filed, outcome=outcome, created_at=now,
                             request_id=c.requests["R6"], reference=f"阳复〔{filed.year}〕{filed.month}号"))
        s.add(InfoReportText(department_id=zfb, year=2026, overview="本年度，县人民政府办公室认真贯彻《条例》。",
                             problems="主动公开的及时性有待提高。", other="无。", charges_amount=Decimal("12.50"),
                             updated_at=now))
    return c


@pytest.fixture(autouse=True)
def _clean_cases():
    """The county below is built once for the module and cleaned at its end (not after each test)."""
    yield


@pytest.fixture(scope="module")
def county(database):
    with clock.frozen(datetime(2025, 11, 3, 10, tzinfo=clock.LOCAL_TZ)):
        built = _build(database)
    yield built
    clean_cases(database)
    with database.transaction() as s:
        s.execute(delete(InfoReportText))


def report(database, county, year: int, code: str = "zfb"):
    with database.transaction(write=False) as s:
        return annual.compute(s, county.dept[code], year)


# --- the hand count -------------------------------------------------------------------------------

def test_requests_table_equals_the_hand_count(database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    r = report(database, county, 2026)
    expected = {  # (row, column): hand count from the table in the module docstring
        ("new", "natural"): 7, ("new", "business"): 3, ("new", "total"): 10,
        ("carried_in", "natural"): 1, ("carried_in", "business"): 1, ("carried_in", "total"): 2,
        ("disclosed", "natural"): 1, ("disclosed", "business"): 1, ("disclosed", "total"): 2,
        ("partial", "natural"): 1, ("partial", "business"): 0,
        ("withheld:state_secret", "business"): 1, ("withheld:state_secret", "natural"): 0,
        ("withheld:process", "natural"): 1, ("withheld:third_party", "total"): 0,
        ("unavailable:not_held", "natural"): 1, ("unavailable:not_held", "business"): 1,
        ("unavailable:not_held", "total"): 2,
        ("not_processed:repeated", "natural"): 1,
        ("other:lapsed", "natural"): 1, ("other:other", "natural"): 1, ("other:unpaid", "total"): 0,
        ("total", "natural"): 7, ("total", "business"): 3, ("total", "total"): 10,
        ("carried_out", "natural"): 1, ("carried_out", "business"): 1, ("carried_out", "total"): 2,
        ("new", "research"): 0, ("total", "legal_service"): 0,
    }
    assert {key: r.n(*key) for key in expected} == expected
    assert r.balanced and all(a == b for _, _, a, b in r.identities())
    # 总计 is the sum of the result rows, column by column
    for column, _ in annual.COLUMNS:
        assert r.n("total", column) == sum(r.n(row, column) for row in annual.RESULT_ROWS)
    # channels of the requests received in 2026, and the fees of those concluded in it
    assert (r.n("channel", "web"), r.n("channel", "mail"), r.n("channel", "counter")) == (8, 1, 1)
    assert (r.fee, r.fee_waived, r.fee_net) == (Decimal(100), Decimal(50), Decimal(50))
    assert (r.n("fee", "charged"), r.n("fee", "waived")) == (1, 1)


def test_years_before_and_after(database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    r2025 = report(database, county, 2025)
    assert (r2025.n("new", "natural"), r2025.n("new", "business"), r2025.n("carried_in")) == (2, 1, 0)
    assert (r2025.n("disclosed"), r2025.n("total"), r2025.n("carried_out")) == (1, 1, 2)
    r2027 = report(database, county, 2027)  # so far
    assert r2027.ongoing and "本年度尚未结束" in r2027.note
    assert (r2027.n("carried_in"), r2027.n("unavailable:not_held", "business"), r2027.n("carried_out")) == (2, 1, 1)
    assert r2025.balanced and r2027.balanced


def test_proactive_figures_equal_the_hand_count(database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    r = report(database, county, 2026)
    docs = {(row, col): r.n(f"doc_{row}", col) for row, _ in annual.DOC_ROWS for col, _ in annual.DOC_COLUMNS}
    assert docs == {("rule", "made"): 1, ("rule", "abolished"): 0, ("rule", "in_force"): 1,
                    ("normative", "made"): 1, ("normative", "abolished"): 1, ("normative", "in_force"): 1}
    # E1, E3 (法规文件), E4 and its change (民生保障), E5 (机构职能); E3 after its 15 working days
    assert (r.published, r.n("pub_category", "02"), r.n("pub_category", "09"), r.n("pub_category", "01")) == (5, 2, 2, 1)
    assert (r.n("pub_channel", "column"), r.n("pub_channel", "website"), r.n("pub_channel", "gazette"),
            r.n("pub_channel", "wechat")) == (5, 3, 1, 1)
    assert r.n("pub_late") == 1
    assert r.charges_amount == Decimal("12.50") and r.overview.startswith("本年度")
    # 2025: E2 made and in force at that year's end
    r2025 = report(database, county, 2025)
    assert (r2025.n("doc_normative", "made"), r2025.n("doc_normative", "in_force"), r2025.published) == (1, 1, 1)
    # appeals filed in 2026 (the 2025 复议后起诉 not counted)
    assert (r.n("appeal_review", "upheld"), r.n("appeal_review", "pending"), r.n("appeal_review")) == (1, 1, 2)
    assert (r.n("appeal_lawsuit", "corrected"), r.n("appeal_lawsuit"), r.n("appeal_lawsuit_after_review")) == (1, 1, 0)


def test_each_cell_lists_exactly_its_cases(database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    zfb = county.dept["zfb"]
    numbers = {v: k for k, v in county.numbers.items()}

    def names(row, col):
        with database.transaction(write=False) as s:
            return sorted(numbers.get(getattr(x, "number", None), x.id) for x in annual.cell_cases(s, zfb, 2026, row, col))

    assert names("new", "business") == ["R12", "R5", "R8"]
    assert names("carried_in", "total") == ["R2", "R3"]
    assert names("carried_out", "total") == ["R12", "R13"]
    assert names("withheld:state_secret", "business") == ["R5"]
    assert names("unavailable:not_held", "total") == ["R7", "R8"]
    assert names("other:lapsed", "natural") == ["R3"]
    assert names("other:other", "total") == ["R11"]
    assert names("disclosed", "total") == ["R10", "R2"]
    assert names("fee", "charged") == ["R10"]
    assert names("channel", "counter") == ["R8"]
    with database.transaction(write=False) as s:
        late = annual.cell_cases(s, zfb, 2026, "pub_late", "total")
        assert [e.id for e in late] == [county.entries["E3"]]
        abolished = annual.cell_cases(s, zfb, 2026, "doc_normative", "abolished")
        assert [(e.series, e.abolished_on) for e in abolished] == [
            (s.get(InfoEntry, county.entries["E1"]).series, date(2026, 8, 31))]
        in_force = annual.cell_cases(s, zfb, 2026, "doc_normative", "in_force")
        assert [e.series for e in in_force] == [s.get(InfoEntry, county.entries["E2"]).series]
        appeals = annual.cell_cases(s, zfb, 2026, "appeal_review", "total")
        assert sorted(a.outcome for a in appeals) == ["pending", "upheld"]
        # every cell of the requests table: as many records as its figure
        r = annual.compute(s, zfb, 2026)
        for row, _ in annual.REPORT_ROWS:
            for col, _ in annual.COLUMNS:
                assert len(annual.cell_cases(s, zfb, 2026, row, col)) == r.n(row, col), (row, col)
        with pytest.raises(InvalidInput, match="没有这一格"):
            annual.cell_cases(s, zfb, 2026, "<script>", "total")


def test_word_and_excel_hold_the_headings_and_figures(database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    r = report(database, county, 2026)
    doc = Document(io.BytesIO(documents.to_docx(r)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "阳光县人民政府2026年政府信息公开工作年度报告" in text
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        assert heading in text
    assert "主动公开的及时性有待提高" in text and "应收 100.00 元，减免 50.00 元" in text
    requests = next(t for t in doc.tables if any("本年新收" in c.text for c in t.columns[0].cells))
    row = next(rw for rw in requests.rows if rw.cells[0].text.startswith("一、本年新收"))
    assert [c.text for c in row.cells[1:]] == ["7", "3", "0", "0", "0", "0", "10"]
    carried = next(rw for rw in requests.rows if rw.cells[0].text.startswith("四、结转下年度"))
    assert [c.text for c in carried.cells[1:]] == ["1", "1", "0", "0", "0", "0", "2"]
    docs = doc.tables[0]
    assert [c.text for c in docs.rows[2].cells] == ["行政规范性文件", "1", "1", "1"]
    book = load_workbook(io.BytesIO(documents.to_xlsx(r)))
    assert book.sheetnames[:5] == ["二、主动公开", "主动公开类别和渠道", "三、依申请公开", "申请方式和收费", "四、复议诉讼"]
    sheet = book["三、依申请公开"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert rows["项目"][:7] == ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
    assert rows["（七）总计"][:7] == (7, 3, 0, 0, 0, 0, 10)
    assert rows["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"][0] == 1
    appeals = {row[0]: row[1:] for row in book["四、复议诉讼"].iter_rows(values_only=True) if row and row[0]}
    assert appeals["行政复议"][:5] == (1, 0, 0, 1, 2)


def test_cli_writes_the_report(database, county, frozen_clock, monkeypatch, tmp_path):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out, sheet = tmp_path / "report.docx", tmp_path / "report.xlsx"
    result = CliRunner().invoke(main, ["disclosure", "annual-report", "--body", "zfb", "--year", "2026",
                                       "--out", str(out), "--xlsx", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "阳光县人民政府2026年政府信息公开工作年度报告" in result.output and "本年新收申请 10 件" in result.output
    assert "一、总体情况" in "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert load_workbook(str(sheet)).sheetnames[0] == "二、主动公开"
    for args, words in ((["--body", "nosuch", "--year", "2026"], "没有机关代码"),
                        (["--body", "jwjw", "--year", "2026"], "没有政府信息公开工作机构"),
                        (["--body", "zfb", "--year", "20x6"], "年份应为"),
                        (["--body", "zfb", "--year", "2030"], "尚未开始")):
        bad = CliRunner().invoke(main, ["disclosure", "annual-report", *args, "--out", str(tmp_path / "x.docx")])
        assert bad.exit_code != 0 and words in bad.output, (args, bad.output)
        assert "Traceback" not in bad.output
    assert not (tmp_path / "x.docx").exists()
    missing = CliRunner().invoke(main, ["disclosure", "annual-report", "--body", "zfb"])
    assert missing.exit_code == 2 and "缺少参数 --year、--out" in missing.output
    unwritable = CliRunner().invoke(main, ["disclosure", "annual-report", "--body", "zfb", "--year", "2026",
                                           "--out", str(tmp_path / "no" / "such" / "dir.docx")])
    assert unwritable.exit_code != 0 and "无法写入文件" in unwritable.output


# --- the supervision pages ------------------------------------------------------------------------

def test_report_pages_for_supervisors_only(app, database, county, frozen_clock):
    clock.travel(datetime(2027, 3, 1, 9, tzinfo=clock.LOCAL_TZ))
    clerk = app.test_client()
    login(clerk, "zf001")  # a clerk of the very body
    for url in ("/supervision/gk", "/supervision/gk/report?body=zfb&year=2026", "/supervision/gk/report.docx",
                "/supervision/gk/report.xlsx", "/supervision/gk/report/cases?body=zfb&year=2026&row=new&col=total"):
        response = clerk.get(url)
        assert response.status_code == 403, url
        assert "电子监察仅对监察人员开放" in response.get_data(as_text=True)
    client = app.test_client()
    login(client, "jw001")
    page = client.get("/supervision/gk/report?body=zfb&year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("一、总体情况", "三、收到和处理政府信息公开申请情况", "行政复议", "自然人 8 = 8", "商业企业 4 = 4"):
        assert words in html, words
    assert 'data-cell="withheld:state_secret|business" href="/supervision/gk/report/cases?' in html
    cell = client.get("/supervision/gk/report/cases?body=zfb&year=2026&row=withheld:state_secret&col=business")
    listed = cell.get_data(as_text=True)
    assert cell.status_code == 200 and county.numbers["R5"] in listed and 'id="gk-count">1<' in listed
    assert county.numbers["R6"] not in listed and "（三）不予公开 1.属于国家秘密" in listed
    assert f'href="/workbench/gk/requests/{county.requests["R5"]}"' in listed  # the staff page of the request
    carried = client.get("/supervision/gk/report/cases?body=zfb&year=2026&row=carried_out&col=total")
    text = carried.get_data(as_text=True)
    assert county.numbers["R12"] in text and county.numbers["R13"] in text and 'id="gk-count">2<' in text
    entries = client.get("/supervision/gk/report/cases?body=zfb&year=2026&row=pub_late&col=total").get_data(as_text=True)
    assert "阳光县城市管理规定" in entries and "逾期公开" in entries
    docx = client.get("/supervision/gk/report.docx?body=zfb&year=2026")
    assert docx.status_code == 200 and docx.mimetype.endswith("wordprocessingml.document")
    assert "一、总体情况" in "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    xlsx = client.get("/supervision/gk/report.xlsx?body=zfb&year=2026")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data)).sheetnames[0] == "二、主动公开"


@pytest.mark.parametrize("query, words", [
    ("body=zfb&year=abc", "年份应为"), ("body=zfb&year=99999", "年份应为"), ("body=zfb&year=-1", "年份应为"),
    ("body=zfb&year=1999", "年份应为"),
    ("body=zfb&year=2030", "尚未开始"), ("body=nosuch&year=2026", "没有机关代码"),
    ("body=zfb&year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96", None),  # ２０２６ in full-width digits is fine
])
def test_bad_choices_are_chinese_messages(client, database, county, frozen_clock, query, words):
    login(client, "jw001")
    page = client.get(f"/supervision/gk/report?{query}")
    html = page.get_data(as_text=True)
    if words is None:
        assert page.status_code == 200 and "阳光县人民政府 2026 年" in html
        return
    assert page.status_code == 422 and words in html and "Traceback" not in html
    for url in (f"/supervision/gk/report.docx?{query}", f"/supervision/gk/report/cases?{query}&row=new&col=total"):
        refused = client.get(url)
        assert refused.status_code == 422 and words in refused.get_data(as_text=True), url
    for row in ("nonsense", "appeal_" + "x" * 5000, "<script>alert(1)</script>"):
        bad_cell = client.get("/supervision/gk/report/cases", query_string={"body": "zfb", "year": "2026", "row": row,
                                                                           "col": "total"})
        text = bad_cell.get_data(as_text=True)
        assert bad_cell.status_code == 422 and "没有这一格" in text and "<script>alert" not in text


# --- the checkpoints --------------------------------------------------------------------------------

def _three_publications(database, county) -> tuple[int, int, int]:
    """Drafts of 卫健局 on Monday 2026-09-28, not yet published. 2026 working days (the State Council's
    arrangement): 09-20 (Sun) and 10-10 (Sat) make-up working days, 09-25…27 and 10-01…07 rest. Written
    09-01: the 15th working day after it is 09-21, four working days ago (09-22, 23, 24, 28); written
    09-07: due today, 09-28; written 09-24: due 10-22, not yet near."""
    run = Runner(database)
    ws = county.dept["wsjkj"]

    def draft(title, written):
        return run(lambda s, a: publish.start(s, a, publish.Drafting(
            department_id=ws, title=title, category="10", theme="12", written_on=written, body="正文。")).id, "@ws002")

    return draft("医疗机构名录", "2026-09-01"), draft("家庭医生签约服务", "2026-09-07"), draft("疫苗接种点", "2026-09-24")


def _set_aside(database, entry_ids) -> None:
    """Leave the county as the other tests count it."""
    with database.transaction() as s:
        cases = [s.get(InfoEntry, e).case_id for e in entry_ids]
        for eid in entry_ids:
            entry = s.get(InfoEntry, eid)
            entry.state = "abandoned"
            s.get(Case, entry.case_id).state = "withdrawn"
        for alert in s.scalars(select(Alert).where(Alert.case_id.in_(cases))):
            alert.state = "resolved"


def test_publications_past_or_near_their_15_working_days(client, database, county, frozen_clock):
    late, today, later = _three_publications(database, county)
    try:
        with database.transaction(write=False) as s:
            pending = {p.entry.id: p for p in checks.pending_publications(s)}
        assert pending[late].deadline == date(2026, 9, 21) and pending[late].days_left == -4
        assert pending[late].overdue and pending[late].status == "已超期 4 个工作日"
        assert pending[today].deadline == date(2026, 9, 28) and pending[today].status == "今天到期"
        assert later not in pending
        login(client, "jw001")
        html = client.get("/supervision/gk").get_data(as_text=True)
        assert "医疗机构名录" in html and "已超期 4 个工作日" in html and "家庭医生签约服务" in html
        assert "疫苗接种点" not in html and "第十二条" in html
        with database.transaction(write=False) as s:
            row = next(r for r in checks.late_by_body(s, 2026) if r.department.code == "zfb")
            assert (row.published, row.late) == (5, 1)
    finally:
        _set_aside(database, (late, today, later))


def test_an_overdue_publication_raises_the_case_alarm_a004(client, database, county, frozen_clock):
    """The catalogue's case rules watch a publication's 15 working days like any case deadline."""
    late, today, later = _three_publications(database, county)
    try:
        fire_due(database)
        with database.transaction(write=False) as s:
            late_case = s.get(InfoEntry, late).case_id
            alerts = checks.publication_alerts(s)
        assert any(a.rule_code == "A004" and a.level == "alarm" and a.case_id == late_case for a in alerts)
        login(client, "jw001")
        assert "A004" in client.get("/supervision/gk").get_data(as_text=True)
    finally:
        _set_aside(database, (late, today, later))


def test_annual_report_deadlines_article_3(client, database, county, frozen_clock):
    """The county government's report on 2025 by 2026-02-20 (seed 001 年度报告制度 art. 3); the
    departments' by 2026-01-31 (条例 art. 49, stricter than the seed's end of February)."""
    def states(day: str) -> dict[str, str]:
        at(day)
        with database.transaction(write=False) as s:
            return {d.department.code: (d.state, d.due) for d in checks.report_deadlines(s, 2025)}

    assert states("2025-12-20")["zfb"][0] == "running"
    on_jan_30 = states("2026-01-30")
    assert on_jan_30["zfb"] == ("due", date(2026, 2, 20)) and on_jan_30["wsjkj"] == ("due", date(2026, 1, 31))
    on_19 = states("2026-02-19")
    assert on_19["zfb"][0] == "due" and on_19["wsjkj"][0] == "overdue"
    on_21 = states("2026-02-21")
    assert on_21["zfb"][0] == "overdue"
    with database.transaction() as s:
        now = clock.now()
        s.add(InfoReportText(department_id=county.dept["zfb"], year=2025, updated_at=now,
                             published_at=datetime(2026, 2, 25, 10, tzinfo=clock.LOCAL_TZ)))
        s.add(InfoReportText(department_id=county.dept["wsjkj"], year=2025, updated_at=now,
                             published_at=datetime(2026, 1, 27, 10, tzinfo=clock.LOCAL_TZ)))
    on_march = states("2026-03-02")
    assert on_march["zfb"][0] == "published_late" and on_march["wsjkj"][0] == "published"
    assert on_march["zjj"][0] == "overdue"
    login(client, "jw001")
    html = client.get("/supervision/gk?report_year=2025").get_data(as_text=True)
    assert "第三条" in html and "第四十九条" in html and "2026-02-20 前" in html and "逾期未公布" in html
    assert "逾期公布" in html and 'data-body="zjj" data-state="overdue"' in html
    assert client.get("/supervision/gk?report_year=abc").status_code == 422


def test_administrative_decisions_by_category(run, database, county, frozen_clock, company):
    """行政许可 decisions of 住建局 finished in 2026 (a case finished in 2025 and one still open are not)."""
    ids = []
    for _ in range(3):
        ids.append(run(start_case, "015309300004", company, As("zj001"), data={}).id)
    with database.transaction() as s:  # the permits' own flows are tested elsewhere: only their ends matter here
        for case_id, finished in zip(ids[:2], (datetime(2026, 8, 3, 10, tzinfo=clock.LOCAL_TZ),
                                               datetime(2025, 12, 30, 10, tzinfo=clock.LOCAL_TZ))):
            case = s.get(Case, case_id)
            case.state, case.finished_at, case.result = "finished", finished, "准予许可"
    r = report(database, county, 2026, "zjj")
    assert (r.n("action", "01"), r.n("action", "02"), r.n("action", "03")) == (1, 0, 0)
    with database.transaction(write=False) as s:
        assert [c.id for c in annual.cell_cases(s, county.dept["zjj"], 2026, "action", "01")] == [ids[0]]
    with database.transaction() as s:
        for case_id in ids:
            s.get(Case, case_id).state = "withdrawn"


def test_dashboard_panel_renders_its_figures(app, database, county, frozen_clock):
    """The 政务公开 panel for the supervision dashboard (supervision/gk_panel.html): on 2026-03-02 every
    body's report on 2025 is overdue except those published."""
    at("2026-03-02")
    with app.test_request_context("/supervision/gk"):
        html = render_template("supervision/gk_panel.html")
    assert 'id="gk-panel"' in html and "2025 年度报告逾期未公布" in html
    assert "主动公开已超过15个工作日" in html and 'href="/supervision/gk/report"' in html
