"""The designer in the browser: a step is added to 食品经营许可, the server refuses the save (no
post), the designer sets post, form permissions and time limit in the 政务 group, saves and submits;
the legal office approves; a new case runs through the new step while an older case finishes on the
old flow. Also: the export re-imports unchanged, a Camunda Modeler file imports, and the designer's
page loads nothing from outside the app."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from engine.models import ItemChange
from engine.service import start_case

from ..conftest import As
from ..helpers import do, get_case, open_steps
from .conftest import login, shot
from .test_journeys import complete

FOOD = "015309300002"
KEY = "food_business_license"
CAMUNDA = Path(__file__).resolve().parents[1] / "data" / "camunda_modeler_food.bpmn"

ADD_EXPERT_STEP = """() => {
  const m = window.sunhallModeler;
  const registry = m.get("elementRegistry"), modeling = m.get("modeling"), factory = m.get("elementFactory");
  const audit = registry.get("audit"), decide = registry.get("decide");
  const shape = factory.createShape({ type: "bpmn:UserTask" });
  const expert = modeling.createShape(shape, { x: audit.x + audit.width / 2, y: audit.y + 190 }, audit.parent);
  modeling.updateLabel(expert, "专家评审");
  modeling.reconnectEnd(registry.get("flow_7"), expert, { x: expert.x + expert.width / 2, y: expert.y });
  modeling.connect(expert, decide);
  return expert.id;
}"""


def open_designer(page):
    page.goto(f"/catalogue/{FOOD}")
    page.click("text=打开流程设计器")
    page.wait_for_selector("#designer[data-ready='1']")


def group(page, label):
    header = page.locator(".bio-properties-panel-group-header", has_text=label).first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def test_designer_adds_a_step_the_legal_office_approves_and_cases_keep_their_flow(page, database, run, company,
                                                                                    frozen_clock, restore_catalogue):
    old_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    login(page, "xz001")
    open_designer(page)
    expert = page.evaluate(ADD_EXPERT_STEP)
    lint = page.locator(".bjsl-overlay", has_text="")  # bpmnlint in the browser flags the new step at once
    lint.first.wait_for()
    assert "环节没有指定办理岗位" in page.evaluate(
        f"() => JSON.stringify(window.sunhallModeler.get('linting')._issues['{expert}'] || [])")
    page.click("#save")
    problems = page.locator("#problems")
    problems.wait_for(state="visible")
    assert "专家评审" in problems.inner_text() and "没有指定办理岗位" in problems.inner_text()
    assert page.locator(f".djs-element.sh-problem[data-element-id='{expert}']").count() == 1
    assert "服务器校验未通过" in page.locator("#status").inner_text()
    with database.transaction(write=False) as s:
        assert s.scalars(select(ItemChange)).first() is None  # refused: nothing stored

    page.locator("#problems li", has_text="没有指定办理岗位").click()  # selects the step
    group(page, "政务")
    page.select_option("select[name=sunhall-post]", "handle")
    page.select_option("select[name=sunhall-form]", "food_business")
    page.select_option("select[name=sunhall-field-business_name]", "read")
    page.select_option("select[name=sunhall-field-legal_rep_id]", "hidden")
    page.fill("input[name=sunhall-time-limit]", "5")
    page.fill("input[name=sunhall-risk-name]", "专家选取不公")
    page.wait_for_timeout(600)  # the panel's inputs are debounced
    page.fill("#reason", "增加专家评审环节（食品经营许可审查通则）")
    page.click("#save")
    expect(page.locator("#status")).to_contain_text("已保存草稿")
    assert page.locator("#problems").is_hidden()
    shot(page, "designer")
    page.click("#submit")
    expect(page.locator("#status")).to_contain_text("已提交法制审核")
    with database.transaction(write=False) as s:
        change = s.scalars(select(ItemChange)).one()
        assert 'sunhall:field name="business_name" access="read"' in change.bpmn_xml.replace("sunhall:Field", "sunhall:field")

    login(page, "sf001")
    page.goto(f"/cases/{change.review_case_id}")
    page.click("#change-link")
    page.wait_for_selector("#flow-diff")
    diff = page.locator("#flow-diff").inner_text()
    assert "专家评审" in diff and "新增" in diff
    page.wait_for_selector("[data-bpmn-viewer] .djs-element")
    shot(page, "designer-review")
    page.goto(f"/cases/{change.review_case_id}")
    complete(page, opinion="经审查，合法。")
    page.goto(f"/flows/{KEY}")
    assert re.findall(r"\d+", " ".join(page.locator("#versions td.running").all_inner_texts())) == ["0", "1"]

    new_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    holders = {"accept": "sc001", "review": "sc003", "audit": "sc005", expert: "sc004", "decide": "sc006",
               "issue": "sc001"}
    for case, expected in ((old_case, ["accept", "review", "audit", "decide", "issue"]),
                           (new_case, ["accept", "review", "audit", expert, "decide", "issue"])):
        seen = []
        while steps := open_steps(database, case.id):
            seen.append(steps[0])
            do(run, database, case.id, As(holders[steps[0]]), steps[0])
        assert seen == expected and get_case(database, case.id).state == "finished"
    assert page.external_requests == []


def test_export_reimports_unchanged_and_a_camunda_file_imports(page, restore_catalogue):
    login(page, "xz001")
    open_designer(page)
    with page.expect_download() as download:
        page.click("#export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == f"{KEY}.bpmn" and 'camunda:candidateGroups="window"' in exported
    again = page.evaluate("""async (xml) => {
      const m = window.sunhallModeler;
      await m.importXML(xml);
      return (await m.saveXML({ format: true })).xml;
    }""", exported)
    assert again == exported
    page.set_input_files("#import", str(CAMUNDA))
    expect(page.locator("#status")).to_contain_text("已导入")
    assert page.locator(".djs-element[data-element-id='Activity_accept']").count() == 1
    page.locator(".djs-element[data-element-id='Activity_accept']").click()
    group(page, "政务")
    assert page.locator("select[name=sunhall-post]").input_value() == "window"
    assert page.locator("select[name=sunhall-form]").input_value() == "food_business"
    page.fill("#reason", "改为简易程序")
    page.click("#save")
    expect(page.locator("#status")).to_contain_text("已保存草稿")
    assert page.external_requests == []


def test_the_designer_page_loads_nothing_from_outside_the_app(page, live_server):
    seen = []
    page.on("request", lambda r: seen.append(r.url))
    login(page, "xz001")
    page.goto("/catalogue/025309300005")  # 行政处罚一般程序: its category fields on the change form
    assert "信息完整性检查通过" in page.inner_text("main")
    shot(page, "catalogue-item")
    page.click("text=变更事项信息")
    assert page.locator("#extra-02").is_visible() and page.locator("#extra-04").is_hidden()
    assert page.locator("input[name=extra_裁量_严重_max]").input_value() == "100000"
    shot(page, "catalogue-change")
    seen.clear()
    open_designer(page)
    page.locator(".djs-element[data-element-id='audit']").click()  # the properties panel renders too
    group(page, "政务")
    page.wait_for_load_state("networkidle")
    assert any(u.endswith("/static/build/designer.js") for u in seen)
    assert [u for u in seen if not u.startswith(live_server) and not u.startswith(("data:", "blob:"))] == []
