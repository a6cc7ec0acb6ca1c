"""政府信息公开专栏 on the public column (政府信息公开条例 2019; seed 002 §6.1): a body's 指南 and 目录,
an entry by its 索引号 with its versions, the published annual reports, and 依申请公开 online — the
form refusing each bad field beside it, the receipt with the 申请编号, the 查询码 shown once and the
20-working-day deadline (art. 33), the applicant's page opened with the code, 补正 online (art. 30)
restarting the period, and the documents only of the request this browser opened.

Received on Monday 2026-09-28 (the frozen clock), the 20th working day after it is 2026-10-30
(10-01…10-07 holidays, 10-10 a make-up working day)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from engine import clock, search
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.models import Department, InfoEntry, InfoGuide, InfoReportText, InfoRequest
from forms.models import CaseDocument

from .conftest import As
from .webhelpers import _csrf

ZJJ_NAME = "阳光县住房和城乡建设局"


def dept(database, code: str) -> Department:
    with database.transaction(write=False) as s:
        d = s.scalars(select(Department).where(Department.code == code)).one()
        s.expunge(d)
        return d


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


@pytest.fixture
def leftovers(database):
    """指南 and 年度报告 rows are not case tables: the tests that change them put the demo's back."""
    with database.transaction(write=False) as s:
        guides = [{c.name: getattr(g, c.name) for c in InfoGuide.__table__.columns} for g in s.scalars(select(InfoGuide))]
    yield
    with database.transaction() as s:
        s.execute(delete(InfoGuide))
        s.execute(delete(InfoReportText))
        s.flush()
        s.add_all(InfoGuide(**g) for g in guides)


def drafting(department_id, **kw) -> publish.Drafting:
    values = dict(department_id=department_id, title="阳光县2026年老旧小区改造计划", category="03", theme="09",
                  written_on="2026-09-25", body="一、改造范围：城关镇 12 个小区。\n二、资金安排：……", doc_kind="normative",
                  doc_number="阳建发〔2026〕8号")
    values.update(kw)
    return publish.Drafting(**values)


def published_entry(run, database, **kw) -> tuple[int, str]:
    """An entry of 住建局 through the publication flow: 拟稿 (zj002), 保密审查 (zj004), 审核发布 (zj003)."""
    zjj = dept(database, "zjj").id
    eid = run(lambda s, a: publish.start(s, a, drafting(zjj, **kw)).id, As("zj002"))
    entry = lambda s: s.get(InfoEntry, eid)  # noqa: E731
    run(lambda s, a: publish.submit(s, entry(s), a, drafting(None, **kw)), As("zj002"))
    run(lambda s, a: publish.review_secrecy(s, entry(s), a, may_publish=True, opinion="不涉密"), As("zj004"))
    run(lambda s, a: publish.decide(s, entry(s), a, approved=True), As("zj003"))
    return eid, run(lambda s: entry(s).index_no)


# --- the column: home, a body's 指南 and 目录 -----------------------------------------------------------

def test_home_lists_the_bodies_the_latest_entries_and_the_themes(client, database, run, frozen_clock):
    _, index_no = published_entry(run, database)
    html = client.get("/gk").get_data(as_text=True)
    for code, name in (("zjj", ZJJ_NAME), ("zfb", "阳光县人民政府办公室"), ("scjgj", "阳光县市场监督管理局")):
        assert f'href="/gk/{code}">{name}</a>' in html, code
    assert f'href="/gk/info/{index_no}">阳光县2026年老旧小区改造计划</a>' in html
    assert 'href="/gk/entries?theme=09">城乡建设、环境保护<span class="count">（1条）' in html
    for href in ("/gk/apply", "/gk/lookup", "/gk/reports", "/gk/entries"):
        assert f'href="{href}"' in html, href
    assert '<a href="/gk">政府信息公开</a>' in client.get("/").get_data(as_text=True)  # in the column's navigation


