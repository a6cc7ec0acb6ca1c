"""Site search (站内搜索, seed 002 §7.3 rule 11): what people type finds the item they mean — by its
name, by what they call it (俗称), in its guide or its FAQ — on SQLite FTS5 and PostgreSQL alike."""

from __future__ import annotations

import importlib
import re

import pytest
from sqlalchemy import delete, select

from engine import search
from engine.models import Department, Item, ItemVersion
from engine.organisation import publish_item

FOOD = "015309300002"


@pytest.fixture
def index(database):
    """The index rebuilt from the catalogue (other tests leave items they deleted behind); this
    test's own documents (codes 99…, source "test") are taken out afterwards."""
    with database.transaction() as s:
        search.reindex_all(s)
    yield database
    with database.transaction() as s:
        search.withdraw_prefix(s, "item", "99")
        search.withdraw_prefix(s, "faq", "99")
        search.withdraw_source(s, "test")


@pytest.fixture
def publish(database, run):
    """publish(code, department_code, name, **fields) publishes an item version through the
    catalogue; the items go again afterwards (the product never deletes one; this test does)."""
    codes = []

    def _publish(code, department, name, **fields):
        base = dict(name=name, category="01", legal_limit=20, promised_limit=15, conditions="", materials=[],
                    legal_basis=[], faq=[], aliases=[], place="阳光县政务服务中心二楼")
        base.update(fields)
        codes.append(code)

        def command(s):
            dept = s.scalars(select(Department).where(Department.code == department)).one()
            return publish_item(s, code, dept, base).id

        return run(command)

    yield _publish
    with database.transaction() as s:
        items = list(s.scalars(select(Item).where(Item.code.in_(codes))))
        for item in items:
            item.current_version_id = None
            search.withdraw(s, "item", item.code)
            search.withdraw_prefix(s, "faq", f"{item.code}/")
        s.flush()
        s.execute(delete(ItemVersion).where(ItemVersion.item_id.in_([i.id for i in items])))
        s.execute(delete(Item).where(Item.id.in_([i.id for i in items])))


def find(database, text, **kwargs) -> search.Results:
    with database.transaction(write=False) as s:
        return search.query(s, text, **kwargs)


def urls(results) -> list[str]:
    return [h.url for h in results.hits]


def test_what_people_call_an_item_finds_it_first(index, publish):
    publish("99TEST0001", "scjgj", "农家乐经营许可", aliases=["开农家乐", "办农家乐"],
            conditions="有固定的经营场所。")
    publish("99TEST0002", "scjgj", "乡村旅游服务备案", conditions="本事项不适用于开农家乐，开农家乐请办理相应许可。")
    found = find(index, "开农家乐")
    assert urls(found)[:2] == ["/items/99TEST0001", "/items/99TEST0002"]
    assert found.every_word and found.total == 2
    assert "<mark>开农家乐</mark>" in found.hits[0].snippet  # the alias that matched is shown
    found = find(index, "我想开农家乐需要什么材料")  # how people ask: the asking words are not required
    assert urls(found)[0] == "/items/99TEST0001"


def test_an_exact_title_ranks_above_mentions_in_bodies(index, publish):
    publish("99TEST0003", "scjgj", "林木采伐许可证核发", category="01")
    for n in range(3):
        publish(f"99TEST001{n}", "zrzyj", f"林业事项{n}",
                conditions="林木采伐许可证核发前应当现场查验。林木采伐许可证核发的条件见本指南。")
    found = find(index, "林木采伐许可证核发")
    assert found.total == 4 and urls(found)[0] == "/items/99TEST0003"
    assert found.hits[0].title_html == "<mark>林木采伐许可证核发</mark>"


def test_the_demo_finds_the_food_licence_by_what_people_call_it(index):
    found = find(index, "开饭店")
    assert urls(found)[0] == f"/items/{FOOD}"
    assert found.hits[0].title == "食品经营许可" and found.hits[0].department == "阳光县市场监督管理局"


def test_the_demo_is_searchable_as_loaded(database):
    """publish_item indexes: the demo loader needs no step of its own for items to be found."""
    found = find(database, "食品经营许可")
    assert f"/items/{FOOD}" in urls(found)


def test_internal_flows_are_never_searchable(index):
    assert find(index, "电子监察督办").total == 0
    assert find(index, "事项变更法制审核").total == 0


def test_snippets_highlight_and_escape(index):
    with index.transaction() as s:
        search.publish(s, "test", "html", title="标题<b>加粗</b>检验检测", url="/test/html",
                       body="前言 <script>alert(1)</script> 检验检测机构资质认定 & “引号” 'x' 结尾")
    hit = find(index, "检验检测", source="test").hits[0]
    assert "<script>" not in hit.snippet and "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "<mark>检验检测</mark>" in hit.snippet and "&amp;" in hit.snippet and "&#x27;x&#x27;" in hit.snippet
    assert hit.title_html == "标题&lt;b&gt;加粗&lt;/b&gt;<mark>检验检测</mark>"
    assert re.sub(r"</?mark>", "", hit.snippet).count("<") == 0  # only <mark> is markup