def test_a_body_s_page_shows_its_guide_and_its_catalogue_paged(client, database, run, frozen_clock, leftovers):
    _, index_no = published_entry(run, database)
    page = client.get("/gk/zjj").get_data(as_text=True)
    assert '<dt>工作机构</dt>' in page and "0883-6120230" in page  # the demo's 指南 of 住建局, with its phone
    row = re.search(r"<tr><td data-label=\"索引号\">([^<]+)</td><td data-label=\"信息标题\"><a href=\"([^\"]+)\">([^<]+)</a>"
                    r"</td><td data-label=\"发布日期\"><time[^>]*>([^<]+)</time></td>", page)
    assert row.groups() == (index_no, f"/gk/info/{index_no}", "阳光县2026年老旧小区改造计划", "2026年09月28日")
    zjj = dept(database, "zjj").id
    with database.transaction() as s:
        s.execute(delete(InfoGuide).where(InfoGuide.department_id == zjj))
        s.add(InfoGuide(department_id=zjj, office="阳光县住房和城乡建设局办公室", address="阳光县城关镇建设路 8 号",
                        hours="工作日 9:00—12:00，14:30—18:00", phone="0883-6123456", fax="0883-6123457",
                        email="zjj@example.gov.cn", postcode="677000", text="一、主动公开\n二、依申请公开",
                        updated_at=clock.now()))
    page = client.get("/gk/zjj").get_data(as_text=True)
    assert "指南尚未发布" not in page
    for shown in ("阳光县城关镇建设路 8 号", "工作日 9:00—12:00，14:30—18:00", "0883-6123456", "0883-6123457",
                  "zjj@example.gov.cn", "677000", "二、依申请公开"):
        assert shown in page, shown
    assert index_no not in client.get("/gk/zjj?category=01").get_data(as_text=True)  # 机构职能: none
    assert index_no in client.get("/gk/zjj?category=03&theme=09").get_data(as_text=True)
    assert index_no in client.get("/gk/zjj?category=nonsense&page=abc").get_data(as_text=True)  # ignored, not an error
    assert index_no not in client.get("/gk/scjgj").get_data(as_text=True)  # another body's 目录
    assert index_no in client.get("/gk/entries?theme=09").get_data(as_text=True)
    missing = client.get("/gk/nosuchbody")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)


def test_the_catalogue_pages_by_twenty(client, database, run, frozen_clock):
    zjj = dept(database, "zjj").id

    def many(s):  # 21 published entries, as the flow leaves them
        for n in range(21):
            entry = InfoEntry(series=f"t{n}", version=1, current=True, department_id=zjj, state="published",
                              index_no=f"ZJJ-03-2026-{n:05d}", category="03", theme="09", doc_kind="other",
                              title=f"第{n}号公告", written_on=date(2026, 9, 25), body="正文", attachments=[],
                              channels=[], created_at=clock.now(), published_at=clock.now())
            s.add(entry)
    run(many)
    first = client.get("/gk/zjj?page=2").get_data(as_text=True)  # an old ?page= is ignored
    assert first.count('data-label="索引号"') == 20 and 'rel="next"' in first and "page=" not in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert second.count('data-label="索引号"') == 1 and "共 21 条" in second and 'rel="next"' not in second
    shown = re.findall(r'data-label="索引号">(ZJJ-03-2026-\d{5})<', first + second)
    assert sorted(set(shown)) == [f"ZJJ-03-2026-{n:05d}" for n in range(21)] and len(shown) == len(set(shown))
    for cursor in ("after=abc", "before=%00", "after=WyJ4IiwxXQ"):  # not one of ours: the first page
        assert client.get(f"/gk/zjj?{cursor}").get_data(as_text=True).count('data-label="索引号"') == 20


# --- an entry by its 索引号 ----------------------------------------------------------------------------

def test_an_entry_by_its_index_number_and_in_the_search(client, database, run, frozen_clock, settings):
    eid, index_no = published_entry(run, database)
    html = client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    for label, value in (("索引号", index_no), ("信息标题", "阳光县2026年老旧小区改造计划"), ("发布日期", "2026年09月28日"),
                         ("主题分类", "城乡建设、环境保护"), ("公开类别", "规划计划"), ("文种", "行政规范性文件"),
                         ("文号", "阳建发〔2026〕8号"), ("成文日期", "2026年09月25日")):
        assert re.search(rf"<dt>{label}</dt><dd>(<[^>]+>)?{re.escape(value)}", html), label
    assert f'<dt>发布机关</dt><dd><a href="/gk/zjj">{ZJJ_NAME}</a>' in html
    assert "一、改造范围：城关镇 12 个小区。" in html and "版本记录" not in html
    # the column's search links here
    with database.transaction(write=False) as s:
        hits = search.query(s, "老旧小区改造计划", source="disclosure").hits
    assert [h.url for h in hits] == [f"/gk/info/{index_no}"]
    assert f'href="/gk/info/{index_no}"' in client.get("/search?q=老旧小区改造计划").get_data(as_text=True)
    # an attachment kept under the instance folder, and one pointing elsewhere
    folder = settings.instance_dir / "disclosure"
    folder.mkdir(parents=True, exist_ok=True)
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    (folder / "plan.pdf").write_bytes(pdf)
    files = [{"name": "改造计划.pdf", "stored": str(folder / "plan.pdf"), "size": len(pdf),
              "sha256": hashlib.sha256(pdf).hexdigest()},
             {"name": "口令.pdf", "stored": "/etc/passwd", "size": 10, "sha256": "0"}]
    run(lambda s: setattr(s.get(InfoEntry, eid), "attachments", files))
    html = client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    assert f'href="/gk/info/{index_no}/files/1">改造计划.pdf</a>' in html
    got = client.get(f"/gk/info/{index_no}/files/1", buffered=True)
    assert got.status_code == 200 and got.data == pdf and got.mimetype == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/gk/info/{index_no}/files/2").status_code == 404  # outside the instance folder
    assert client.get(f"/gk/info/{index_no}/files/3").status_code == 404


def test_a_missing_or_unpublished_entry_is_not_found_in_chinese(client, database, run, frozen_clock):
    for path in ("/gk/info/NOSUCH-03-2026-00001", "/gk/info/" + "9" * 80, "/gk/info/%00"):
        got = client.get(path)
        html = got.get_data(as_text=True)
        assert got.status_code == 404 and "没有找到这条政府信息" in html and '<html lang="zh-CN"' in html, path
    zjj = dept(database, "zjj").id
    eid = run(lambda s, a: publish.start(s, a, drafting(zjj)).id, As("zj002"))  # a draft: nothing public
    assert run(lambda s: s.get(InfoEntry, eid).index_no) is None
    assert "阳光县2026年老旧小区改造计划" not in client.get("/gk/zjj").get_data(as_text=True)


def test_a_change_is_a_new_version_and_an_abolition_is_shown_with_its_date(client, database, run, frozen_clock):
    eid, index_no = published_entry(run, database)
    at("2026-10-12")
    new = run(lambda s, a: publish.change(s, s.get(InfoEntry, eid), a, drafting(
        None, written_on="2026-10-12", body="一、改造范围：城关镇 15 个小区。"), "增加 3 个小区").id, As("zj002"))
    # while the change is in the flow, the column shows the first version only
    assert "12 个小区" in client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    entry = lambda s: s.get(InfoEntry, new)  # noqa: E731
    run(lambda s, a: publish.submit(s, entry(s), a, drafting(None, written_on="2026-10-12",
                                                            body="一、改造范围：城关镇 15 个小区。")), As("zj002"))
    run(lambda s, a: publish.review_secrecy(s, entry(s), a, may_publish=True, opinion="不涉密"), As("zj004"))
    run(lambda s, a: publish.decide(s, entry(s), a, approved=True), As("zj003"))
    html = client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    assert "15 个小区" in html and "12 个小区" not in html and "版本记录" in html and "增加 3 个小区" in html
    earlier = client.get(f"/gk/info/{index_no}?version=1").get_data(as_text=True)
    assert "12 个小区" in earlier and "已被新版本替代" in earlier
    assert client.get(f"/gk/info/{index_no}?version=9").status_code == 404
    at("2026-11-02")
    run(lambda s, a: publish.abolish(s, entry(s), a, "被新的改造计划替代", "2026-11-01"), As("zj003"))
    html = client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    assert "已废止" in html and "<dt>废止日期</dt><dd>2026年11月01日</dd>" in html and "被新的改造计划替代" in html
    assert "15 个小区" in html  # an abolished document stays readable
    assert html.count('data-label="版本"') == 3