def test_a_long_body_is_cut_around_the_first_match(index):
    with index.transaction() as s:
        search.publish(s, "test", "long", title="长文", url="/test/long",
                       body="前面的话。" * 100 + "这里说到水土保持方案审批。" + "后面的话。" * 100)
    snippet = find(index, "水土保持", source="test").hits[0].snippet
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>水土保持</mark>" in snippet
    assert len(re.sub(r"</?mark>", "", snippet)) <= search.SNIPPET + 2


def test_filters_by_department_category_and_source(index, publish):
    publish("99TEST0020", "scjgj", "测绘资质审批甲", category="01", aliases=["测绘资质"])
    publish("99TEST0021", "zrzyj", "测绘资质审批乙", category="07", aliases=["测绘资质"])
    with index.transaction(write=False) as s:
        scjgj, zrzyj = (s.scalars(select(Department.id).where(Department.code == c)).one() for c in ("scjgj", "zrzyj"))
    assert find(index, "测绘资质").total == 2
    assert urls(find(index, "测绘资质", department_id=zrzyj)) == ["/items/99TEST0021"]
    assert urls(find(index, "测绘资质", department_id=[scjgj, zrzyj])) == ["/items/99TEST0020", "/items/99TEST0021"]
    assert urls(find(index, "测绘资质", category="01")) == ["/items/99TEST0020"]
    assert find(index, "测绘资质", category="zz").total == 0
    assert find(index, "测绘资质", source="faq").total == 0
    hit = find(index, "测绘资质", category="07").hits[0]
    assert (hit.department, hit.category, hit.source) == ("阳光县自然资源局", "07", "item")


def test_paging_is_bounded(index):
    with index.transaction() as s:
        for n in range(12):
            search.publish(s, "test", f"p{n}", title=f"第{n}号烟花爆竹经营公告", body="烟花爆竹", url=f"/test/{n}")
    first = find(index, "烟花爆竹", source="test", per_page=5)
    assert (first.total, first.pages, len(first.hits)) == (12, 3, 5)
    pages = [find(index, "烟花爆竹", source="test", per_page=5, page=p) for p in (1, 2, 3)]
    assert len({h.ref for r in pages for h in r.hits}) == 12 and len(pages[2].hits) == 2
    assert find(index, "烟花爆竹", source="test", per_page=5, page=999).page == 3
    for page in (-1, 0, "x", None, 10**30):
        assert find(index, "烟花爆竹", source="test", per_page=5, page=page).page in (1, 3)
    assert find(index, "烟花爆竹", source="test", per_page=10**9).per_page == search.MAX_PER_PAGE


def test_a_broad_query_is_counted_and_ranked_up_to_a_cap(index, monkeypatch):
    monkeypatch.setattr(importlib.import_module("engine.search.query"), "CAP", 5)  # the module, not the function
    with index.transaction() as s:
        added = search.add_many(s, [dict(source="test", ref=f"c{n}", title=f"第{n}号公告", body="通知：滑翔伞飞行活动",
                                         url=f"/test/c{n}") for n in range(8)]
                                + [dict(source="test", ref="named", title="滑翔伞飞行活动审批", body="", url="/test/named")])
    assert added == 9
    found = find(index, "滑翔伞飞行", source="test", per_page=2)
    assert (found.total, found.more, found.pages) == (5, True, 3)
    assert found.hits[0].url == "/test/named"  # the one naming it first, then bodies
    pages = [[h.ref for h in find(index, "滑翔伞飞行", source="test", per_page=2, page=p).hits] for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1] and len({r for p in pages for r in p}) == 5  # which bodies: per database


def test_names_another_process_published_are_learnt(index, monkeypatch):
    with index.transaction(write=False) as s:
        search.query(s, "渔业")  # this process has read the names
    with index.transaction() as s:
        search.publish(s, "item", "99TESTV", title="渔业捕捞许可", body="", url="/items/99TESTV", keywords=["打渔证"])
    for vocabulary in search._vocabularies.values():
        vocabulary.stale = False  # as if another process had published it
    with index.transaction(write=False) as s:
        monkeypatch.setattr(importlib.import_module("engine.search.suggest"), "VOCABULARY_SECONDS", 3600)
        assert "打渔证" not in search.suggest(s, "打鱼证")
        monkeypatch.setattr(importlib.import_module("engine.search.suggest"), "VOCABULARY_SECONDS", 0)
        assert "打渔证" in search.suggest(s, "打鱼证")