def test_a_withdrawn_entry_shows_the_reason_and_no_text(client, database, run, frozen_clock, settings):
    eid, index_no = published_entry(run, database, doc_kind="other")
    run(lambda s: setattr(s.get(InfoEntry, eid), "attachments", [
        {"name": "a.pdf", "stored": str(settings.instance_dir / "a.pdf"), "size": 1, "sha256": "x"}]))
    (settings.instance_dir / "a.pdf").write_bytes(b"%PDF-1.7\n")
    at("2026-10-12")
    run(lambda s, a: publish.withdraw(s, s.get(InfoEntry, eid), a, "含有未经核实的数据"), As("zj003"))
    html = client.get(f"/gk/info/{index_no}").get_data(as_text=True)
    assert "已撤回" in html and "含有未经核实的数据" in html
    assert "12 个小区" not in html and "files/1" not in html
    assert client.get(f"/gk/info/{index_no}?version=1").status_code == 404
    assert client.get(f"/gk/info/{index_no}/files/1").status_code == 404
    assert index_no not in client.get("/gk/zjj").get_data(as_text=True)  # out of the 目录
    with database.transaction(write=False) as s:
        assert search.query(s, "老旧小区改造计划", source="disclosure").hits == []


# --- annual reports ------------------------------------------------------------------------------------

def test_only_published_annual_reports_are_listed(client, database, frozen_clock, leftovers):
    zjj, zfb = dept(database, "zjj").id, dept(database, "zfb").id
    with database.transaction() as s:
        s.add(InfoReportText(department_id=zjj, year=2025, overview="总体情况", problems="", other="",
                             published_at=clock.now(), updated_at=clock.now()))
        s.add(InfoReportText(department_id=zfb, year=2025, overview="草稿", problems="", other="",
                             updated_at=clock.now()))
    html = client.get("/gk/reports").get_data(as_text=True)
    assert f'href="/gk/reports/zjj/2025">{ZJJ_NAME}2025年政府信息公开工作年度报告</a>' in html
    assert "/gk/reports/zfb/2025" not in html
    assert client.get("/gk/reports/zfb/2025").status_code == 404  # not published
    assert client.get("/gk/reports/zjj/1999").status_code == 404
    assert client.get("/gk/reports/nosuch/2025").status_code == 404


def test_a_published_report_shows_the_figures_counted_from_the_cases(client, database, run, frozen_clock,
                                                                    leftovers):
    published_entry(run, database)  # 住建局: one 行政规范性文件 made and published in 2026
    filed(run, database, department_id=dept(database, "zjj").id)  # one request of a natural person, open
    filed(run, database, department_id=dept(database, "zjj").id, requester_kind="business", name="阳光县某某有限公司",
          cert_type="001", cert_number="91530930MA6N8X0Q31", contact_name="王五")
    zjj = dept(database, "zjj").id
    with database.transaction() as s:
        s.add(InfoReportText(department_id=zjj, year=2026, overview="本年度公开工作稳步推进。", problems="",
                             other="", published_at=clock.now(), updated_at=clock.now()))
    html = client.get("/gk/reports/zjj/2026").get_data(as_text=True)
    assert f"<h1>{ZJJ_NAME}2026年政府信息公开工作年度报告</h1>" in html and "本年度公开工作稳步推进。" in html
    new = re.search(r'<tr><th scope="row">一、本年新收政府信息公开申请数量</th>(.*?)</tr>', html).group(1)
    assert re.findall(r">(\d+)</td>", new) == ["1", "1", "0", "0", "0", "0", "2"]  # 自然人, 商业企业 …, 总计
    docs = re.search(r'<tr><th scope="row">行政规范性文件</th>(.*?)</tr>', html).group(1)
    assert re.findall(r">(\d+)</td>", docs) == ["1", "0", "1"]  # 制发, 废止, 现行有效
    assert "张三" not in html and "11010519491231002X" not in html  # no applicant on a public page


# --- 依申请公开: the form --------------------------------------------------------------------------------

def form_of(page: str) -> dict:
    return {"csrf_token": _csrf(page), "apply_token": re.search(r'name="apply_token" value="([^"]+)"', page).group(1)}


def asking(database, **kw) -> dict:
    values = {"department_id": str(dept(database, "zfb").id), "requester_kind": "natural", "name": "张三",
              "cert_type": "", "cert_number": "11010519491231002X", "contact_name": "", "phone": "13800000000",
              "email": "zhangsan@example.com", "address": "", "postcode": "",
              "description": "请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件（阳县发改〔2026〕12号）。",
              "purpose": "", "medium": "electronic", "delivery": "email"}
    values.update(kw)
    return values


def test_a_refused_request_names_each_problem_beside_its_field_and_keeps_the_values(client, database, frozen_clock):
    page = client.get("/gk/apply").get_data(as_text=True)
    assert "（选填）" in page and "条例不要求申请人说明用途" in page and "文件名称、文号" in page
    posted = client.post("/gk/apply", data={**form_of(page), **asking(
        database, department_id="999999", requester_kind="business", name="阳光县某某有限公司", cert_type="001",
        cert_number="91530930MA6N8X0Q3X", phone="99", email="not-an-email", postcode="12", description="",
        purpose="<b>维权</b>", medium="", delivery="post")})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 422 and 'class="error-summary"' in html
    for field, message in (("department_id", "请选择受理申请的机关。"), ("cert_number", "校验码错误"),
                           ("contact_name", "法人或者其他组织申请的，请填写联系人。"), ("phone", "联系电话："),
                           ("email", "电子邮箱格式不正确"), ("postcode", "邮政编码应为 6 位数字。"),
                           ("description", "所需政府信息的内容描述"), ("medium", "请选择获取信息的载体形式"),
                           ("address", "选择邮寄的，请填写通信地址。")):
        assert f'href="#{field}"' in html, field
        assert re.search(rf'<span class="field-error" id="{field}-error">[^<]*{re.escape(message)}', html), field
        assert f'id="{field}"' in html, field
    assert 'value="阳光县某某有限公司"' in html and "&lt;b&gt;维权&lt;/b&gt;</textarea>" in html
    assert '<option value="business" selected>' in html and 'value="post" checked' in html
    with database.transaction(write=False) as s:
        assert s.scalars(select(InfoRequest)).first() is None
    nothing = client.post("/gk/apply", data={**form_of(page), "requester_kind": "x", "medium": "x"})
    assert nothing.status_code == 422 and "请选择申请人类型" in nothing.get_data(as_text=True)
    hostile = client.post("/gk/apply", data={**form_of(page), **{k: "\x00" for k in asking(database)}})
    assert hostile.status_code == 422 and 'class="error-summary"' in hostile.get_data(as_text=True)


def test_hostile_addresses_are_pages_not_errors(client, frozen_clock):
    for path in ("/gk/%00", "/gk/reports/%00/2026", "/gk/mine/%00", "/gk/info/x/files/99999999999999999999",
                 "/gk/entries?category=%00&theme=%00&page=%00", "/gk/apply?body=%00"):
        assert client.get(path).status_code in (200, 302, 404), path


def test_the_form_needs_the_csrf_token(client):
    for path in ("/gk/apply", "/gk/lookup", "/gk/leave", "/gk/mine/GK5309302026000001/correction"):
        assert client.post(path, data={"number": "GK1", "query_code": "A"}).status_code == 400, path


def test_an_online_request_gives_the_number_the_code_once_and_the_deadline(app, database, frozen_clock):
    applicant = app.test_client()
    page = applicant.get(f"/gk/apply?body={dept(database, 'zjj').id}").get_data(as_text=True)
    assert f'<option value="{dept(database, "zjj").id}" selected>' in page
    data = {**form_of(page), **asking(database)}
    posted = applicant.post("/gk/apply", data=data)
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/gk/receipt")
    receipt = applicant.get("/gk/receipt")
    html = receipt.get_data(as_text=True)
    assert receipt.headers["Cache-Control"] == "no-store"
    number = re.search(r'申请编号<br><span class="code">(GK\d+)</span>', html).group(1)
    code = re.search(r'查询码<br><span class="code">([A-Z0-9]{10})</span>', html).group(1)
    assert "查询码只在这里显示这一次" in html and "阳光县人民政府办公室" in html
    assert "<strong>2026年10月30日前</strong>" in html and "20 个工作日" in html  # art. 33, from receipt
    assert "起算：" in html and "2026-09-28" in html  # the explanation lines
    with database.transaction(write=False) as s:
        r = s.scalars(select(InfoRequest).where(InfoRequest.number == number)).one()
        assert (r.channel, r.requester_kind, r.medium, r.delivery, r.purpose) == ("web", "natural", "electronic",
                                                                                 "email", None)
        assert r.case.cert_type == "111" and r.case.deadline == date(2026, 10, 30)
        assert gk.find_by_code(s, number, code.lower()).id == r.id
    again = applicant.get("/gk/receipt").get_data(as_text=True)  # a reload: the number, never the code again
    assert number in again and code not in again and "现已不再显示" in again
    assert code not in applicant.post("/gk/apply", data=data).headers["Location"]  # posted twice: one request
    with database.transaction(write=False) as s:
        assert len(s.scalars(select(InfoRequest)).all()) == 1
    mine = applicant.get(f"/gk/mine/{number}")
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"
    assert "收到申请" in mine.get_data(as_text=True) and "张*" in mine.get_data(as_text=True)
    assert "11010519491231002X" not in mine.get_data(as_text=True)
    leave = applicant.post("/gk/leave", data={"csrf_token": _csrf(mine.get_data(as_text=True))})
    assert leave.status_code == 302
    assert applicant.get(f"/gk/mine/{number}").headers["Location"].endswith("/gk/lookup")
    assert applicant.get("/gk/receipt").headers["Location"].endswith("/gk/lookup")