def test_a_new_version_replaces_the_old_in_the_index(index, publish):
    publish("99TEST0030", "scjgj", "旧式招牌设置审批", aliases=["挂招牌"])
    assert urls(find(index, "旧式招牌设置审批")) == ["/items/99TEST0030"]
    publish("99TEST0030", "scjgj", "户外广告设施设置审批", aliases=["挂广告牌"])
    assert find(index, "旧式招牌").total == 0 and find(index, "挂招牌").total == 0
    assert urls(find(index, "户外广告设施设置审批")) == ["/items/99TEST0030"]
    assert urls(find(index, "挂广告牌")) == ["/items/99TEST0030"]


def test_withdraw_takes_a_document_out(index):
    with index.transaction() as s:
        search.publish(s, "test", "w1", title="古树名木迁移审批", body="", url="/test/w1")
        search.publish(s, "test", "w1", title="古树名木迁移审批", body="再次发布只留一份", url="/test/w1")
    assert find(index, "古树名木").total == 1
    with index.transaction() as s:
        search.withdraw(s, "test", "w1")
        search.withdraw(s, "test", "never-published")
    assert find(index, "古树名木").total == 0


def test_a_suspended_item_leaves_the_index_with_its_faq(index, publish, run):
    publish("99TEST0040", "scjgj", "犬只登记", aliases=["养狗登记"], faq=[{"q": "犬只登记要带疫苗证明吗？", "a": "要。"}])
    assert find(index, "犬只登记").total == 2

    def suspend(s):
        item = s.scalars(select(Item).where(Item.code == "99TEST0040")).one()
        item.status = "suspended"
        return search.refresh_item(s, item)

    assert run(suspend) is False
    assert find(index, "犬只登记").total == 0 and find(index, "养狗登记").total == 0


def test_faq_entries_are_found_and_link_to_their_answer(index, publish):
    publish("99TEST0050", "wsjkj", "母婴保健技术服务执业许可", faq=[
        {"q": "执业许可证有效期多久？", "a": "有效期三年。"},
        {"q": "机构搬迁后还要重新申请吗？", "a": "变更执业地址的，应当办理变更登记，不需重新申请蜂鸟许可。"}])
    found = find(index, "蜂鸟许可")
    assert urls(found) == ["/items/99TEST0050/faq#faq-2"]
    hit = found.hits[0]
    assert (hit.source, hit.title, hit.department) == ("faq", "机构搬迁后还要重新申请吗？", "阳光县卫生健康局")
    assert "<mark>蜂鸟许可</mark>" in hit.snippet
    publish("99TEST0050", "wsjkj", "母婴保健技术服务执业许可", faq=[{"q": "执业许可证有效期多久？", "a": "有效期三年。"}])
    assert "/items/99TEST0050/faq#faq-2" not in urls(find(index, "蜂鸟许可"))  # the entry left with the new version


def test_a_homophone_typo_gets_a_suggestion(index, publish):
    publish("99TEST0060", "scjgj", "农家乐经营许可", aliases=["开农家乐"])
    found = find(index, "农家乐经营许科")  # 科 for 可: the same sound
    assert "农家乐经营许可" in found.suggestions
    assert not found.every_word and "/items/99TEST0060" in urls(found)  # any word still finds something
    with index.transaction(write=False) as s:
        assert "农家乐经营许可" in search.suggest(s, "弄家乐经营许可")  # n/l mixed up
        assert "农家乐经营许可" in search.suggest(s, "农家乐经银许可")  # ying/yin
        assert "农家乐经营许可" in search.suggest(s, "农家乐经营")  # a word short
        assert search.suggest(s, "农家乐经营许可", skip=["99TEST0060"]) == []  # found already
    assert find(index, "农家乐经营许可").suggestions == []  # found exactly: nothing to suggest
    assert "食品经营许可" in find(index, "食品经营许科").suggestions  # the demo's own item


@pytest.mark.parametrize("text", [
    "", "   ", None, 42, "\x00\x01\x7f", "\u200b", "开\x00饭店", "x" * 10_000, "开饭店" * 5_000, '"', "'", "*", "AND",
    "OR NOT", "NEAR(开饭店", "开饭店 OR 1=1; DROP TABLE search_document", "title:开饭店", "^开", "-", "食品 & | ! :*",
    "\\", "%_", "(((", "ＡＢＣ１２３", "😀", "\U0010ffff",
])
def test_any_query_is_answered(index, text):
    found = find(index, text)
    assert isinstance(found, search.Results) and len(found.query) <= search.MAX_QUERY
    assert "\x00" not in found.query and found.page == 1