# --- 依申请公开: the applicant's page -----------------------------------------------------------------

def filed(run, database, **kw) -> tuple[int, str, str]:
    values = dict(name="张三", requester_kind="natural", cert_type="111", cert_number="11010519491231002X",
                  phone="13800000000", email="zhangsan@example.com",
                  description="请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件。", medium="electronic",
                  delivery="email", department_id=dept(database, "zfb").id)
    values.update(kw)

    def go(s):
        r, code = gk.file_request(s, gk.Requesting(**values))
        return r.id, r.number, code
    return run(go)


def open_with_code(client, number: str, code: str):
    form = client.get("/gk/lookup").get_data(as_text=True)
    return client.post("/gk/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": code})


def test_the_code_opens_the_request_and_a_wrong_code_is_refused_in_chinese(client, database, run, frozen_clock):
    _, number, code = filed(run, database)
    wrong = open_with_code(client, number, "AAAAAAAAAA")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 404 and "申请编号或查询码不正确" in html and f'value="{number}"' in html
    assert 'value="AAAAAAAAAA"' not in html  # the code typed is never echoed
    assert client.get(f"/gk/mine/{number}").headers["Location"].endswith("/gk/lookup")
    opened = open_with_code(client, f" {number.lower()} ", code.lower())
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/gk/mine/{number}")
    html = client.get(f"/gk/mine/{number}").get_data(as_text=True)
    assert "办理中：审查" in html and "<strong>2026年10月30日前</strong>" in html and "收到申请" in html
    assert "起算：" in html and "13800000000" not in html


def test_look_ups_and_requests_are_rate_limited(database, settings, frozen_clock):
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                      "public_rate_limit": "3 per minute"})
    try:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
        form = client.get("/gk/lookup").get_data(as_text=True)
        answers = [client.post("/gk/lookup", data={"csrf_token": _csrf(form), "number": "GK5309302026000001",
                                                   "query_code": "AAAAAAAAAA"}).status_code for _ in range(4)]
        assert answers == [404, 404, 404, 429]
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.1.2"
        page = client.get("/gk/apply").get_data(as_text=True)
        assert [client.post("/gk/apply", data=form_of(page)).status_code for _ in range(4)] == [422] * 3 + [429]
    finally:
        app.extensions["sunhall_db"].dispose()


def test_correction_online_restarts_the_period(client, database, run, frozen_clock):
    rid, number, code = filed(run, database)
    at("2026-09-29")
    run(lambda s, a: gk.request_correction(s, s.get(InfoRequest, rid), a, points=["请写明所需文件的名称或文号"],
                                           days=10), As("zf002"))
    open_with_code(client, number, code)
    html = client.get(f"/gk/mine/{number}").get_data(as_text=True)
    assert "待申请人补正" in html and "请写明所需文件的名称或文号" in html
    assert "补正期限：<strong>2026年10月19日前</strong>" in html and "视为放弃申请" in html
    at("2026-10-09")
    refused = client.post(f"/gk/mine/{number}/correction", data={"csrf_token": _csrf(html), "description": " "})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#description"' in page and 'id="description-error"' in page
    assert run(lambda s: s.get(InfoRequest, rid).case.pause_kind) == "correction"
    done = client.post(f"/gk/mine/{number}/correction", data={"csrf_token": _csrf(html),
                                                               "description": "阳县发改〔2026〕12号 立项批复"})
    assert done.status_code == 302
    state = run(lambda s: (lambda r: (r.description, r.case.pause_kind, r.case.clock_basis, r.case.deadline,
                                      len(r.corrections)))(s.get(InfoRequest, rid)))
    assert state == ("阳县发改〔2026〕12号 立项批复", None, "corrected_receipt", date(2026, 11, 5), 1)
    html = client.get(f"/gk/mine/{number}").get_data(as_text=True)
    assert "补正内容已提交" in html and "请补正申请内容" not in html
    assert "答复期限自收到补正之日起重新计算" in html and "<strong>2026年11月05日前</strong>" in html
    again = client.post(f"/gk/mine/{number}/correction", data={"csrf_token": _csrf(html), "description": "再改"})
    assert again.status_code == 409 and "目前不需要补正" in again.get_data(as_text=True)


def test_another_request_s_page_and_documents_stay_closed(client, database, run, frozen_clock, settings):
    mine_id, mine_number, mine_code = filed(run, database)
    other_id, other_number, _ = filed(run, database, name="李四", cert_number="110105198001010016")
    folder = settings.instance_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)

    def document(s, request_id, n):
        path = folder / f"gk-{n}.docx"
        path.write_bytes(b"PK\x03\x04 docx")
        doc = CaseDocument(case_id=s.get(InfoRequest, request_id).case_id, kind="info_answer", number=f"测试〔2026〕{n}号",
                           title="政府信息公开申请答复书", stored_path=str(path), context={}, created_at=clock.now())
        s.add(doc)
        s.flush()
        return doc.id
    mine_doc, other_doc = run(document, mine_id, 1), run(document, other_id, 2)
    open_with_code(client, mine_number, mine_code)
    html = client.get(f"/gk/mine/{mine_number}").get_data(as_text=True)
    assert f'href="/gk/mine/{mine_number}/documents/{mine_doc}"' in html
    got = client.get(f"/gk/mine/{mine_number}/documents/{mine_doc}", buffered=True)
    assert got.status_code == 200 and got.data == b"PK\x03\x04 docx" and "UTF-8''" in got.headers["Content-Disposition"]
    # the other request: its page sends to the look-up, its document is not found through mine
    assert client.get(f"/gk/mine/{other_number}").headers["Location"].endswith("/gk/lookup")
    assert client.get(f"/gk/mine/{mine_number}/documents/{other_doc}").status_code == 404
    assert client.get(f"/gk/mine/{other_number}/documents/{other_doc}").status_code == 302
    form = client.get("/gk/lookup").get_data(as_text=True)
    posted = client.post(f"/gk/mine/{other_number}/correction", data={"csrf_token": _csrf(form), "description": "x"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/gk/lookup")


def test_the_answer_shows_once_approved_with_its_legal_ground(client, database, run, frozen_clock):
    rid, number, code = filed(run, database)
    act = lambda fn, who, **kw: run(lambda s, a: fn(s, s.get(InfoRequest, rid), a, **kw), As(who))  # noqa: E731
    act(gk.review, "zf002", route="direct")
    act(gk.draft, "zf002", answer=gk.Answer(answer_type="not_ours", competent_body="阳光县发展和改革局",
                                            competent_contact="0883-6120200"))
    open_with_code(client, number, code)
    drafted = client.get(f"/gk/mine/{number}").get_data(as_text=True)
    assert "不属于本机关负责公开" not in drafted and "审定答复书" in drafted  # a draft is not the answer
    act(gk.approve, "zf004", approved=True)
    act(gk.deliver, "zf001", method="email")
    html = client.get(f"/gk/mine/{number}").get_data(as_text=True)
    assert "<strong>已答复</strong>" in html and "答复期限怎么算" in html  # the answer was in time: the lines stay
    assert "2026年10月30日前</strong>；已于" in html and "作出答复" in html
    assert "不属于本机关负责公开（《中华人民共和国政府信息公开条例》第三十六条第（五）项）" in html
    assert "已答复并送达" in html and "可以依法申请行政复议或者提起行政诉讼" in html
    for doc_id in re.findall(rf'href="/gk/mine/{number}/documents/(\d+)"', html):  # every document listed opens
        assert client.get(f"/gk/mine/{number}/documents/{doc_id}", buffered=True).status_code == 200