def test_query_bounds():
    assert search.clean_query("  开\x00饭\t店 \n") == "开 饭 店"
    assert search.clean_query("x" * 10_000) == "x" * search.MAX_QUERY
    assert search.clean_query(None) == ""


def test_highlight_escapes_everything_but_its_marks():
    pattern = re.compile("饭店")
    assert search.highlight("<i>开饭店</i>&", pattern) == "&lt;i&gt;开<mark>饭店</mark>&lt;/i&gt;&amp;"
    assert search.highlight("<i>", None) == "&lt;i&gt;"


def test_publish_refuses_a_link_off_the_site(index):
    from engine.errors import InvalidInput

    with index.transaction() as s:
        for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
            with pytest.raises(InvalidInput):
                search.publish(s, "test", "bad", title="x", body="", url=url)


# ---------------------------------------------------------------------------------------------
# the page


def test_the_search_page_lists_the_item_first(index, client):
    page = client.get("/search", query_string={"q": "开饭店"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    links = re.findall(r'<h2><a href="([^"]+)">', text)
    assert links[0] == f"/items/{FOOD}"
    assert 'value="开饭店"' in text  # the header's box and the page's show the query
    assert "<mark>开饭店</mark>" in text and "找到" in text


def test_the_page_escapes_what_it_shows(index, client):
    with index.transaction() as s:
        search.publish(s, "test", "x", title="<img src=x onerror=alert(1)>检验检测", body="<script>x</script>检验检测",
                       url="/test/x")
    text = client.get("/search", query_string={"q": "检验检测<script>"}).get_data(as_text=True)
    assert "<script>x" not in text and "<img src=x" not in text and "&lt;img src=x" in text


def test_the_page_shows_filters_suggestions_and_an_empty_state(index, client):
    text = client.get("/search", query_string={"q": "食品经营许科"}).get_data(as_text=True)
    assert "你要找的是不是" in text and "q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF" in text
    text = client.get("/search", query_string={"q": "量子纠缠"}).get_data(as_text=True)
    assert "没有找到与“量子纠缠”相关的内容" in text
    text = client.get("/search", query_string={"q": "许可", "category": "01", "department": "scjgj"}).get_data(as_text=True)
    assert '<option value="01" selected>' in text and '<option value="scjgj" selected>' in text
    assert f'href="/items/{FOOD}"' in text and 'href="/items/015309300004"' not in text  # 住建局's licence is filtered out
    for label in ('for="s-q"', 'for="s-department"', 'for="s-category"'):
        assert label in text
    assert client.get("/search").status_code == 200


@pytest.mark.parametrize("args", [
    {"q": "许可", "page": "-1"}, {"q": "许可", "page": "99999999999999999999"}, {"q": "许可", "page": "²"},
    {"q": "许可", "category": "zz"}, {"q": "许可", "department": "<script>"}, {"q": "许可" * 400},
    {"q": "x" * 4_000, "page": "2"}, {"q": "\x00"}, {"q": '"'}, {"q": ["a", "b"]}, {"page": "1e9"},
])
def test_hostile_parameters_never_fail(index, client, args):
    response = client.get("/search", query_string=args)
    assert response.status_code == 200


@pytest.mark.parametrize("args", [{"q": "许可" * 5_000}, {"q": "x" * 10_000, "page": "2"}])
def test_an_address_longer_than_the_server_reads_is_414_in_chinese(index, client, args):
    """gunicorn reads request lines up to 8190 bytes: a longer address is refused, in Chinese."""
    response = client.get("/search", query_string=args)
    assert response.status_code == 414 and "网址太长" in response.get_data(as_text=True)


def test_the_demo_indexes_no_internal_flow(database):
    """督办 and 法制审核 are not anyone's application: the demo's index leaves them out."""
    with database.transaction(write=False) as s:
        for text in ("督办", "法制审核", "事项变更"):
            assert all("/items/" not in hit.url or "督办" not in hit.title for hit in search.query(s, text).hits)
        titles = [hit.title for hit in search.query(s, "电子监察督办").hits]
        assert "电子监察督办" not in titles


def test_a_short_form_finds_the_long_one_and_back(database):
    """People write 社保 and 医保; answers say 社会保险 and 医疗保险 (and the other way round)."""
    with database.transaction() as s:
        search.publish(s, "faq", "test/long", title="城乡居民社会保险怎么缴费", body="每年9月至12月缴纳。", url="/faq/long")
        search.publish(s, "faq", "test/short", title="社保卡丢了怎么办", body="到人社局窗口挂失补办。", url="/faq/short")
    try:
        assert "/faq/long" in urls(find(database, "社保"))
        assert "/faq/short" in urls(find(database, "社会保险"))
    finally:
        with database.transaction() as s:
            search.withdraw_prefix(s, "faq", "test/")
